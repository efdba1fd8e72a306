import Foundation
import Testing
@testable import Node
import Bus

/// `examples/sma-cross.json` against backtesting.py 0.6.6's SmaCross(10, 20) on the same
/// data: the trade list must be the same, trade for trade. The golden file is written by
/// scripts/parity/sma_cross_backtesting_py.py (backtesting.py itself is not needed here).
@Suite struct ParityTests {
    struct Trade: Equatable, CustomStringConvertible {
        var entry: String, exit: String, quantity: Double, entryPrice: Double, exitPrice: Double, pnl: Double
        var description: String { "\(entry)→\(exit) \(quantity) @ \(entryPrice)→\(exitPrice) P&L \(pnl)" }

        func matches(_ o: Trade) -> Bool {
            entry == o.entry && exit == o.exit && quantity == o.quantity && entryPrice == o.entryPrice && exitPrice == o.exitPrice
                && Swift.abs(pnl - o.pnl) <= 1e-6 * max(1, Swift.abs(o.pnl))
        }
    }

    static func csv(_ path: String) throws -> [[String: String]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first else { return [] }
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
    }

    @Test func smaCrossMatchesBacktestingPyTradeForTrade() async throws {
        let golden = try Self.csv("Tests/Golden/sma-cross-backtesting-py.csv").map {
            Trade(entry: $0["entry_time"]!, exit: $0["exit_time"]!, quantity: Double($0["quantity"]!)!,
                  entryPrice: Double($0["entry_price"]!)!, exitPrice: Double($0["exit_price"]!)!, pnl: Double($0["pnl"]!)!)
        }
        let out = scratchDirectory("parity-sma") + "/trades.csv"
        #expect(await CommandRegistry.main(["backtest", "--config", "examples/sma-cross.json", "--trades", out, "--log-level", "warning"]) == 0)
        let ours = try Self.csv(out).map {
            Trade(entry: String($0["entry_time"]!.prefix(10)), exit: String($0["exit_time"]!.prefix(10)), quantity: Double($0["quantity"]!)!,
                  entryPrice: Double($0["entry_price"]!)!, exitPrice: Double($0["exit_price"]!)!, pnl: Double($0["pnl"]!)!)
        }
        #expect(golden.count == 47)
        #expect(ours.count == golden.count)
        for (i, (a, b)) in zip(ours, golden).enumerated() {
            #expect(a.matches(b), "trade \(i + 1): agora \(a), backtesting.py \(b)")
        }
        let equity = 100_000 + ours.reduce(0) { $0 + $1.pnl }
        #expect(Swift.abs(equity - 763_163.22) < 0.01)
    }

    /// The config copied elsewhere (its relative data path no longer resolves) still runs
    /// on data given with --data, which replaces market.data; without --data it is refused.
    @Test func aCopiedConfigRunsOnDataGivenWithTheDataFlag() async throws {
        let dir = scratchDirectory("parity-copied-config")
        let config = dir + "/sma.json"
        try? FileManager.default.removeItem(atPath: config)
        try FileManager.default.copyItem(atPath: "examples/sma-cross.json", toPath: config)
        let data = FileManager.default.currentDirectoryPath + "/data/GOOG.csv"
        let out = dir + "/trades.csv"
        #expect(await CommandRegistry.main(["backtest", "--data", data, "--config", config, "--trades", out, "--log-level", "warning"]) == 0)
        #expect(try Self.csv(out).count == 47)
        #expect(await CommandRegistry.main(["backtest", "--config", config, "--log-level", "warning"]) == 1)
    }
}
