import Bus

/// What every agent is given: the bus, its node, the executor it runs on, the clock, a
/// logger and (optionally) metrics.
public struct AgentContext: Sendable {
    public let bus: any EventBus
    /// The node this agent runs in (`main` for a single process).
    public let node: String
    public let executor: AgentExecutor
    /// Wall-clock time (publish times, timeouts). Market time comes from the events.
    public let clock: any WallClock
    public let logger: Logger
    public let metrics: Metrics?
    /// When set, each agent's handler time is added up here (`bench backtest --breakdown`).
    public let handlerTimes: HandlerTimes?

    public init(bus: any EventBus, node: String = "main", executor: AgentExecutor, clock: any WallClock = SystemClock(),
                logger: Logger = Logger(label: "agora"), metrics: Metrics? = nil, handlerTimes: HandlerTimes? = nil) {
        self.bus = bus
        self.node = node
        self.executor = executor
        self.clock = clock
        self.logger = logger
        self.metrics = metrics
        self.handlerTimes = handlerTimes
    }

    /// A publisher whose source is `node/agent`.
    public func publisher(for agent: String) -> Publisher {
        Publisher(bus: bus, source: "\(node)/\(agent)", clock: clock)
    }

    /// A subscription named after the agent, with the lossless default policy.
    public func subscribe(_ agent: String, _ patterns: [String], policy: OverflowPolicy = .default) async throws(BusError) -> Subscription {
        try await bus.subscribe(patterns, options: SubscriptionOptions(name: "\(node)/\(agent)", policy: policy, endsOnTaskCancellation: false))
    }

    /// An agent's event loop: hands each envelope to `handle` until the subscription ends.
    /// The node's `EventLoop` delivers them (one loop for every agent of the executor, no
    /// task wake-up per event); `handle` runs isolated to the calling agent. A failure to
    /// handle one event is logged (with the cycle's correlation id) and counted; the agent
    /// goes on. The bus shutting down ends the loop.
    public func consume(
        _ subscription: Subscription, agent: String,
        _ handle: @escaping @Sendable (isolated any Actor, Envelope) async throws -> Void
    ) async {
        let log = logger.labeled("\(node)/\(agent)")
        let metrics = self.metrics
        // A closed bus ends the agent quietly; anything else is logged and counted.
        let failed: EventLoop.ErrorHandler = { e, error in
            if let error = error as? BusError, error.code == .closed { return }
            log.error("failed to handle \(e.type) on \(e.topic): \(error)", correlation: e.correlation)
            metrics?.increment("agora_handler_errors_total", ["agent": agent])
        }
        guard metrics != nil || handlerTimes != nil else {
            // Nothing to measure: the loop calls `handle` itself (one async call per event, not two).
            await subscription.deliver(on: executor.eventLoop, handle, onError: failed)
            return
        }
        let slot = handlerTimes?.slot(for: agent)
        await subscription.deliver(on: executor.eventLoop) { loop, e in
            let start = Monotonic.nanoseconds()
            do {
                try await handle(loop, e)
            } catch {
                failed(e, error)
                if let error = error as? BusError, error.code == .closed { return }
            }
            let elapsed = Monotonic.nanoseconds() &- start
            slot?.add(elapsed)
            metrics?.observe("agora_handler_seconds", ["agent": agent], seconds: Double(elapsed) / 1e9)
            metrics?.increment("agora_events_in_total", ["agent": agent, "type": e.type])
        }
    }
}
