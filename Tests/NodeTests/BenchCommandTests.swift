import Testing
@testable import Node
import Agents
import Bus

/// The bench commands' options (their figures are for release builds; here only that they
/// run and refuse bad input).
@Suite struct BenchCommandTests {
    @Test(arguments: [
        (["bench", "codec", "--repeat", "0"], 64),
        (["bench", "codec", "--iterations", "x"], 64),
        (["bench", "backtest", "--repeat", "101"], 64),
        (["bench", "backtest", "--bars", "10"], 64),
        (["bench", "bus", "--repeat", "2"], 64),
        (["bench", "codec", "--iterations", "2000", "--repeat", "2", "--json"], 0),
        (["bench", "backtest", "--bars", "300", "--repeat", "2", "--json"], 0),
    ] as [([String], Int32)])
    func exitCodes(argv: [String], code: Int32) async {
        #expect(await CommandRegistry.main(argv) == code)
    }
}

/// The bus counters a run reports (the backtest bench prints events and deliveries per bar).
@Suite struct RunBusCountersTests {
    @Test func aCycleGatedRunCountsItsEventsAndDeliveries() async throws {
        let r = try await BenchBacktestCommand.execute(Topology(file: ""), bars: 400, seed: 1)
        // Every bar: the bar, three votes, the execution report and the decision at least.
        #expect(r.bus.published >= 6 * 400)
        let delivered = r.bus.subscriptions.reduce(UInt64(0)) { $0 + $1.delivered }
        #expect(delivered >= r.bus.published)
        #expect(r.bus.dropped == 0)
    }
}
