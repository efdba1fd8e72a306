import Testing
import TestSupport
@testable import Agents
import Bus

/// The journal agent on a real in-memory bus: it publishes `journal.report` every N
/// closed trades, at the end of the run, and when asked.
@Suite struct JournalAgentTests {
    static func closed(_ i: Int, pnl: Double) -> ClosedTrade {
        let entry = Timestamp(seconds: 1_704_708_000 + Int64(i * 3600))
        return ClosedTrade(tradeId: "t-\(i)", symbol: i % 2 == 0 ? "AAPL" : "MSFT", side: .long, quantity: 10,
                           entryTime: entry, entryPrice: 100, exitTime: entry + .seconds(1800), exitPrice: 100 + pnl / 10,
                           pnl: pnl, fees: 0, exitReason: i % 2 == 0 ? "signal" : "stop")
    }

    /// Risk's exits carry sentences with prices; the tag is their kind, so that one tag
    /// gathers every stop-loss (each was a tag of its own), and the sentence is kept as notes.
    @Test(arguments: [("stop-loss: close 381 is 10.01% against the average cost 423.38 (limit 8%)", "exit:stop-loss"),
                      ("take-profit: close 530 is 25.2% beyond the average cost 423.38 (target 25%)", "exit:take-profit"),
                      ("signal", "exit:signal"), ("end of data", "exit:end of data")])
    func pipelineTradesAreTaggedByTheKindOfTheirExit(_ reason: String, _ tag: String) {
        var c = Self.closed(1, pnl: -40)
        c.exitReason = reason
        let t = JournalTrade(closed: c)
        #expect(t.tags == [tag])
        #expect(t.notes == (reason.contains(":") ? reason : ""))
    }

    @Test func publishesAtEveryTrigger() async throws {
        let bus = InMemoryBus()
        let executor = AgentExecutor(name: "journal-test")
        let clock = ManualClock(Timestamp(seconds: 1_800_000_000))
        let context = AgentContext(bus: bus, executor: executor, clock: clock)
        let reports = try await bus.subscribe(to: JournalReport.self, "journal.report")
        let agent = try await JournalAgent(context: context, config: .init(reportEvery: 2))
        let running = Task { await agent.run() }

        let portfolio = Publisher(bus: bus, source: "main/portfolio", clock: clock)
        var tradeIDs: [EventID] = []
        for i in 1...3 {
            tradeIDs.append(try await portfolio.publish(Self.closed(i, pnl: i == 2 ? -20 : 30), correlation: "AAPL@bar-\(i)"))
        }
        let cli = Publisher(bus: bus, source: "cli/agora", clock: clock)
        let requestTime = Timestamp(seconds: 1_704_800_000)
        let requestID = try await cli.publish(JournalRequest(time: requestTime, requestedBy: "cli"))
        let market = Publisher(bus: bus, source: "main/market-data", clock: clock)
        let endTime = Timestamp(seconds: 1_704_900_000)
        let endID = try await market.publish(MarketEnd(time: endTime, symbols: ["AAPL", "MSFT"], bars: 3))
        // The fourth trade completes the second batch of two.
        let fourth = try await portfolio.publish(Self.closed(4, pnl: 5))
        // The portfolio's last word, after it closed what was open at the end: the final report.
        let finishedID = try await portfolio.publish(RunFinished(time: endTime, trades: 4, equity: 100_065, by: "portfolio"))

        let got = try await withTimeout {
            var out: [Delivery<JournalReport>] = []
            for await d in reports {
                out.append(d)
                if out.count == 5 { break }
            }
            return out
        }
        #expect(got.map(\.event.trades) == [2, 3, 3, 4, 4])
        #expect(got[3].envelope.causation == fourth)
        #expect(got[4].envelope.causation == finishedID)
        #expect(got[4].event.time == endTime)
        // Every N trades: after the second trade, timed at its exit, caused by it.
        #expect(got[0].envelope.causation == tradeIDs[1])
        #expect(got[0].envelope.correlation == "AAPL@bar-2")
        #expect(got[0].event.time == Self.closed(2, pnl: 0).exitTime)
        #expect(got[0].envelope.source == "main/journal")
        #expect(got[0].event.summary == "2 trades, win rate 50.0%, profit factor 1.50, net P&L +10.00")
        // On request, and at the end of the run.
        #expect(got[1].envelope.causation == requestID)
        #expect(got[1].event.time == requestTime)
        #expect(got[2].envelope.causation == endID)
        #expect(got[2].event.time == endTime)
        #expect(got[2].envelope.published == clock.now())
        // The report is the full JSON report; pipeline trades carry their exit reason as a tag.
        let report = got[2].event.report
        #expect(report["metrics"]?["headline"]?["trades"] == .number(3))
        #expect(report["metrics"]?["journal"]?["source"] == .string("bus"))
        let tags = report["metrics"]?["breakdowns"]?["tag"]?.arrayValue?.compactMap { $0["key"]?.stringValue }
        #expect(tags == ["exit:stop", "exit:signal"])
        // The session rule is off by default on the bus.
        let outside = report["behavioural_patterns"]?.arrayValue?.first { $0["pattern"] == .string("outside_hours") }
        #expect(outside?["status"] == .string("disabled"))

        await bus.shutdown()
        try await withTimeout { await running.value }
        #expect(await agent.tradeCount == 4)
        #expect(await agent.reportsPublished == 5)
        executor.stop()
    }

