import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Agents
import Bus
@testable import Orchestrator

/// A voter that says what the script says: +1 / −1 on given bars, otherwise no opinion.
actor ScriptedVoter {
    nonisolated let unownedExecutor: UnownedSerialExecutor
    let publisher: Publisher
    let subscription: Subscription
    let script: [Int: Double]

    init(context: AgentContext, script: [Int: Double]) async throws {
        unownedExecutor = context.executor.asUnownedSerialExecutor()
        publisher = context.publisher(for: "technical")
        subscription = try await context.subscribe("technical", ["market.bar.*"])
        self.script = script
    }

    func run() async {
        var i = 0
        for await e in subscription {
            guard case .bar(let bar) = e.payload else { continue }
            let s = script[i] ?? 0
            i += 1
            let v = Vote(agent: "technical", symbol: bar.symbol, time: bar.time, action: s > 0 ? .buy : s < 0 ? .sell : .hold,
                         score: s, confidence: s == 0 ? 0 : 1, reason: "script")
            _ = try? await publisher.publish(v, correlation: e.correlation, causation: e.id)
        }
    }
}

/// Publishes bars one cycle at a time (the determinism protocol), then `market.end`.
func replay(_ bars: [Bar], bus: InMemoryBus, context: AgentContext) async throws {
    let done = try await bus.subscribe(["decision.*", "order.denied.*", "order.rejected.*", "order.filled.*", "order.accepted.*"], options: SubscriptionOptions(name: "driver"))
    var it = done.makeAsyncIterator()
    let pub = context.publisher(for: "market-data")
    for bar in bars {
        let cycle = Envelope.cycleID(symbol: bar.symbol, time: bar.time)
        try await pub.publish(bar, correlation: cycle)
        cycleLoop: while let e = await it.next() {
            guard e.correlation == cycle else { continue }
            switch e.payload {
            case .decision(let d) where d.action == .hold: break cycleLoop
            case .orderDenied, .orderRejected, .orderFilled, .orderAccepted: break cycleLoop
            default: continue
            }
        }
    }
    // A subscription nobody reads keeps the bus busy: end ours before waiting for quiescence.
    done.cancel()
    // A subscription whose reader stopped keeps the bus busy: end ours before waiting.
    done.cancel()
    try await pub.publish(MarketEnd(time: bars.last!.time, symbols: ["X"], bars: bars.count))
    await bus.waitUntilIdle()
}

func bars(_ opens: [Double]) -> [Bar] {
    opens.enumerated().map { i, o in
        Bar(symbol: "X", time: Timestamp(seconds: 1_704_067_200 + Int64(i) * 86_400), open: o, high: o + 1, low: o - 1, close: o + 0.5, volume: 100)
    }
}

@Suite struct PipelineTests {
    /// Runs the real orchestrator, portfolio, risk and execution agents with a scripted voter.
    func run(_ prices: [Double], script: [Int: Double], portfolio: PortfolioConfig, limits: RiskLimits) async throws -> ([ClosedTrade], [Envelope]) {
        let bus = InMemoryBus()
        let executor = AgentExecutor(name: "pipeline-test")
        let context = AgentContext(bus: bus, node: "main", executor: executor, clock: ManualClock())
        let everything = try await bus.subscribe(["*"], options: SubscriptionOptions(name: "recorder", policy: .suspend(capacity: 1 << 20)))
        let voter = try await ScriptedVoter(context: context, script: script)
        let orchestrator = try await OrchestratorAgent(context: context, config: OrchestratorConfig(voting: VotingConfig(weights: ["technical": 1]), voters: ["technical"]))
        let p = try await PortfolioAgent(context: context, config: portfolio)
        let risk = try await RiskAgent(context: context, config: RiskConfig(limits: limits, initialCash: portfolio.initialCash))
        let execution = try await ExecutionAgent(context: context)
        let tasks = [
            Task { await voter.run() }, Task { await orchestrator.run() }, Task { await p.run() },
            Task { await risk.run() }, Task { await execution.run() },
        ]
        try await withTimeout { try await replay(bars(prices), bus: bus, context: context) }
        await bus.shutdown()
        for t in tasks { try await withTimeout { await t.value } }
        executor.stop()
        var events: [Envelope] = []
        for await e in everything { events.append(e) }
        let trades = events.compactMap { $0.event(as: ClosedTrade.self) }
        return (trades, events)
    }

