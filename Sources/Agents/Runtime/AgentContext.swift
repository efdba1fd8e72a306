import Bus

/// What every agent is given: the bus, its node, the executor it runs on and the clock.
public struct AgentContext: Sendable {
    public let bus: any EventBus
    /// The node this agent runs in (`main` for a single process).
    public let node: String
    public let executor: AgentExecutor
    /// Wall-clock time (publish times, timeouts). Market time comes from the events.
    public let clock: any WallClock

    public init(bus: any EventBus, node: String = "main", executor: AgentExecutor, clock: any WallClock = SystemClock()) {
        self.bus = bus
        self.node = node
        self.executor = executor
        self.clock = clock
    }

    /// A publisher whose source is `node/agent`.
    public func publisher(for agent: String) -> Publisher {
        Publisher(bus: bus, source: "\(node)/\(agent)", clock: clock)
    }

    /// A subscription named after the agent, with the lossless default policy.
    public func subscribe(_ agent: String, _ patterns: [String], policy: OverflowPolicy = .default) async throws(BusError) -> Subscription {
        try await bus.subscribe(patterns, options: SubscriptionOptions(name: "\(node)/\(agent)", policy: policy))
    }
}
