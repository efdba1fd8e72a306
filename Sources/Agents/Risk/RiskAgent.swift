import Bus

/// Risk settings: the hard limits, plus what the risk agent needs to know about the book.
public struct RiskConfig: Codable, Sendable, Equatable {
    public var limits: RiskLimits
    /// The same starting cash as the portfolio (risk keeps its own ledger from the fills).
    public var initialCash: Double
    public var sectors: [String: String]

    public init(limits: RiskLimits = RiskLimits(), initialCash: Double = 100_000, sectors: [String: String] = [:]) {
        self.limits = limits
        self.initialCash = initialCash
        self.sectors = sectors
    }
}

/// The risk agent: pre-trade checks on every order, running checks and a vote on every bar,
/// the circuit breaker. Its rules are code (`PreTradeCheck`, `RiskMonitor`); no vote and no
/// model can override them.
public actor RiskAgent {
    public static let name = "risk"
    public nonisolated let unownedExecutor: UnownedSerialExecutor
    private let config: RiskConfig
    private let context: AgentContext
    private let log: Logger
    private let publisher: Publisher
    private let subscription: Subscription
    private var monitor: RiskMonitor
    private var approvals: [Timestamp] = []
    /// Entry orders approved and not yet filled, rejected or cancelled, oldest first: the
    /// pre-trade checks count them as held (the book changes only on fills).
    private var pending: [OrderRequest] = []
    private var voteTopics = TopicCache(prefix: "signal.risk.")
    private var approvedTopics = TopicCache(prefix: "order.approved.")
    private var deniedTopics = TopicCache(prefix: "order.denied.")

    public init(context: AgentContext, config: RiskConfig) async throws {
        unownedExecutor = context.executor.asUnownedSerialExecutor()
        self.context = context
        log = context.logger.labeled("\(context.node)/\(Self.name)")
        self.config = config
        monitor = RiskMonitor(limits: config.limits, cash: config.initialCash)
        publisher = context.publisher(for: Self.name)
        subscription = try await context.subscribe(Self.name, ["market.bar.*", "order.request.*", "order.filled.*", "order.rejected.*", "order.cancelled.*", "system.resume"])
    }

    public func run() async {
        await context.consume(subscription, agent: Self.name) { [self] _, e in try await self.handle(e) }
    }

    private func handle(_ e: Envelope) async throws {
        switch e.payload {
        case .bar(let bar):
            let a = monitor.onBar(bar, agent: Self.name)
            for t in a.transitions {
                switch t {
                case .halt(let h): try await publisher.publish(h, correlation: e.correlation, causation: e.id)
                case .resume(let r): try await publisher.publish(r, correlation: e.correlation, causation: e.id)
                }
            }
            try await publisher.publish(a.vote, topic: voteTopics.topic(bar.symbol), correlation: e.correlation, causation: e.id)
        case .orderRequest(let order):
            let context = PreTradeCheck.Context(
                ledger: monitor.ledger, sectors: config.sectors,
                correlations: monitor.correlations(for: order.symbol, ordered: pending.map(\.symbol)),
                recentApprovals: approvals, halt: monitor.activeHalt, pending: pending)
            let price = monitor.ledger.lastPrices[order.symbol] ?? order.referencePrice
            switch PreTradeCheck.check(order, price: price, limits: config.limits, context: context) {
            case .approved(let o, let adjustments):
                if o.intent == .entry { pending.append(o) }
                approvals.append(order.time)
                if approvals.count > 1024 { approvals.removeFirst(512) }
                try await publisher.publish(OrderApproved(order: o, adjustments: adjustments), topic: approvedTopics.topic(o.symbol), correlation: e.correlation, causation: e.id)
            case .denied(let reasons):
                try await publisher.publish(
                    OrderDenied(orderId: order.orderId, symbol: order.symbol, time: order.time, by: Self.name, reasons: reasons),
                    topic: deniedTopics.topic(order.symbol), correlation: e.correlation, causation: e.id)
                self.log.debug("denied \(order.orderId) \(order.side.rawValue) \(order.symbol): \(reasons.map(\.code).joined(separator: ", "))",
                                    correlation: e.correlation)
            }
        case .orderFilled(let f):
            settle(f.orderId)
            monitor.onFill(f)
        case .orderRejected(let r):
            settle(r.orderId)
        case .orderCancelled(let c):
            settle(c.orderId)
        case .resume(let r) where e.source != publisher.source:
            if case .resume(let ours)? = monitor.resume(at: r.time, reason: "manual resume by \(r.by): \(r.reason)", by: Self.name) {
                _ = ours // the manual event already announced it
            }
        default:
            return
        }
    }

    /// An approved order has ended (filled, rejected or cancelled): no longer pending.
    private func settle(_ orderId: String) {
        if let i = pending.firstIndex(where: { $0.orderId == orderId }) { pending.remove(at: i) }
    }
}
