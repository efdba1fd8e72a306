import Agents
import Bus

/// Turns what flows on a node's bus into Prometheus metrics: events by topic (out: published
/// by this process's agents; in: from elsewhere), decisions by action, orders by side, fills,
/// denials by reason, halts, and equity and drawdown from the portfolio snapshots.
///
/// Handler latency and events taken per agent come from `AgentContext`; queue depth, drops,
/// gaps and reconnects from the bus statistics at scrape time (`NodeMetrics.render`).
actor MetricsObserver {
    nonisolated let unownedExecutor: UnownedSerialExecutor
    private let executor: AgentExecutor
    private let subscription: Subscription
    private let metrics: Metrics
    private let localNodes: Set<String>

    init(bus: any EventBus, executor: AgentExecutor, metrics: Metrics, localNodes: [String]) async throws {
        unownedExecutor = executor.asUnownedSerialExecutor()
        self.executor = executor
        self.metrics = metrics
        self.localNodes = Set(localNodes)
        subscription = try await bus.subscribe(["*"], options: SubscriptionOptions(name: "metrics", policy: .suspend(capacity: 65_536)))
        metrics.describe("agora_bus_events_total", .counter, "Events seen on the bus by topic; direction out = published by this process's agents.")
        metrics.describe("agora_decisions_total", .counter, "Orchestrator decisions by action.")
        metrics.describe("agora_orders_total", .counter, "Order requests by side.")
        metrics.describe("agora_fills_total", .counter, "Orders filled by side.")
        metrics.describe("agora_denials_total", .counter, "Denial reasons of denied orders, by reason code.")
        metrics.describe("agora_rejections_total", .counter, "Orders rejected by the broker, by code.")
        metrics.describe("agora_halts_total", .counter, "Trading halts, by code.")
        metrics.describe("agora_equity", .gauge, "Portfolio equity at the last snapshot.")
        metrics.describe("agora_drawdown_ratio", .gauge, "Portfolio drawdown from its peak at the last snapshot (0.1 = 10%).")
        metrics.describe("agora_cash", .gauge, "Portfolio cash at the last snapshot.")
    }

    func run() async {
        await subscription.deliverBatches(on: executor.eventLoop) { [self] _, batch in await self.observe(&batch) }
    }

    func stop() { subscription.cancel() }

    /// "out" for a source (`node/agent`) of this process, else "in"; sources are few, so cached.
    private var directions: [String: String] = [:]
    private func direction(_ source: String) -> String {
        if let d = directions[source] { return d }
        let node = source.split(separator: "/", maxSplits: 1).first.map(String.init) ?? source
        let d = localNodes.contains(node) ? "out" : "in"
        directions[source] = d
        return d
    }

    private func observe(_ batch: inout EnvelopeBatch) {
        batch.forEach { observe($0) }
    }

    private func observe(_ e: Envelope) {
        metrics.increment("agora_bus_events_total", ["topic": e.topic, "direction": direction(e.source)])
        switch e.payload {
        case .decision(let d): metrics.increment("agora_decisions_total", ["action": d.action.rawValue])
        case .orderRequest(let o): metrics.increment("agora_orders_total", ["side": o.side.rawValue])
        case .orderFilled(let f): metrics.increment("agora_fills_total", ["side": f.side.rawValue])
        case .orderDenied(let d): for r in d.reasons { metrics.increment("agora_denials_total", ["reason": r.code]) }
        case .orderRejected(let r): metrics.increment("agora_rejections_total", ["code": r.code])
        case .halt(let h): metrics.increment("agora_halts_total", ["code": h.code])
        case .portfolioSnapshot(let s):
            metrics.set("agora_equity", [:], s.equity)
            metrics.set("agora_drawdown_ratio", [:], s.drawdown)
            metrics.set("agora_cash", [:], s.cash)
        default: break
        }
    }
}
