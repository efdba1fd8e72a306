import Bus

/// The technical-analysis agent: subscribes to every `market.bar.*` (from the market-data
/// agent or anyone else) and publishes exactly one `signal.technical.<SYM>` vote per bar,
/// with the bar's correlation (or `SYM@<bar time>` when the bar came without one) and the
/// bar's id as causation. The analysis itself is ``TechnicalAnalyzer`` (pure).
public actor TechnicalAgent {
    public static let name = "technical"

    nonisolated public let unownedExecutor: UnownedSerialExecutor
    public let config: TechnicalConfig
    private let publisher: Publisher
    private let subscription: Subscription
    private var analyzers: [String: TechnicalAnalyzer] = [:]
    /// Votes published so far.
    public private(set) var votes = 0

    /// Subscribes before returning, so no bar published afterwards is missed.
    public init(context: AgentContext, config: TechnicalConfig = TechnicalConfig()) async throws(BusError) {
        unownedExecutor = context.executor.asUnownedSerialExecutor()
        self.config = config
        publisher = context.publisher(for: TechnicalAgent.name)
        subscription = try await context.bus.subscribe(
            ["market.bar.*"], options: SubscriptionOptions(name: "\(context.node)/\(TechnicalAgent.name)", types: [.bar]))
    }

    /// Votes on every bar until the subscription ends (bus shutdown or ``stop()``).
    public func run() async throws(BusError) {
        for await envelope in subscription {
            guard case .bar(let bar) = envelope.payload else { continue }
            let vote = analyzers[bar.symbol, default: TechnicalAnalyzer(symbol: bar.symbol, config: config)].update(bar)
            let cycle = envelope.correlation ?? Envelope.cycleID(symbol: bar.symbol, time: bar.time)
            try await publisher.publish(vote, correlation: cycle, causation: envelope.id)
            votes += 1
        }
    }

    /// Unsubscribes: bars already queued are still voted on, then ``run()`` returns.
    public nonisolated func stop() { subscription.cancel() }
}
