import Synchronization
import Testing
import TestSupport
@testable import Agents
import Bus

/// The market-data and technical agents on an in-memory bus.
@Suite struct MarketAgentsTests {
    typealias K = MarketTestKit

    static func context(_ bus: InMemoryBus, clock: any WallClock = SystemClock()) -> AgentContext {
        AgentContext(bus: bus, node: "main", executor: AgentExecutor(name: "test-agents"), clock: clock)
    }

    /// The terminal events of a cycle, in turn: each one ends it.
    static func terminal(_ k: Int, for bar: Bar) -> any BusEvent {
        let order = OrderRequest(orderId: "o-\(k)", symbol: bar.symbol, time: bar.time, side: .buy, type: .market,
                                 intent: .entry, quantity: 1, referencePrice: bar.close, reason: "test")
        switch k % 5 {
        case 0: return Decision(symbol: bar.symbol, time: bar.time, action: .hold, score: 0, reason: "hold")
        case 1: return OrderDenied(orderId: "o-\(k)", symbol: bar.symbol, time: bar.time, by: "risk")
        case 2: return OrderRejected(orderId: "o-\(k)", symbol: bar.symbol, time: bar.time, code: "x", message: "x")
        case 3: return OrderFilled(orderId: "o-\(k)", symbol: bar.symbol, time: bar.time, side: .buy, intent: .entry,
                                   quantity: 1, price: bar.close, fee: 0, slippage: 0)
        default: return OrderAccepted(order: order, time: bar.time)
        }
    }

    // MARK: technical agent

    @Test func technicalAgentVotesExactlyOncePerBarWithTheBarsIDs() async throws {
        let bus = InMemoryBus()
        let ctx = Self.context(bus)
        var config = TechnicalConfig()
        config.rsi.enabled = false
        config.macd.enabled = false
        config.bollinger.enabled = false
        config.maCross = .init(fast: 2, slow: 3)
        let agent = try await TechnicalAgent(context: ctx, config: config)
        let votes = try await bus.subscribe(["signal.technical.*"], options: SubscriptionOptions(name: "votes"))
        let running = Task { try await agent.run() }
        let feed = Publisher(bus: bus, source: "test/feed")
        // AAPL crosses up at bar 6 and down at bar 9 (see StrategyTests); MSFT never crosses.
        let aapl: [Double] = [10, 10, 10, 9, 8, 9, 11, 12, 11, 9, 8]
        var sent: [EventID: (correlation: String, symbol: String, index: Int)] = [:]
        for i in aapl.indices {
            for (symbol, close) in [("AAPL", aapl[i]), ("MSFT", 50 + Double(i))] {
                let bar = K.bar(symbol, day: i, close: close)
                // The last MSFT bar comes without correlation, as any outside publisher may send it.
                let c: String? = symbol == "MSFT" && i == aapl.count - 1 ? nil : "\(symbol)@\(i)"
                let id = try await feed.publish(bar, correlation: c)
                sent[id] = (c ?? Envelope.cycleID(symbol: symbol, time: bar.time), symbol, i)
            }
        }
        let got = try await withTimeout { await K.collect(votes, 22) }
        try await Task.sleep(for: .milliseconds(20))
        #expect(votes.stats.depth == 0, "more votes than bars")
        #expect(await agent.votes == 22)
        var seen = Set<EventID>()
        var aaplActions: [Action] = []
        for e in got {
            let vote = try #require(e.event(as: Vote.self))
            let cause = try #require(e.causation)
            let bar = try #require(sent[cause], "vote caused by an unknown event")
            #expect(seen.insert(cause).inserted, "two votes for one bar")
            #expect(e.correlation == bar.correlation)
            #expect(e.topic == "signal.technical.\(bar.symbol)")
            #expect(e.source == "main/technical")
            #expect(vote.symbol == bar.symbol && vote.time == K.bar(bar.symbol, day: bar.index, close: 1).time)
            if bar.symbol == "AAPL" { aaplActions.append(vote.action) }
        }
        #expect(seen.count == 22)
        #expect(aaplActions == [.hold, .hold, .hold, .hold, .hold, .hold, .buy, .hold, .hold, .sell, .hold])
        agent.stop()
        try await withTimeout { try await running.value }
        ctx.executor.stop()
    }

