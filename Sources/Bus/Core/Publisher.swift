import Synchronization

/// Publishes events as one source (`node/agent`), stamping each envelope with the
/// source, a per-publisher sequence number (1, 2, 3, …), the event's market time and
/// the wall-clock publish time.
public final class Publisher: Sendable {
    public let source: String
    public let bus: any EventBus
    private let clock: any WallClock
    private let counter = Atomic<UInt64>(0)

    public init(bus: any EventBus, source: String, clock: any WallClock = SystemClock()) {
        self.bus = bus
        self.source = source
        self.clock = clock
    }

    /// The last sequence number used.
    public var lastSequence: UInt64 { counter.load(ordering: .relaxed) }

    /// Publishes `event` on its default topic (or `topic`) and returns its id, for the
    /// `causation` of the events it causes.
    @inlinable @discardableResult
    nonisolated(nonsending) public func publish<E: BusEvent>(
        _ event: E, topic: String? = nil, correlation: String? = nil, causation: EventID? = nil
    ) async throws(BusError) -> EventID {
        try await publish(
            payload: event.payload, topic: topic ?? event.topic, time: event.eventTime,
            correlation: correlation, causation: causation)
    }

    /// Publishes `events` in order on their default topics, as one batch: they share one
    /// publish time and take consecutive sequence numbers, and the bus may hand them over
    /// cheaper than one by one (``EventBus/publish(contentsOf:)``). Returns their sequence
    /// numbers.
    @discardableResult
    nonisolated(nonsending) public func publish<E: BusEvent>(
        contentsOf events: [E], correlation: String? = nil
    ) async throws(BusError) -> Range<UInt64> {
        let n = UInt64(events.count)
        let first = counter.add(n, ordering: .relaxed).newValue &- n &+ 1
        let now = clock.now()
        var batch: [Envelope] = []
        batch.reserveCapacity(events.count)
        var seq = first
        for e in events {
            batch.append(Envelope(
                topic: e.topic, source: source, seq: seq, time: e.eventTime, published: now,
                correlation: correlation, causation: nil, payload: e.payload))
            seq &+= 1
        }
        try await bus.publish(contentsOf: batch)
        return first..<(first &+ n)
    }

    /// Publishes any payload (a catalogue event, or a raw event) under this source.
    @discardableResult
    nonisolated(nonsending) public func publish(
        payload: Payload, topic: String, time: Timestamp, correlation: String? = nil, causation: EventID? = nil
    ) async throws(BusError) -> EventID {
        let seq = counter.add(1, ordering: .relaxed).newValue
        let envelope = Envelope(
            topic: topic, source: source, seq: seq, time: time, published: clock.now(),
            correlation: correlation, causation: causation, payload: payload)
        try await bus.publish(envelope)
        return EventID(source: source, seq: seq)
    }
}
