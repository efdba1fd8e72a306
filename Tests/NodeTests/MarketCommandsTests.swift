import Foundation
import Testing
@testable import Node
@testable import Agents
import Bus

/// `agora indicators` and `agora data synth`.
@Suite struct MarketCommandsTests {
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func temp(_ name: String, _ text: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("agora-cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// Runs `agora indicators` on a file and returns (stdout, stderr) or the error text.
    static func indicators(_ argv: [String]) throws -> (out: String, err: String) {
        let args = try Arguments(argv, spec: IndicatorsCommand.spec)
        var out = "", err = ""
        let options = BarCSVReader.Options(symbol: args.string("symbol"), skipBadRows: args.flag("skip-bad-rows"))
        try IndicatorsCommand.write(path: args.positional(0)!, options: options, periods: IndicatorsCommand.parsePeriods(args),
                                    out: { out += $0 }, err: { err += $0 })
        return (out, err)
    }

    @Test func indicatorsOfTheGoogleSample() throws {
        let (out, err) = try Self.indicators([Self.root.appendingPathComponent("data/GOOG.csv").path])
        #expect(err.isEmpty)
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        #expect(lines.count == 2149)
        #expect(lines[0] == "time,sma_20,ema_20,rsi_14,macd,macd_signal,macd_hist,bb_upper,bb_middle,bb_lower,atr_14,stoch_k,stoch_d,obv")
        #expect(lines[1] == "2004-08-19T00:00:00Z,,,,,,,,,,,,,22351900")
        let cells = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        // Empty cells per column = the TA-Lib warm-up of each indicator.
        let empties = (1...13).map { c in cells.filter { $0[c].isEmpty }.count }
        #expect(empties == [19, 19, 14, 33, 33, 33, 19, 19, 19, 14, 17, 17, 0])
        // Every value reads back exactly as a double.
        #expect(cells.allSatisfy { row in row.dropFirst().allSatisfy { $0.isEmpty || Double($0) != nil } })
        // TA-Lib's last RSI 14 of the sample (TA-Lib 0.8.2: 67.49798280234829).
        let lastRSI = try #require(Double(cells.last![3]))
        #expect(Swift.abs(lastRSI - 67.49798280234829) < 1e-9)
    }

    @Test func periodFlagsRenameTheColumns() throws {
        let args = try Arguments(["x.csv", "--sma", "5", "--ema", "9", "--rsi", "3", "--atr", "7", "--macd", "5,35,5", "--bb", "10,1.5", "--stoch", "5,1,4"],
                                 spec: IndicatorsCommand.spec)
        let p = try IndicatorsCommand.parsePeriods(args)
        #expect(p.columns.prefix(3) == ["sma_5", "ema_9", "rsi_3"])
        #expect(p.columns[9] == "atr_7")
        #expect((p.macdFast, p.macdSlow, p.macdSignal, p.bollinger, p.bollingerDeviations) == (5, 35, 5, 10, 1.5))
        #expect((p.stochK, p.stochKSmoothing, p.stochD) == (5, 1, 4))
    }

    @Test(arguments: [
        (["--macd", "26,12,9"], "agora indicators: macd fast period (26) must be shorter than the slow one (12)"),
        (["--macd", "12,26"], "agora indicators: --macd: expected 3 comma-separated periods in 1…100000, got '12,26'"),
        (["--bb", "20,-2"], "agora indicators: --bb: expected N or N,K (period 1…100000, deviations > 0), got '20,-2'"),
        (["--sma", "0"], "agora indicators: --sma: expected an integer in 1…100000, got '0'"),
    ])
    func badPeriodFlagsAreUsageErrors(_ flags: [String], _ message: String) throws {
        let args = try Arguments(["x.csv"] + flags, spec: IndicatorsCommand.spec)
        #expect(throws: UsageError.self) { try IndicatorsCommand.parsePeriods(args) }
        do { _ = try IndicatorsCommand.parsePeriods(args) } catch { #expect(error.message == message) }
    }

    @Test func aBadFileIsRefusedBeforeAnythingIsWritten() async throws {
        let path = try Self.temp("BAD.csv", "time,open,high,low,close,volume\n2024-01-02,1,2,0.5,1,10\n2024-01-03,1,2,0.5,3,10\n")
        var out = ""
        #expect(throws: InputError(file: path, line: 3, field: "close", "close 3 is outside [low 0.5, high 2]")) {
            try IndicatorsCommand.write(path: path, options: .init(), periods: IndicatorPeriods(), out: { out += $0 }, err: { _ in })
        }
        #expect(out.isEmpty)
        #expect(await CommandRegistry.main(["indicators", path]) == 1)
        #expect(await CommandRegistry.main(["indicators", path, "--rsi", "x"]) == 64)
    }

    @Test func skipBadRowsReportsOnStderr() throws {
        let path = try Self.temp("S.csv", "time,open,high,low,close,volume\n2024-01-02,1,2,0.5,1,10\n2024-01-03,1,2,0.5,3,10\n2024-01-04,1,2,0.5,1.5,10\n")
        let (out, err) = try Self.indicators([path, "--skip-bad-rows", "--sma", "2"])
        #expect(out.split(separator: "\n").count == 3)
        #expect(out.split(separator: "\n")[2].hasPrefix("2024-01-04T00:00:00Z,1.25,"))
        #expect(err == "agora indicators: skipped 1 bad row in \(path) (first: \(path):3: close: close 3 is outside [low 0.5, high 2])\n")
    }

    @Test func aFileWithSeveralSymbolsNeedsOne() throws {
        let path = try Self.temp("M.csv", "time,symbol,open,high,low,close,volume\n2024-01-02,AAPL,1,1,1,1,1\n2024-01-02,MSFT,2,2,2,2,2\n2024-01-03,AAPL,3,3,3,3,3\n")
        #expect(throws: InputError(file: path, line: 3, field: "symbol", "the file holds more than one symbol (AAPL, then MSFT); choose one with --symbol")) {
            try Self.indicators([path])
        }
        let (out, _) = try Self.indicators([path, "--symbol", "AAPL", "--sma", "2"])
        #expect(out.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false)[1] } == ["sma_2", "", "2"])
    }

    @Test func synthIsDeterministicAndReadable() throws {
        let args = try Arguments(["--bars", "100", "--seed", "5", "--volatility", "0.4", "--symbol", "SYN"], spec: DataSynthCommand.spec)
        let series = try DataSynthCommand.parseSeries(args)
        var a = "", b = ""
        DataSynthCommand.write(series, symbolColumn: true, out: { a += $0 })
        DataSynthCommand.write(series, symbolColumn: true, out: { b += $0 })
        #expect(a == b)
        let lines = a.split(separator: "\n")
        #expect(lines.count == 101)
        #expect(lines[0] == "time,symbol,open,high,low,close,volume")
        #expect(lines[1].hasPrefix("2020-01-01,SYN,100,"))
        let path = try Self.temp("syn.csv", a)
        let (bars, _) = try BarCSVReader.validate(path: path)
        #expect(bars == 100)
        var other = series
        other.seed = 6
        var c = ""
        DataSynthCommand.write(other, symbolColumn: true, out: { c += $0 })
        #expect(c != a)
    }

    @Test func synthOptions() throws {
        #expect(DataSynthCommand.parseInterval("1d") == 86_400)
        #expect(DataSynthCommand.parseInterval("4h") == 14_400)
        #expect(DataSynthCommand.parseInterval("15m") == 900)
        #expect(DataSynthCommand.parseInterval("90") == 90)
        #expect(DataSynthCommand.parseInterval("0s") == nil)
        #expect(DataSynthCommand.parseInterval("1w") == nil)
        let args = try Arguments(["--interval", "5m", "--start", "2024-01-02T14:30:00Z", "--bars", "2"], spec: DataSynthCommand.spec)
        var out = ""
        DataSynthCommand.write(try DataSynthCommand.parseSeries(args), symbolColumn: false, out: { out += $0 })
        #expect(out.split(separator: "\n").map { $0.prefix(20) } == ["time,open,high,low,c", "2024-01-02T14:30:00Z", "2024-01-02T14:35:00Z"])
        let bad = try Arguments(["--interval", "fortnight"], spec: DataSynthCommand.spec)
        #expect(throws: UsageError.self) { try DataSynthCommand.parseSeries(bad) }
    }
}