    // MARK: market-data agent

    @Test func fastReplayPublishesBarsAndNewsInOrderThenTheEnd() async throws {
        let bus = InMemoryBus()
        let ctx = Self.context(bus)
        let tap = try await bus.subscribe(["*"], options: SubscriptionOptions(name: "tap"))
        let bars = [K.bar("MSFT", day: 1, close: 10), K.bar("AAPL", day: 1, close: 20), K.bar("AAPL", day: 2, close: 21)]
        let news = [
            NewsItem(id: "n1", time: K.bar("X", day: 1, close: 1).time, symbols: ["MSFT", "AAPL", "MSFT"], headline: "both", source: "wire"),
            NewsItem(id: "n2", time: K.bar("X", day: 3, close: 1).time, symbols: [], headline: "nobody", source: "wire"),
        ]
        let inputs = MarketInputs(bars: [.bars(bars.filter { $0.symbol == "MSFT" }, name: "m"), .bars(bars.filter { $0.symbol == "AAPL" }, name: "a")],
                                  news: [.items(news, name: "news")])
        let agent = try await MarketDataAgent(context: ctx, feed: try inputs.open(), config: .init(mode: .fast))
        let summary = try await agent.run()
        let got = try await withTimeout { await K.collect(tap, 6) }
        #expect(got.map { "\($0.topic) \($0.correlation ?? "-")" } == [
            "market.news.MSFT -", "market.news.AAPL -",
            "market.bar.AAPL AAPL@2024-01-02T00:00:00Z", "market.bar.MSFT MSFT@2024-01-02T00:00:00Z",
            "market.bar.AAPL AAPL@2024-01-03T00:00:00Z", "market.end -",
        ])
        #expect(got.allSatisfy { $0.source == "main/market-data" })
        #expect(got.map(\.seq) == [1, 2, 3, 4, 5, 6])
        #expect(got[5].event(as: MarketEnd.self) == MarketEnd(time: bars[2].time, symbols: ["AAPL", "MSFT"], bars: 3))
        #expect(summary.bars == 3 && summary.newsItems == 2 && summary.newsEvents == 2 && summary.newsWithoutSymbol == 1)
        #expect(summary.symbols == ["AAPL", "MSFT"])
        ctx.executor.stop()
    }

    @Test func pacedReplayFollowsMarketTimeAtTheChosenSpeed() async throws {
        let bus = InMemoryBus()
        let clock = ManualClock(Timestamp(seconds: 1_800_000_000))
        let sleeper = FakeSleeper(clock: clock)
        let ctx = Self.context(bus, clock: clock)
        let bars = [K.bar("A", day: 0, close: 1), K.bar("A", day: 1, close: 1), K.bar("B", day: 1, close: 1), K.bar("A", day: 3, close: 1)]
        let inputs = MarketInputs(bars: [.bars(bars.filter { $0.symbol == "A" }, name: "a"), .bars(bars.filter { $0.symbol == "B" }, name: "b")])
        let agent = try await MarketDataAgent(context: ctx, feed: try inputs.open(), config: .init(mode: .paced, speed: 3600), sleeper: sleeper)
        let summary = try await agent.run()
        #expect(summary.bars == 4)
        // One day of market time = 24 s at 3600×; nothing between two bars of one timestamp.
        #expect(sleeper.durations == [.seconds(24), .seconds(48)])
        #expect(clock.now() == Timestamp(seconds: 1_800_000_072))
        ctx.executor.stop()
    }

    /// A stop (SIGINT/SIGTERM) during a paced replay's wait ends the wait: a bar a day of
    /// market time away at 1× must not keep the process up for a day.
    @Test func aStopEndsAPacedReplaysWait() async throws {
        let bus = InMemoryBus()
        let ctx = Self.context(bus)
        let bars = [K.bar("A", day: 0, close: 1), K.bar("A", day: 1, close: 1), K.bar("A", day: 2, close: 1)]
        let agent = try await MarketDataAgent(context: ctx, feed: try MarketInputs(bars: [.bars(bars, name: "a")]).open(),
                                              config: .init(mode: .paced, speed: 1), sleeper: TaskSleeper())
        let published = try await bus.subscribe(["market.bar.*", "market.end"], options: SubscriptionOptions(name: "watch"))
        let run = Task { try await agent.run() }
        let first = try await withTimeout { () -> String? in
            for await e in published { return e.topic }
            return nil
        }
        #expect(first == "market.bar.A")
        await agent.requestStop()
        let summary = try await withTimeout { try await run.value }
        #expect(summary.bars == 1, "the bar it waited for is not published after the stop")
        let next = try await withTimeout { () -> String? in
            for await e in published { return e.topic }
            return nil
        }
        #expect(next == "market.end")
        ctx.executor.stop()
    }

    /// The determinism protocol: bar t+1 is published only after cycle t has ended, whichever
    /// of the five terminal events ends it; events of other cycles and buy/sell decisions do not.
    @Test func backtestModeWaitsForEachCycleToFinish() async throws {
        let bus = InMemoryBus()
        let ctx = Self.context(bus)
        let series = (0..<12).map { K.bar("AAPL", day: $0, close: 10 + Double($0)) } + (0..<12).map { K.bar("MSFT", day: $0, close: 50) }
        let inputs = MarketInputs(bars: [.bars(Array(series.prefix(12)), name: "a"), .bars(Array(series.suffix(12)), name: "m")])
        let agent = try await MarketDataAgent(context: ctx, feed: try inputs.open(), config: .init(mode: .backtest))
        let bars = try await bus.subscribe(["market.bar.*", "market.end"], options: SubscriptionOptions(name: "fake-orchestrator"))
        let orchestrator = Task { () throws -> ([String], [String]) in
            let pub = Publisher(bus: bus, source: "test/orchestrator")
            var log: [String] = [], violations: [String] = []
            var k = 0
            for await e in bars {
                if e.topic == "market.end" {
                    log.append("end")
                    break
                }
                guard let bar = e.event(as: Bar.self), let cycle = e.correlation else { continue }
                log.append(cycle)
                // Not the end of this cycle: another cycle's hold, and (every other bar) a buy decision.
                try await pub.publish(Decision(symbol: "ZZZ", time: bar.time, action: .hold, score: 0, reason: "other"),
                                      correlation: "ZZZ@\(bar.time)")
                if k % 2 == 0 {
                    try await pub.publish(Decision(symbol: bar.symbol, time: bar.time, action: .buy, score: 1, reason: "buy"), correlation: cycle)
                }
                try await Task.sleep(for: .milliseconds(3))
                if bars.stats.depth != 0 { violations.append("a bar after \(cycle) came before its cycle ended") }
                let end = Self.terminal(k, for: bar)
                try await pub.publish(payload: end.payload, topic: end.topic, time: bar.time, correlation: cycle)
                k += 1
            }
            return (log, violations)
        }
        let summary = try await agent.run()
        let (log, violations) = try await withTimeout { try await orchestrator.value }
        #expect(violations.isEmpty, "\(violations)")
        let expected = (0..<12).flatMap { i in ["AAPL", "MSFT"].map { Envelope.cycleID(symbol: $0, time: K.bar($0, day: i, close: 1).time) } }
        #expect(log == expected + ["end"])
        #expect(summary.bars == 24)
        ctx.executor.stop()
    }

    @Test func backtestCyclesThroughTheTechnicalAgent() async throws {
        // market-data → technical → (fake) orchestrator deciding hold on each technical vote.
        let bus = InMemoryBus()
        let ctx = Self.context(bus)
        let technical = try await TechnicalAgent(context: ctx)
        let signals = try await bus.subscribe(["signal.technical.*"], options: SubscriptionOptions(name: "fake-orchestrator"))
        var series = SyntheticSeries()
        series.bars = 300
        series.symbol = "SYN"
        let inputs = MarketInputs(bars: [.synthetic(series), .bars(IndicatorPropertyTests.randomWalk(250, seed: 3).enumerated().map {
            K.bar("RW", day: $0.offset, close: $0.element) }, name: "rw")])
        let market = try await MarketDataAgent(context: ctx, feed: try inputs.open(), config: .init(mode: .backtest))
        let voting = Task { try await technical.run() }
        let deciding = Task { () throws -> Int in
            let pub = Publisher(bus: bus, source: "test/orchestrator")
            var n = 0
            for await e in signals {
                guard let v = e.event(as: Vote.self) else { continue }
                n += 1
                try await pub.publish(Decision(symbol: v.symbol, time: v.time, action: .hold, score: v.score, reason: "hold"),
                                      correlation: e.correlation, causation: e.id)
                if n == 550 { break }
            }
            return n
        }
        let summary = try await withTimeout { try await market.run() }
        #expect(summary.bars == 550)
        #expect(try await withTimeout { try await deciding.value } == 550)
        #expect(await technical.votes == 550)
        technical.stop()
        try await withTimeout { try await voting.value }
        ctx.executor.stop()
    }

    @Test func aCycleThatNeverEndsFailsWithAClearMessage() async throws {
        let bus = InMemoryBus()
        let clock = ManualClock(Timestamp(seconds: 1_800_000_000))
        let ctx = Self.context(bus, clock: clock)
        let inputs = MarketInputs(bars: [.bars([K.bar("AAPL", day: 1, close: 1), K.bar("AAPL", day: 2, close: 1)], name: "a")])
        let agent = try await MarketDataAgent(context: ctx, feed: try inputs.open(), config: .init(mode: .backtest, cycleTimeoutSeconds: 30),
                                              sleeper: FakeSleeper(clock: clock))
        await #expect(throws: MarketDataError.cycleTimeout("cycle AAPL@2024-01-02T00:00:00Z did not finish within 30 s (no decision): is the orchestrator running?")) {
            try await withTimeout { try await agent.run() }
        }
        #expect(clock.now() >= Timestamp(seconds: 1_800_000_030))
        ctx.executor.stop()
    }

    @Test func aBuyDecisionWithoutAnOrderOutcomeNamesTheMissingAgents() async throws {
        let bus = InMemoryBus()
        let ctx = Self.context(bus)
        let inputs = MarketInputs(bars: [.bars([K.bar("AAPL", day: 1, close: 1)], name: "a")])
        let agent = try await MarketDataAgent(context: ctx, feed: try inputs.open(), config: .init(mode: .backtest, cycleTimeoutSeconds: 0.2))
        let bars = try await bus.subscribe(["market.bar.*"], options: SubscriptionOptions(name: "fake-orchestrator"))
        let orchestrator = Task {
            let pub = Publisher(bus: bus, source: "test/orchestrator")
            for await e in bars {
                guard let bar = e.event(as: Bar.self) else { continue }
                try await pub.publish(Decision(symbol: bar.symbol, time: bar.time, action: .sell, score: -1, reason: "sell"), correlation: e.correlation)
                break
            }
        }
        await #expect(throws: MarketDataError.cycleTimeout("cycle AAPL@2024-01-02T00:00:00Z did not finish within 0.2 s (decision sell, but no order outcome): are the portfolio, risk and execution agents running?")) {
            try await withTimeout { try await agent.run() }
        }
        try await withTimeout { try await orchestrator.value }
        ctx.executor.stop()
    }

    @Test func badSettingsAreRefusedNotCrashed() async throws {
        let bus = InMemoryBus()
        let ctx = Self.context(bus)
        let inputs = MarketInputs(bars: [.bars([K.bar("A", day: 1, close: 1)], name: "a")])
        let agent = try await MarketDataAgent(context: ctx, feed: try inputs.open(), config: .init(mode: .paced, speed: 0))
        await #expect(throws: MarketDataError.invalidConfig("speed must be a positive number, got 0.0")) { try await agent.run() }
        var series = SyntheticSeries()
        series.bars = -1
        #expect(throws: InputError(file: "synthetic SYN", "bars must not be negative, got -1")) {
            try MarketInputs(bars: [.synthetic(series)]).open()
        }
        ctx.executor.stop()
    }

    @Test func cycleGateVerdicts() {
        let bar = K.bar("AAPL", day: 1, close: 1)
        let c = Envelope.cycleID(symbol: "AAPL", time: bar.time)
        func envelope(_ e: any BusEvent, _ correlation: String?) -> Envelope {
            Envelope(topic: e.topic, source: "x", seq: 1, time: bar.time, published: .epoch, correlation: correlation, payload: e.payload)
        }
        for k in 0..<5 {
            #expect(CycleGate.verdict(envelope(Self.terminal(k, for: bar), c), cycle: c) == .finished)
            #expect(CycleGate.verdict(envelope(Self.terminal(k, for: bar), "AAPL@other"), cycle: c) == .unrelated)
            #expect(CycleGate.verdict(envelope(Self.terminal(k, for: bar), nil), cycle: c) == .unrelated)
        }
        let buy = Decision(symbol: "AAPL", time: bar.time, action: .buy, score: 1, reason: "")
        #expect(CycleGate.verdict(envelope(buy, c), cycle: c) == .progress("decision buy"))
        let cancelled = OrderCancelled(orderId: "o", symbol: "AAPL", time: bar.time, reason: "x")
        #expect(CycleGate.verdict(envelope(cancelled, c), cycle: c) == .unrelated)
        #expect(CycleGate.timeoutMessage(cycle: c, seconds: 30, progress: nil, reconnects: 1, gaps: 2)
                == "cycle AAPL@2024-01-02T00:00:00Z did not finish within 30 s (no decision): the bus has reconnected 1 time and counted 2 gaps in this run, so an event of the cycle was probably lost in an outage")
        #expect(CycleGate.timeoutMessage(cycle: c, seconds: 30, progress: nil)
                == "cycle AAPL@2024-01-02T00:00:00Z did not finish within 30 s (no decision): is the orchestrator running?")
    }

    @Test func marketDataConfigDecodesWithDefaults() throws {
        let d = JSONDecoder()
        #expect(try d.decode(MarketDataConfig.self, from: Data("{}".utf8)) == MarketDataConfig())
        #expect(try d.decode(MarketDataConfig.self, from: Data(#"{"mode":"paced","speed":120}"#.utf8)) == MarketDataConfig(mode: .paced, speed: 120))
        #expect(throws: DecodingError.self) { try d.decode(MarketDataConfig.self, from: Data(#"{"speed":0}"#.utf8)) }
        #expect(throws: DecodingError.self) { try d.decode(MarketDataConfig.self, from: Data(#"{"sped":2}"#.utf8)) }
        // The series and indicator periods decode the same way.
        var s = SyntheticSeries()
        s.bars = 50
        s.decimals = nil
        #expect(try d.decode(SyntheticSeries.self, from: Data(#"{"bars":50,"decimals":null}"#.utf8)) == s)
        #expect(try d.decode(SyntheticSeries.self, from: JSONEncoder().encode(s)) == s)
        #expect(throws: DecodingError.self) { try d.decode(SyntheticSeries.self, from: Data(#"{"volatility":-1}"#.utf8)) }
        var p = IndicatorPeriods()
        p.rsi = 10
        #expect(try d.decode(IndicatorPeriods.self, from: Data(#"{"rsi":10}"#.utf8)) == p)
        #expect(throws: DecodingError.self) { try d.decode(IndicatorPeriods.self, from: Data(#"{"macdFast":30}"#.utf8)) }
    }
}

import Foundation
