import Foundation
import Testing
@testable import Node

/// Inputs the readers accept but that are far from everyday values: the run reports them,
/// it does not trap on a number that does not fit an integer.
@Suite struct ExtremeInputTests {
    /// A scratch folder with `series(exponent:)` written in it as `name`: (folder, file).
    static func withSeries(_ name: String, exponent: String) throws -> (URL, String) {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("agora-extreme-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        let csv = d.appendingPathComponent(name).path
        try series(exponent: exponent).write(toFile: csv, atomically: true, encoding: .utf8)
        return (d, csv)
    }

    /// 300 daily bars of a wavy series, every price written with `exponent` appended
    /// (`101.5e18`): the same shape at any scale.
    static func series(exponent: String) -> String {
        var out = "time,open,high,low,close,volume\n"
        var previous = 100.0
        let start = Date(timeIntervalSince1970: 1_577_836_800)
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd"
        f.timeZone = TimeZone(identifier: "UTC")
        for i in 0..<300 {
            let close = (100 * (1 + 0.08 * sin(Double(i) / 6) + 0.0005 * Double(i)) * 100).rounded() / 100
            let high = max(previous, close) + 0.5, low = min(previous, close) - 0.5
            out += "\(f.string(from: start.addingTimeInterval(Double(i) * 86_400))),\(previous)\(exponent),\(high)\(exponent),\(low)\(exponent),\(close)\(exponent),\(500_000 + i)\n"
            previous = close
        }
        return out
    }

    @Test(arguments: ["e18", "e-300", ""])
    func aBacktestRunsAtAnyPriceScale(exponent: String) async throws {
        let (d, csv) = try Self.withSeries("X.csv", exponent: exponent)
        defer { try? FileManager.default.removeItem(at: d) }
        let trades = d.appendingPathComponent("trades.csv").path
        #expect(await CommandRegistry.main(["backtest", "--data", csv, "--trades", trades, "--log-level", "warning"]) == 0)
        let written = try String(contentsOfFile: trades, encoding: .utf8)
        // At 1e18 a share costs more than the cash: no trade, and no trap either.
        #expect((written.split(separator: "\n").count > 1) == (exponent != "e18"), "trades at \(exponent)")
    }

    /// A penny stock bought all in with 1e15: share counts beyond Int64.
    @Test func sharesBeyondInt64AreReported() async throws {
        let (d, csv) = try Self.withSeries("PENNY.csv", exponent: "e-6")
        defer { try? FileManager.default.removeItem(at: d) }
        let config = d.appendingPathComponent("allin.json").path
        try #"{"agents": {"portfolio": {"initialCash": 1e15, "sizing": {"mode": "all-in"}}, "risk": {"limits": "none"}}}"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        let trades = d.appendingPathComponent("trades.csv").path
        #expect(await CommandRegistry.main(["backtest", "--data", csv, "--config", config, "--trades", trades, "--log-level", "warning"]) == 0)
        let rows = try String(contentsOfFile: trades, encoding: .utf8).split(separator: "\n")
        #expect(rows.count > 1)
        #expect(rows.dropFirst().allSatisfy { $0.split(separator: ",")[3].contains("e+") }, "share counts past 9.2e18 in the shortest form")
    }

    /// Two outputs on one file are refused before the run (one would replace the other).
    @Test func twoOutputsOnOneFileAreRefused() async throws {
        let (d, csv) = try Self.withSeries("X.csv", exponent: "")
        defer { try? FileManager.default.removeItem(at: d) }
        let same = d.appendingPathComponent("same.csv").path
        #expect(await CommandRegistry.main(["backtest", "--data", csv, "--trades", same, "--equity", same, "--log-level", "warning"]) == 1)
        #expect(!FileManager.default.fileExists(atPath: same))
        let paths = RunOutputs.Paths(topology: Topology(file: ""), dir: nil, writeDefaults: false, trades: d.path + "/a/../j.md", journal: d.path + "/j.json")
        #expect(paths.collision(record: nil) == "the trades and journal's Markdown outputs would both write \(d.path)/j.md")
        #expect(paths.collision(record: d.path + "/j.json") == "the journal and events outputs would both write \(d.path)/j.json")
    }
}