    @Test func buyAtNextOpenSellAtNextOpenAllIn() async throws {
        let (trades, events) = try await run([100, 101, 102, 103, 104, 105], script: [1: 1, 3: -1],
                                             portfolio: PortfolioConfig(initialCash: 10_000, sizing: SizingConfig(mode: .allIn)), limits: .none)
        #expect(trades.count == 1)
        let t = try #require(trades.first)
        #expect(t.entryPrice == 102 && t.exitPrice == 104)     // next opens after bars 1 and 3
        #expect(t.quantity == 98)                               // ⌊10,000 × (1 − ε) / 102⌋
        #expect(t.pnl == 98 * 2)
        #expect(t.exitReason == "signal")
        // Every order ended exactly once.
        let requests = events.compactMap { $0.event(as: OrderRequest.self) }.map(\.orderId)
        let ended = events.compactMap { e -> String? in
            switch e.payload {
            case .orderFilled(let f): f.orderId
            case .orderRejected(let r): r.orderId
            case .orderCancelled(let c): c.orderId
            case .orderDenied(let d): d.orderId
            default: nil
            }
        }
        #expect(Set(requests) == Set(ended))
        #expect(ended.count == Set(ended).count)
        // The chain is rebuildable: the fill's cycle is the decision's cycle.
        let decision = try #require(events.first { $0.event(as: Decision.self)?.action == .buy })
        let fillEnv = try #require(events.first { $0.event(as: OrderFilled.self)?.side == .buy })
        #expect(fillEnv.correlation == decision.correlation)
    }

    @Test func openPositionIsClosedAtTheEndOfData() async throws {
        let (trades, _) = try await run([100, 101, 102, 103], script: [0: 1],
                                        portfolio: PortfolioConfig(initialCash: 10_000, sizing: SizingConfig(mode: .fixedFraction, fraction: 0.5)), limits: .none)
        let t = try #require(trades.first)
        #expect(t.entryPrice == 101)
        #expect(t.exitPrice == 103)            // the last bar's open, as backtesting.py's finalize_trades
        #expect(t.exitReason == "end of data")
        #expect(t.quantity == 49)              // ⌊0.5 × 10,000 / 100.5⌋ at the decision bar's close
    }

    @Test func riskAdjustsTheSizeAndRecordsWhy() async throws {
        let (trades, events) = try await run([100, 100, 100], script: [0: 1],
                                             portfolio: PortfolioConfig(initialCash: 10_000, sizing: SizingConfig(mode: .allIn)),
                                             limits: RiskLimits(maxPositionPct: 0.1, minCashReservePct: nil))
        let approved = try #require(events.compactMap { $0.event(as: OrderApproved.self) }.first)
        #expect(approved.order.quantity == 9)  // 10% of 10,000 at 100.5
        #expect(approved.adjustments.first?.hasPrefix("max_position_pct") == true)
        #expect(trades.first?.quantity == 9)
    }

    @Test func twoRunsGiveIdenticalEventStreams() async throws {
        let prices: [Double] = (0..<60).map { (i: Int) -> Double in 100.0 + 10.0 * sin(Double(i) / 5.0) }
        let script: [Int: Double] = [3: 1, 9: -1, 15: 1, 20: -1, 31: 1, 44: -1, 50: 1]
        let cfg = PortfolioConfig(initialCash: 50_000, sizing: SizingConfig(mode: .allIn))
        let (a, ea) = try await run(prices, script: script, portfolio: cfg, limits: .none)
        let (b, eb) = try await run(prices, script: script, portfolio: cfg, limits: .none)
        #expect(a == b)
        #expect(a.count == 4)
        // Same events with the same ids, times and causes; only votes race each other.
        let key = { (e: Envelope) in "\(e.id) \(e.topic) \(e.correlation ?? "") \(e.causation?.description ?? "")" }
        #expect(Set(ea.map(key)) == Set(eb.map(key)))
    }
}
