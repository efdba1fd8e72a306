import Testing
@testable import Agents
import Bus

/// Golden values from backtesting.py 0.6.6's `compute_stats` on the same equity curve,
/// closes and trades (the script that produced them is described in docs/backtest.md).
@Suite struct BacktestStatsTests {
    static let days = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09", "2024-01-10", "2024-01-11", "2024-01-12"]
    static var times: [Timestamp] { days.map { try! ISO8601.parse($0) } }

    static func trade(_ id: String, _ entry: Int, _ exit: Int, _ qty: Double, _ ep: Double, _ xp: Double, fees: Double) -> ClosedTrade {
        ClosedTrade(tradeId: id, symbol: "X", side: .long, quantity: qty, entryTime: times[entry], entryPrice: ep,
                    exitTime: times[exit], exitPrice: xp, pnl: qty * (xp - ep) - fees, fees: fees, exitReason: "signal")
    }

    static let stats = BacktestStatistics.compute(BacktestInputs(
        times: times,
        equity: [1000, 1000, 1050, 1020, 1100, 1080, 990, 1010, 1120, 1150],
        closes: ["X": [10, 10.5, 11, 10.8, 11.5, 11.2, 10.1, 10.4, 11.6, 12.0]],
        trades: [trade("t-1", 1, 3, 100, 10, 10.2, fees: 1), trade("t-2", 4, 6, 90, 11, 10, fees: 1), trade("t-3", 6, 9, 95, 10, 11.5, fees: 1.5)]))

    static let golden: [(String, Double)] = [
        ("Exposure Time [%]", 90.0), ("Equity Final [$]", 1150), ("Equity Peak [$]", 1150), ("Return [%]", 15),
        ("Buy & Hold Return [%]", 20), ("Return (Ann.) [%]", 4906.561206562171), ("Volatility (Ann.) [%]", 5672.371481876704),
        ("CAGR [%]", 10262.014579602006), ("Sharpe Ratio", 0.8649929261929854), ("Sortino Ratio", 103.08316043426024),
        ("Calmar Ratio", 490.6561206562172), ("Alpha [%]", -2.7106342495756977), ("Beta", 0.8855317124787848),
        ("Max. Drawdown [%]", -9.999999999999998), ("Avg. Drawdown [%]", -6.428571428571428),
        ("Max. Drawdown Duration", 518_400), ("Avg. Drawdown Duration", 345_600), ("Duration", 950_400),
        ("# Trades", 3), ("Win Rate [%]", 66.66666666666666), ("Best Trade [%]", 14.842105263157896),
        ("Worst Trade [%]", -9.191919191919196), ("Avg. Trade [%]", 2.046929600445946),
        ("Max. Trade Duration", 345_600), ("Avg. Trade Duration", 259_200), ("Profit Factor", 1.8213938692886054),
        ("Expectancy [%]", 2.5167286904129003), ("SQN", 0.3432708374372455), ("Kelly Criterion", 0.2874999999999999),
    ]

    @Test(arguments: BacktestStatsTests.golden.indices)
    func matchesBacktestingPy(_ i: Int) throws {
        let (name, expected) = Self.golden[i]
        let value = try #require(Self.stats.number(name), "missing \(name)")
        #expect(abs(value - expected) <= 1e-9 * max(1, abs(expected)), "\(name): \(value) vs \(expected)")
    }

    @Test func commissionsAppearWhenPaid() {
        #expect(Self.stats.number("Commissions [$]") == 3.5)
        #expect(Self.stats["Start"] == .time(Self.times[0]))
    }

    @Test func noTradesGivesNaNsNotCrashes() {
        let s = BacktestStatistics.compute(BacktestInputs(times: Self.times, equity: Array(repeating: 1000, count: 10), closes: [:], trades: []))
        #expect(s.number("# Trades") == 0)
        #expect(s.number("Win Rate [%]")!.isNaN)
        #expect(s.number("Return [%]") == 0)
        #expect(s.number("Max. Drawdown [%]") == 0)
    }
}
