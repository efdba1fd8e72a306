import Testing
import TestSupport
@testable import Agents
import Bus

/// The risk agent on an in-memory bus: orders it approved count against the limits until
/// they have filled, been rejected or been cancelled.
@Suite struct RiskAgentTests {
    @Test func approvedOrdersCountUntilTheyEnd() async throws {
        let bus = InMemoryBus()
        let ctx = AgentContext(bus: bus, node: "main", executor: AgentExecutor(name: "test-risk"), clock: SystemClock())
        let limits = RiskLimits(maxPositionPct: nil, maxSectorPct: nil, maxPositions: 1, minCashReservePct: nil, maxCorrelation: nil, adjustOrders: false)
        let agent = try await RiskAgent(context: ctx, config: RiskConfig(limits: limits, initialCash: 100_000))
        let verdicts = try await bus.subscribe(["order.approved.*", "order.denied.*"], options: SubscriptionOptions(name: "verdicts"))
        let running = Task { await agent.run() }
        let desk = Publisher(bus: bus, source: "test/desk")
        let t = Timestamp(seconds: 1_700_000_000)
        var n = 0
        /// Sends an entry order and returns the codes of its denial ([] when approved).
        func ask(_ symbol: String) async throws -> [String] {
            n += 1
            try await desk.publish(OrderRequest(orderId: "o-\(n)", symbol: symbol, time: t, side: .buy, type: .market, intent: .entry,
                                                quantity: 10, referencePrice: 100, reason: "test"))
            let e = try await withTimeout { await MarketTestKit.collect(verdicts, 1) }[0]
            if let d = e.event(as: OrderDenied.self) { return d.reasons.map(\.code) }
            #expect(e.event(as: OrderApproved.self)?.order.orderId == "o-\(n)")
            return []
        }
        #expect(try await ask("XOM") == [])                   // o-1 approved, not filled yet
        #expect(try await ask("CVX") == ["max_positions"])    // o-2: o-1 counts
        try await desk.publish(OrderRejected(orderId: "o-1", symbol: "XOM", time: t, code: "x", message: "x"))
        #expect(try await ask("CVX") == [])                   // o-3: o-1 is gone
        try await desk.publish(OrderCancelled(orderId: "o-3", symbol: "CVX", time: t, reason: "end of data"))
        #expect(try await ask("BP") == [])                    // o-4: o-3 is gone
        try await desk.publish(OrderFilled(orderId: "o-4", symbol: "BP", time: t, side: .buy, intent: .entry,
                                           quantity: 10, price: 100, fee: 0, slippage: 0))
        #expect(try await ask("SHEL") == ["max_positions"])   // o-5: BP is held now (counted once)
        await bus.shutdown()
        await running.value
        ctx.executor.stop()
    }
}
