import Foundation
import Testing
import TestSupport
@testable import Agents
import Bus
@testable import Orchestrator

/// Live mode: a cycle is decided when its vote timeout passes, with the missing votes
/// recorded; a vote that comes later is ignored (counted), never decided a second time.
@Suite struct LiveTimeoutTests {
    @Test func lateVotesNeverReopenADecidedCycle() async throws {
        let bus = InMemoryBus()
        let executor = AgentExecutor(name: "live-timeout-test")
        defer { executor.stop() }
        let context = AgentContext(bus: bus, node: "main", executor: executor, clock: ManualClock())
        let decisions = try await bus.subscribe(to: Decision.self, "decision.*")
        let config = OrchestratorConfig(voting: VotingConfig(weights: ["technical": 0.5, "sentiment": 0.5], voteTimeoutSeconds: 0.05),
                                        voters: ["technical", "sentiment"], mode: .live)
        let orchestrator = try await OrchestratorAgent(context: context, config: config)
        let running = Task { await orchestrator.run() }
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
        await bus.shutdown()
        try await withTimeout { await running.value }
    }
}
