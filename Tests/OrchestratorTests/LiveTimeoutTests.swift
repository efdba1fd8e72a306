import Foundation
import Testing
import TestSupport
@testable import Agents
import Bus
@testable import Orchestrator

/// An orchestrator on its own bus and executor, with a subscription to its decisions.
struct OrchestratorHarness {
    let bus = InMemoryBus()
    let executor: AgentExecutor
    let decisions: TypedSubscription<Decision>
    let orchestrator: OrchestratorAgent
    let running: Task<Void, Never>

    init(_ name: String, _ config: OrchestratorConfig) async throws {
        executor = AgentExecutor(name: name)
        let context = AgentContext(bus: bus, node: "main", executor: executor, clock: ManualClock())
        decisions = try await bus.subscribe(to: Decision.self, "decision.*")
        let orchestrator = try await OrchestratorAgent(context: context, config: config)
        self.orchestrator = orchestrator
        running = Task { await orchestrator.run() }
    }

    /// Shuts the bus down, waits (bounded) for the orchestrator to end, stops the executor.
    func finish() async throws {
        await bus.shutdown()
        let running = running
        try await withTimeout { await running.value }
        executor.stop()
    }
}

/// Live mode: a cycle is decided when its vote timeout passes, with the missing votes
/// recorded; a vote that comes later is ignored (counted), never decided a second time.
@Suite struct LiveTimeoutTests {
    @Test func lateVotesNeverReopenADecidedCycle() async throws {
        let h = try await OrchestratorHarness("live-timeout-test", OrchestratorConfig(
            voting: VotingConfig(weights: ["technical": 0.5, "sentiment": 0.5], voteTimeoutSeconds: 0.05),
            voters: ["technical", "sentiment"], mode: .live))
        let (bus, decisions, orchestrator) = (h.bus, h.decisions, h.orchestrator)
        let technical = Publisher(bus: bus, source: "main/technical")
        let sentiment = Publisher(bus: bus, source: "main/sentiment")
        let t = Timestamp(seconds: 1_704_067_200)
        let key = Envelope.cycleID(symbol: "X", time: t)
        func vote(_ agent: String, _ score: Double) -> Vote {
            Vote(agent: agent, symbol: "X", time: t, action: score > 0 ? .buy : .hold, score: score, confidence: 1, reason: "test")
        }

        let collected = Task {
            var out: [Decision] = []
            for await d in decisions {
                out.append(d.event)
                if out.count == 2 { break }
            }
            return out
        }
        // The first cycle opens with technical's vote; sentiment's never comes in time.
        try await technical.publish(vote("technical", 1), correlation: key)
        try await withTimeout {
            while await orchestrator.decidedCount == 0 { try await Task.sleep(for: .milliseconds(10)) }
        }
        // The late vote, then a cycle opened by a vote alone: it times out too.
        try await sentiment.publish(vote("sentiment", 1), correlation: key)
        let t2 = Timestamp(seconds: 1_704_067_260)
        try await sentiment.publish(Vote(agent: "sentiment", symbol: "X", time: t2, action: .hold, score: 0, confidence: 0, reason: "test"),
                                    correlation: Envelope.cycleID(symbol: "X", time: t2))
        let got = try await withTimeout { await collected.value }
        #expect(got.first?.time == t && got.first?.missing == ["sentiment"])
        let second = got.dropFirst().first
        #expect(second?.time == t2, "the late vote must not produce a second decision for the first cycle")
        #expect(second?.missing == ["technical"])
        #expect(await orchestrator.lateEvents == 1)
        try await h.finish()
    }
}

