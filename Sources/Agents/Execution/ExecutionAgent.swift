import Bus

/// The execution agent: a thin shell around a `Broker` (the paper broker by default).
/// For every bar it publishes the fills it made, then an `execution.report` for that bar.
public actor ExecutionAgent {
    public static let name = "execution"
    public nonisolated let unownedExecutor: UnownedSerialExecutor
    private let context: AgentContext
    private let log: Logger
    private let publisher: Publisher
    private let subscription: Subscription
    private var broker: any Broker
    /// The trading cycle each working order came from.
    private var orderCycles: [String: String] = [:]
    private var reportTopics = TopicCache(prefix: "execution.report.")
    private var acceptedTopics = TopicCache(prefix: "order.accepted.")
    private var filledTopics = TopicCache(prefix: "order.filled.")
    private var rejectedTopics = TopicCache(prefix: "order.rejected.")
    private var cancelledTopics = TopicCache(prefix: "order.cancelled.")

    public init(context: AgentContext, broker: any Broker = PaperBroker()) async throws {
        unownedExecutor = context.executor.asUnownedSerialExecutor()
        self.context = context
        log = context.logger.labeled("\(context.node)/\(Self.name)")
        self.broker = broker
        publisher = context.publisher(for: Self.name)
        subscription = try await context.subscribe(Self.name, ["market.bar.*", "order.approved.*", "market.end"])
    }

    public func run() async {
        await context.consume(subscription, agent: Self.name) { [self] _, e in try await self.handle(e) }
    }

    private func handle(_ e: Envelope) async throws {
        switch e.payload {
        case .bar(let bar):
            let events = broker.onBar(bar)
            for event in events { try await publish(event, cause: e, cycle: nil) }
            var filled = 0
            for event in events { if case .filled = event { filled += 1 } }
            try await publisher.publish(
                ExecutionReport(symbol: bar.symbol, time: bar.time, filled: filled, working: broker.working(bar.symbol)),
                topic: reportTopics.topic(bar.symbol), correlation: e.correlation, causation: e.id)
        case .orderApproved(let approved):
            let events = broker.submit(approved.order, at: approved.order.time)
            for event in events { try await publish(event, cause: e, cycle: e.correlation) }
        case .marketEnd(let end):
            for event in broker.endOfData(at: end.time) { try await publish(event, cause: e, cycle: nil) }
        default:
            return
        }
    }

    /// Publishes a broker event in the cycle of the order it concerns.
    private func publish(_ event: BrokerEvent, cause: Envelope, cycle: String?) async throws {
        let id = event.orderId
        let correlation = cycle ?? orderCycles[id]
        switch event {
        case .accepted(let a):
            orderCycles[id] = cycle
            try await publisher.publish(a, topic: acceptedTopics.topic(a.order.symbol), correlation: correlation, causation: cause.id)
        case .filled(let f):
            orderCycles[id] = nil
            try await publisher.publish(f, topic: filledTopics.topic(f.symbol), correlation: correlation, causation: cause.id)
            log.debug("filled \(f.orderId) \(f.side.rawValue) \(Fmt.grouped(f.quantity)) \(f.symbol) @ \(Fmt.fixed(f.price, 2)) fee \(Fmt.fixed(f.fee, 2))",
                                correlation: correlation)
        case .rejected(let r):
            orderCycles[id] = nil
            try await publisher.publish(r, topic: rejectedTopics.topic(r.symbol), correlation: correlation, causation: cause.id)
            log.warning("rejected \(r.orderId) \(r.symbol): \(r.code): \(r.message)", correlation: correlation)
        case .cancelled(let c):
            orderCycles[id] = nil
            try await publisher.publish(c, topic: cancelledTopics.topic(c.symbol), correlation: correlation, causation: cause.id)
        }
    }
}
