import Testing
@testable import Agents
import Bus

@Suite struct BarCSVReaderTests {
    func readAll(_ path: String, _ options: BarCSVReader.Options = .init()) throws -> [Bar] {
        let r = try BarCSVReader(path: path, options: options)
        var out: [Bar] = []
        while let rec = try r.next() { out.append(rec.bar) }
        return out
    }

    /// The error a file raises, as its one-line message.
    func problem(_ path: String, _ options: BarCSVReader.Options = .init()) -> String? {
        do {
            _ = try readAll(path, options)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func readsTheBundledGoogleSample() throws {
        let bars = try readAll(MarketTestKit.root.appendingPathComponent("data/GOOG.csv").path)
        #expect(bars.count == 2148)
        #expect(bars.first == Bar(symbol: "GOOG", time: MarketTestKit.day("2004-08-19"), open: 100, high: 104.06, low: 95.96, close: 100.34, volume: 22_351_900))
        #expect(bars.last == Bar(symbol: "GOOG", time: MarketTestKit.day("2013-03-01"), open: 797.8, high: 807.14, low: 796.15, close: 806.19, volume: 2_175_400))
        #expect(zip(bars, bars.dropFirst()).allSatisfy { $0.time < $1.time })
    }

    @Test func plainLayoutWithZonesAndCaseInsensitiveHeaders() throws {
        let path = try MarketTestKit.file("aapl.csv", """
             TIME , Open,HIGH ,low,Close,VOLUME
            2024-01-02T09:30:00-05:00,10,11,9,10.5,100
            2024-01-02 15:30,10.5,12,10,11,200
            2024-01-02T16:30:00Z,11,11,11,11,0
            2024-01-03,11,11.5,10.5,11.25,300.5
            """)
        let bars = try readAll(path)
        #expect(bars.map(\.symbol) == ["AAPL", "AAPL", "AAPL", "AAPL"])
        #expect(bars.map(\.time.iso8601) == ["2024-01-02T14:30:00Z", "2024-01-02T15:30:00Z", "2024-01-02T16:30:00Z", "2024-01-03T00:00:00Z"])
        #expect(bars[3] == Bar(symbol: "AAPL", time: MarketTestKit.day("2024-01-03"), open: 11, high: 11.5, low: 10.5, close: 11.25, volume: 300.5))
    }

    @Test func theSymbolComesFromTheOptionOrTheFileName() throws {
        let path = try MarketTestKit.file("msft.daily.csv", "time,open,high,low,close,volume\n2024-01-02,1,1,1,1,1\n")
        #expect(try readAll(path).first?.symbol == "MSFT.DAILY")
        #expect(try readAll(path, .init(symbol: "MSFT")).first?.symbol == "MSFT")
        let bad = try MarketTestKit.file("my data.csv", "time,open,high,low,close,volume\n")
        #expect(problem(bad) == "\(bad): symbol: symbol \"MY DATA\" contains a space or control character (taken from the file name); give the symbol (--symbol, or market.data[].symbol)")
        #expect(problem(path, .init(symbol: "GO OG")) == "\(path): symbol: symbol \"GO OG\" contains a space or control character")
    }

    static let header = "time,open,high,low,close,volume\n2024-01-02,10,11,9,10.5,100\n"

    /// Each validation error, with its exact message (the bad row is line 3).
    @Test(arguments: [
        ("2024-01-03,abc,11,9,10,100", "3: open: not a number: \"abc\""),
        ("2024-01-03,0x10,11,9,10,100", "3: open: not a number: \"0x10\""),
        ("2024-01-03,10,11,9,inf,100", "3: close: not a finite number: \"inf\""),
        ("2024-01-03,10,11,9,nan,100", "3: close: not a finite number: \"nan\""),
        ("2024-01-03,10,1e999,9,10,100", "3: high: not a finite number: \"1e999\""),
        ("2024-01-03,10,11,9, ,100", "3: close: empty value"),
        ("2024-01-03,10,9.5,10,10,100", "3: high: high 9.5 is below low 10"),
        ("2024-01-03,12,11,10,10.5,100", "3: open: open 12 is outside [low 10, high 11]"),
        ("2024-01-03,9.99,11,10,10.5,100", "3: open: open 9.99 is outside [low 10, high 11]"),
        ("2024-01-03,10.5,11,10,9,100", "3: close: close 9 is outside [low 10, high 11]"),
        ("2024-01-03,10.5,11,10,11.01,100", "3: close: close 11.01 is outside [low 10, high 11]"),
        ("2024-01-03,10,11,9,10,-5", "3: volume: negative volume -5"),
        ("2024-01-03,-1,0,-2,-1,5", "3: low: low -2 is not a positive price"),
        ("2024-01-03,0,0,0,0,5", "3: low: low 0 is not a positive price"),
        ("2024-01-02,10,11,9,10,100", "3: time: duplicate timestamp 2024-01-02T00:00:00Z (line 2)"),
        ("2024-01-01,10,11,9,10,100", "3: time: timestamp 2024-01-01T00:00:00Z goes backwards (line 2 has 2024-01-02T00:00:00Z)"),
        ("2024/01/03,10,11,9,10,100", "3: time: not an ISO 8601 date or date-time: \"2024/01/03\""),
        (",10,11,9,10,100", "3: time: empty value"),
        ("2024-01-03,10,11,9,10", "3: expected 6 columns, got 5"),
        ("2024-01-03,10,11,9,10,1,7", "3: expected 6 columns, got 7"),
        ("2024-01-03,\"10,11,9,10,1", "3: unterminated quoted field"),
    ])
    func validationErrors(_ row: String, _ expected: String) throws {
        let path = try MarketTestKit.file("x.csv", Self.header + row + "\n2024-01-09,10,11,9,10,100\n")
        #expect(problem(path) == "\(path):\(expected)")
    }

    @Test func messagesUseTheHeaderAsTheFileSpellsIt() throws {
        let path = try MarketTestKit.file("GOOG.csv", """
            Date,Open,High,Low,Close,Adj Close,Volume
            2004-08-19,100.000000,104.060000,95.960000,100.340000,100.340000,22351900
            2004-08-20,101.010000,109.080000,100.500000,99.000000,108.310000,11428600
            """)
        #expect(problem(path) == "\(path):3: Close: close 99.000000 is outside [low 100.500000, high 109.080000]")
    }

    @Test func headerProblems() throws {
        let missing = try MarketTestKit.file("a.csv", "Date,Open,High,Low,Adj Close,Volume\n")
        #expect(problem(missing) == "\(missing):1: header: missing column \"close\" (found: Date, Open, High, Low, Adj Close, Volume); expected time,open,high,low,close,volume or Yahoo's Date,Open,High,Low,Close,Adj Close,Volume")
        let two = try MarketTestKit.file("b.csv", "open,close\n")
        #expect(problem(two)?.hasPrefix("\(two):1: header: missing columns \"time\", \"high\", \"low\", \"volume\" (found: open, close)") == true)
        let both = try MarketTestKit.file("c.csv", "date,time,open,high,low,close,volume\n")
        #expect(problem(both) == "\(both):1: header: columns \"date\" and \"time\" both name the time column")
        let empty = try MarketTestKit.file("d.csv", "\n\n")
        #expect(problem(empty) == "\(empty): empty file: expected a header line such as time,open,high,low,close,volume")
    }

    @Test func symbolColumnFilesAndTheirChecks() throws {
        let path = try MarketTestKit.file("multi.csv", """
            time,symbol,open,high,low,close,volume
            2024-01-02,MSFT,1,1,1,1,1
            2024-01-02,AAPL,2,2,2,2,2
            2024-01-03,AAPL,3,3,3,3,3
            """)
        #expect(try readAll(path).map(\.symbol) == ["MSFT", "AAPL", "AAPL"])
        #expect(try readAll(path, .init(symbol: "AAPL")).map(\.close) == [2, 3])
        #expect(try readAll(path, .init(symbol: "NONE")).isEmpty)

        let dup = try MarketTestKit.file("dup.csv", "time,symbol,open,high,low,close,volume\n2024-01-02,MSFT,1,1,1,1,1\n2024-01-02,AAPL,1,1,1,1,1\n2024-01-02,MSFT,1,1,1,1,1\n")
        #expect(problem(dup) == "\(dup):4: time: duplicate timestamp 2024-01-02T00:00:00Z for MSFT (line 2)")

        let bySymbol = try MarketTestKit.file("sorted.csv", "time,symbol,open,high,low,close,volume\n2024-01-02,AAPL,1,1,1,1,1\n2024-01-03,AAPL,1,1,1,1,1\n2024-01-02,MSFT,1,1,1,1,1\n")
        #expect(problem(bySymbol) == "\(bySymbol):4: time: timestamp 2024-01-02T00:00:00Z goes backwards (line 3 has 2024-01-03T00:00:00Z); a file with a symbol column must be sorted by time")
        // Filtered to one symbol, the other symbols' order does not matter.
        #expect(try readAll(bySymbol, .init(symbol: "MSFT")).count == 1)

        let badSymbol = try MarketTestKit.file("bs.csv", "time,Symbol,open,high,low,close,volume\n2024-01-02,A*B,1,1,1,1,1\n")
        #expect(problem(badSymbol) == "\(badSymbol):2: Symbol: symbol \"A*B\" contains a glob character (* ? [ ] \\)")
    }

    @Test func skipBadRowsSkipsCountsAndReports() throws {
        let path = try MarketTestKit.file("s.csv", """
            time,open,high,low,close,volume
            2024-01-02,10,11,9,10,100
            2024-01-03,10,11,9,abc,100
            2024-01-02,10,11,9,10,100
            2024-01-04,10,11,9,10,100
            2024-01-05,10,11,9
            2024-01-06,10,11,9,10,100
            """)
        let r = try BarCSVReader(path: path, options: .init(skipBadRows: true))
        var times: [String] = []
        while let rec = try r.next() { times.append(ISO8601.formatDate(rec.bar.time)) }
        #expect(times == ["2024-01-02", "2024-01-04", "2024-01-06"])
        let report = try #require(r.skipped)
        #expect(report.count == 3)
        #expect(report.first?.description == "\(path):3: close: not a number: \"abc\"")
        #expect(report.description == "skipped 3 bad rows in \(path) (first: \(path):3: close: not a number: \"abc\")")
        // Without the option the same file is refused at its first bad row.
        #expect(problem(path) == "\(path):3: close: not a number: \"abc\"")
    }

    @Test func validateReadsTheWholeFile() throws {
        let good = try MarketTestKit.file("g.csv", Self.header + "2024-01-03,10,11,9,10,100\n")
        #expect(try BarCSVReader.validate(path: good).bars == 2)
        let bad = try MarketTestKit.file("b.csv", Self.header + "2024-01-03,10,11,9,10,100\n2024-01-04,10,11,9,10,-1\n")
        #expect(throws: InputError(file: bad, line: 4, field: "volume", "negative volume -1")) { try BarCSVReader.validate(path: bad) }
    }
}
