/// Bus-wide counters.
public struct BusStatistics: Sendable {
    public var transport: String
    /// Events accepted for publication.
    public var published: UInt64
    /// Reconnections to the server (networked transports).
    public var reconnects: UInt64
    public var subscriptions: [SubscriptionStats]

    public init(transport: String, published: UInt64, reconnects: UInt64 = 0, subscriptions: [SubscriptionStats]) {
        self.transport = transport
        self.published = published
        self.reconnects = reconnects
        self.subscriptions = subscriptions
    }

    public var dropped: UInt64 { subscriptions.reduce(0) { $0 + $1.dropped } }
    public var gaps: UInt64 { subscriptions.reduce(0) { $0 + $1.gaps } }
    public var malformed: UInt64 { subscriptions.reduce(0) { $0 + $1.malformed } }
    public var queueDepth: Int { subscriptions.reduce(0) { $0 + $1.depth } }
}

/// The one contract both transports (in memory and Redis) implement.
///
/// - Publishing keeps order per publisher: a subscriber sees one publisher's events in
///   the order they were published.
/// - Patterns have Redis `PSUBSCRIBE` semantics (``TopicPattern``).
/// - A subscription only receives events published after `subscribe` returned.
/// - Each subscription has a bounded queue and an ``OverflowPolicy``; with `suspend`
///   (the default) `publish` waits for room and nothing is lost.
/// - ``shutdown()`` stops accepting events, delivers what was accepted, then ends every
///   subscription.
public protocol EventBus: AnyObject, Sendable {
    /// `memory` or `redis`.
    var transport: String { get }

    /// Publishes a fully formed envelope. Most code uses a ``Publisher``, which stamps
    /// the source, sequence number and times.
    nonisolated(nonsending) func publish(_ envelope: Envelope) async throws(BusError)

    /// Publishes envelopes in order, as if one by one: a subscriber sees them in this
    /// order, between what the caller published before and after. A topic that is not
    /// valid refuses the whole batch before any of it is delivered; on any other error,
    /// the events before the failing one may have been delivered. Transports may do it
    /// cheaper than one by one (the in-memory bus takes each subscription's lock once per
    /// run of one topic); the default publishes one by one.
    nonisolated(nonsending) func publish(contentsOf envelopes: [Envelope]) async throws(BusError)

    /// Subscribes to every topic matching any of `patterns`.
    func subscribe(_ patterns: [String], options: SubscriptionOptions) async throws(BusError) -> Subscription

    /// Stops accepting events, delivers what was accepted, then ends every subscription.
    func shutdown() async

    func statistics() -> BusStatistics
}

extension EventBus {
    nonisolated(nonsending) public func publish(contentsOf envelopes: [Envelope]) async throws(BusError) {
        try validateTopics(of: envelopes)
        for e in envelopes { try await publish(e) }
    }

    public func subscribe(
        _ patterns: String..., name: String = "", policy: OverflowPolicy = .default
    ) async throws(BusError) -> Subscription {
        try await subscribe(patterns, options: SubscriptionOptions(name: name, policy: policy))
    }

    /// A typed subscription: only events of type `E` on topics matching `patterns`
    /// (all topics when none are given).
    public func subscribe<E: BusEvent>(
        to type: E.Type, _ patterns: String..., name: String = "", policy: OverflowPolicy = .default
    ) async throws(BusError) -> TypedSubscription<E> {
        let raw = try await subscribe(
            patterns.isEmpty ? ["*"] : patterns,
            options: SubscriptionOptions(name: name, policy: policy, types: [E.eventType]))
        return TypedSubscription(raw: raw)
    }
}

/// Checks every topic of a batch before any of it is published (a run of one topic once):
/// an invalid topic refuses the whole batch.
func validateTopics(of envelopes: [Envelope]) throws(BusError) {
    var last: String?
    for e in envelopes where e.topic != last {
        if let problem = Topic.validate(e.topic) { throw BusError(.invalidTopic, problem) }
        last = e.topic
    }
}

/// Validates subscription patterns (shared by the transports).
func validatePatterns(_ patterns: [String]) throws(BusError) -> [TopicPattern] {
    guard !patterns.isEmpty else { throw BusError(.invalidTopic, "subscribe needs at least one pattern") }
    var out: [TopicPattern] = []
    for p in patterns {
        if p.isEmpty { throw BusError(.invalidTopic, "empty subscription pattern") }
        if p.utf8.count > 512 { throw BusError(.invalidTopic, "pattern \"\(p.prefix(40))…\" is longer than 512 bytes") }
        if p.utf8.contains(0) { throw BusError(.invalidTopic, "pattern contains a NUL byte") }
        out.append(TopicPattern(p))
    }
    return out
}
