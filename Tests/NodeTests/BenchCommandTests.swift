import Foundation
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

    /// `bench codec --events FILE` round-trips a recorded run's events; a damaged log is
    /// refused by file and line, before anything is timed.
    @Test func theCodecBenchTakesARecordedRun() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("agora-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let lines = EventType.allCases.map { EventCodec.encodeString(EventSamples.envelope($0)) }
        let good = dir.appendingPathComponent("run.jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: good, atomically: true, encoding: .utf8)
        #expect(await CommandRegistry.main(["bench", "codec", "--events", good, "--iterations", "2000", "--json"]) == 0)
        let bad = dir.appendingPathComponent("bad.jsonl").path
        try (lines[0] + "\n{\"schema\": 1\n").write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(await CommandRegistry.main(["bench", "codec", "--events", bad, "--iterations", "2000"]) == 1)
        let empty = dir.appendingPathComponent("empty.jsonl").path
        try "\n".write(toFile: empty, atomically: true, encoding: .utf8)
        #expect(await CommandRegistry.main(["bench", "codec", "--events", empty]) == 1)
        #expect(await CommandRegistry.main(["bench", "codec", "--events", dir.appendingPathComponent("none.jsonl").path]) == 1)
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