/// Many cycles open at once, their events interleaved: every cycle is decided once, with its
/// own votes and nothing left over from another; a cycle waiting only for a voter whose node
/// is down is decided when that voter is marked unavailable. (Written for a cycle table that
/// kept the latest cycle aside and reused decided cycles' arrays; it caught both of that
/// table's seeded bugs, and the table itself was measured slower than the dictionary, so it
/// was not kept.)
@Suite struct CycleTableTests {
    @Test func interleavedCyclesAreEachDecidedOnceWithTheirOwnVotes() async throws {
        let h = try await OrchestratorHarness("cycle-table-test", OrchestratorConfig(
            voting: VotingConfig(weights: ["technical": 0.5, "sentiment": 0.5]),
            voters: ["technical", "sentiment"], mode: .backtest))
        let (bus, decisions, orchestrator) = (h.bus, h.decisions, h.orchestrator)
        let technical = Publisher(bus: bus, source: "main/technical")
        let sentiment = Publisher(bus: bus, source: "main/sentiment")
        let execution = Publisher(bus: bus, source: "main/execution")
        let symbols = ["A", "B", "C"]
        let rounds = 30
        func time(_ round: Int) -> Timestamp { Timestamp(seconds: 1_704_067_200 + Int64(round) * 60) }
        func score(_ agent: String, _ round: Int, _ s: Int) -> Double { Double(round * 10 + s) / 1000 * (agent == "technical" ? 1 : -1) }
        func vote(_ agent: String, _ round: Int, _ s: Int) -> Vote {
            Vote(agent: agent, symbol: symbols[s], time: time(round), action: .hold, score: score(agent, round, s), confidence: 1, reason: "\(agent) \(round) \(s)")
        }
        let expected = rounds * symbols.count
        let collected = Task {
            var out: [Decision] = []
            for await d in decisions {
                out.append(d.event)
                if out.count == expected { break }
            }
            return out
        }
        for round in 0..<rounds {
            let keys = symbols.map { Envelope.cycleID(symbol: $0, time: time(round)) }
            // Technical votes in symbol order, sentiment in reverse, reports in another order:
            // each cycle's events arrive between the other cycles'.
            for s in 0..<3 { try await technical.publish(vote("technical", round, s), correlation: keys[s]) }
            for s in (0..<3).reversed() { try await sentiment.publish(vote("sentiment", round, s), correlation: keys[s]) }
            for s in [1, 0, 2] {
                try await execution.publish(ExecutionReport(symbol: symbols[s], time: time(round), filled: 0, working: 0), correlation: keys[s])
            }
        }
        let got = try await withTimeout { await collected.value }
        #expect(got.count == expected)
        var seen = Set<String>()
        for d in got {
            let key = Envelope.cycleID(symbol: d.symbol, time: d.time)
            #expect(seen.insert(key).inserted, "\(key) decided twice")
            let round = Int((d.time.nanoseconds / 1_000_000_000 - 1_704_067_200) / 60)
            let s = symbols.firstIndex(of: d.symbol)!
            #expect(d.missing.isEmpty, "\(key)")
            #expect(d.votes.map(\.agent) == ["sentiment", "technical"])
            #expect(d.votes.map(\.score) == [score("sentiment", round, s), score("technical", round, s)], "\(key)")
            #expect(d.votes.map(\.reason) == ["sentiment \(round) \(s)", "technical \(round) \(s)"])
        }
        #expect(await orchestrator.decidedCount == expected)

        // A cycle waiting only for a voter whose node is down is decided when it is marked
        // unavailable, with the vote recorded as missing; one that is still open stays.
        let late = Timestamp(seconds: 1_704_067_200 + 3600)
        let waiting = Envelope.cycleID(symbol: "A", time: late)
        let other = Envelope.cycleID(symbol: "B", time: late)
        try await technical.publish(Vote(agent: "technical", symbol: "A", time: late, action: .buy, score: 1, confidence: 1, reason: "t"), correlation: waiting)
        try await execution.publish(ExecutionReport(symbol: "A", time: late, filled: 0, working: 0), correlation: waiting)
        try await technical.publish(Vote(agent: "technical", symbol: "B", time: late, action: .buy, score: 1, confidence: 1, reason: "t"), correlation: other)
        // Every event taken by the orchestrator's loop; its handlers run before any other job
        // of their executor, such as the call below.
        let sent = UInt64(rounds * symbols.count * 3 + 3)
        try await eventually("the orchestrator has taken every event") {
            bus.statistics().subscriptions.first { $0.name == "main/orchestrator" }?.delivered == sent
        }
        #expect(await orchestrator.decidedCount == expected, "A's cycle waits for sentiment")
        try await orchestrator.setUnavailable(["sentiment"])
        #expect(await orchestrator.decidedCount == expected + 1, "only A's cycle has its report: B's still waits for it")
        let next = try await withTimeout { () -> Decision? in
            for await d in decisions { return d.event }
            return nil
        }
        #expect(next?.symbol == "A" && next?.time == late)
        #expect(next?.missing == ["sentiment"])
        #expect(next?.votes.map(\.missing) == [true, false], "no vote left over from an earlier cycle")
        try await h.finish()
    }
}
