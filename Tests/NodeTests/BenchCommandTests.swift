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
        (["bench", "backtest", "--bars", "300", "--breakdown"], 0),
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

    /// The breakdown times every agent's handler: each agent that handles events per bar
    /// has at least those calls counted (three votes and an execution report reach the
    /// orchestrator per bar, and the fills), and time to go with them.
    @Test func theBreakdownTimesEachAgentsHandler() async throws {
        let times = HandlerTimes()
        let bars = 400
        let r = try await BenchBacktestCommand.execute(Topology(file: ""), bars: bars, seed: 1, handlerTimes: times)
        let byAgent = Dictionary(uniqueKeysWithValues: times.entries.map { ($0.agent, $0) })
        #expect(Set(byAgent.keys).isSuperset(of: ["market-data", "technical", "sentiment", "risk", "orchestrator", "portfolio", "execution"]))
        for agent in ["technical", "sentiment", "risk", "execution"] {
            #expect(byAgent[agent]?.calls ?? 0 >= UInt64(bars), "\(agent) handles every bar")
        }
        let fills = r.recorder.trades.count * 2
        #expect(byAgent["orchestrator"]?.calls ?? 0 >= UInt64(4 * bars + fills))
        for e in times.entries where e.calls > 0 { #expect(e.nanoseconds > 0, "\(e.agent)") }
    }
}
