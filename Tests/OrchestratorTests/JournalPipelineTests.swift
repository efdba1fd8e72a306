import Testing
import TestSupport
@testable import Agents
import Bus
@testable import Orchestrator

/// The journal agent in the real pipeline: its final report (on `system.finished`) counts
/// the trade the portfolio closes when the data ends, which the `market.end` report cannot.
@Suite struct JournalPipelineTests {
    @Test func finalReportIncludesTheTradesClosedAtTheEnd() async throws {
        let bus = InMemoryBus()
        let executor = AgentExecutor(name: "journal-pipeline-test")
        let context = AgentContext(bus: bus, node: "main", executor: executor, clock: ManualClock())
        let reports = try await bus.subscribe(["journal.report"], options: SubscriptionOptions(name: "reports", policy: .suspend(capacity: 1 << 10)))
        let voter = try await ScriptedVoter(context: context, script: [0: 1, 3: -1, 5: 1])
        let orchestrator = try await OrchestratorAgent(context: context, config: OrchestratorConfig(voting: VotingConfig(weights: ["technical": 1]), voters: ["technical"]))
        let portfolio = try await PortfolioAgent(context: context, config: PortfolioConfig(initialCash: 10_000, sizing: SizingConfig(mode: .allIn)))
        let risk = try await RiskAgent(context: context, config: RiskConfig(limits: .none, initialCash: 10_000))
        let execution = try await ExecutionAgent(context: context)
        let journal = try await JournalAgent(context: context, config: .init(reportEvery: 1))
        let tasks = [
            Task { await voter.run() }, Task { await orchestrator.run() }, Task { await portfolio.run() },
            Task { await risk.run() }, Task { await execution.run() }, Task { await journal.run() },
        ]
        try await withTimeout { try await replay(bars([100, 101, 102, 103, 104, 105, 106, 107]), bus: bus, context: context) }
        await bus.shutdown()
        for t in tasks { try await withTimeout { await t.value } }
        executor.stop()
        var got: [JournalReport] = []
        for await e in reports { if let r = e.event(as: JournalReport.self) { got.append(r) } }
        // One report per closed trade (reportEvery 1), one at market.end, the final one.
        #expect(got.map(\.trades) == [1, 1, 2, 2])
        let final = try #require(got.last)
        let tags = final.report["metrics"]?["breakdowns"]?["tag"]?.arrayValue?.compactMap { $0["key"]?.stringValue }.sorted()
        #expect(tags == ["exit:end of data", "exit:signal"])
        #expect(final.report["metrics"]?["headline"]?["trades"] == .number(2))
    }
}