    @Test func reportEveryZeroOnlyReportsOnRequest() async throws {
        let bus = InMemoryBus()
        let executor = AgentExecutor(name: "journal-test-2")
        let context = AgentContext(bus: bus, executor: executor)
        let reports = try await bus.subscribe(to: JournalReport.self, "journal.report")
        let agent = try await JournalAgent(context: context, config: .init(reportEvery: 0))
        let running = Task { await agent.run() }
        let portfolio = Publisher(bus: bus, source: "main/portfolio")
        for i in 1...5 { try await portfolio.publish(Self.closed(i, pnl: 10)) }
        try await Publisher(bus: bus, source: "cli/agora").publish(JournalRequest(time: .epoch, requestedBy: "test"))
        let first = try await withTimeout { () -> Delivery<JournalReport>? in
            for await d in reports { return d }
            return nil
        }
        #expect(first?.event.trades == 5)
        #expect(first?.event.summary == "5 trades, win rate 100.0%, profit factor ∞, net P&L +50.00")
        await bus.shutdown()
        try await withTimeout { await running.value }
        #expect(await agent.reportsPublished == 1)
        executor.stop()
    }

    /// Past the first reports the cadence grows with the journal (`reportGrowth`).
    @Test func periodicReportsThinOutAsTheJournalGrows() async throws {
        let bus = InMemoryBus()
        let executor = AgentExecutor(name: "journal-test-4")
        let context = AgentContext(bus: bus, executor: executor)
        let reports = try await bus.subscribe(to: JournalReport.self, "journal.report")
        let agent = try await JournalAgent(context: context, config: .init(reportEvery: 1, reportGrowth: 0.5))
        let running = Task { await agent.run() }
        let portfolio = Publisher(bus: bus, source: "main/portfolio")
        for i in 1...10 { try await portfolio.publish(Self.closed(i, pnl: 10)) }
        try await Publisher(bus: bus, source: "cli/agora").publish(JournalRequest(time: .epoch, requestedBy: "test"))
        let counts = try await withTimeout { () -> [Int] in
            var out: [Int] = []
            for await d in reports {
                out.append(d.event.trades)
                if d.event.trades == 10 { break }
            }
            return out
        }
        // Steps of max(1, ⌈trades × 0.5⌉): 1, 2, 3, 5, 8, then 12; the request reports all 10.
        #expect(counts == [1, 2, 3, 5, 8, 10])
        await bus.shutdown()
        try await withTimeout { await running.value }
        executor.stop()
    }

    struct Upper: ReportRephraser {
        func rephrase(_ sentences: [RephraseItem]) async throws -> [String] { sentences.map { "» " + $0.text } }
    }

    @Test func theAgentUsesARephraserWhenGivenOne() async throws {
        let bus = InMemoryBus()
        let executor = AgentExecutor(name: "journal-test-3")
        let agent = try await JournalAgent(context: AgentContext(bus: bus, executor: executor), rephraser: Upper())
        let report = await agent.currentReport()
        #expect(report.summary.text == "» No closed trades to analyse yet.")
        await bus.shutdown()
        executor.stop()
    }

    @Test func configDecodesFromAnySubsetAndRefusesUnknownKeys() throws {
        let c = try JSONDecoder().decode(JournalAgent.Config.self, from: Data(#"{"reportEvery": 10, "analysis": {"revenge": {"windowMinutes": 45}}}"#.utf8))
        #expect(c.reportEvery == 10)
        #expect(c.reportGrowth == 0.1)
        #expect(try JSONDecoder().decode(JournalAgent.Config.self, from: Data(#"{"reportGrowth": 0}"#.utf8)).reportGrowth == 0)
        #expect(c.analysis.revenge.windowMinutes == 45)
        #expect(c.analysis.revenge.sizeMultiple == 1.3)
        #expect(c.analysis.session.enabled == false)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(JournalConfig.self, from: Data(#"{"revenge": {"windowMinutse": 45}}"#.utf8))
        }
        let roundTrip = try JSONDecoder().decode(JournalConfig.self, from: JSONEncoder().encode(JournalConfig()))
        #expect(roundTrip == JournalConfig())
        var bad = JournalConfig()
        bad.session.start = "9h30"
        bad.tilt.lossStreak = 0
        #expect(bad.problems() == ["tilt.lossStreak: must be at least 1", "session.start: expected HH:MM, got \"9h30\""])
    }
}

import Foundation
