/// Options chosen at subscribe time.
public struct SubscriptionOptions: Sendable {
    /// A name for statistics, heartbeats and logs (e.g. the agent's name).
    public var name: String
    public var policy: OverflowPolicy
    /// Only these catalogue types are delivered; nil delivers everything, including
    /// events of unknown type (raw subscribers such as the tap).
    public var types: Set<EventType>?
    /// When true (the default), cancelling the consuming task ends a wait for events at
    /// once. Agents turn it off: a cancellation handler per wait costs about as much as
    /// the wake-up itself (measured), and agents stop through unsubscribe or shutdown,
    /// which always end the stream. Without it a cancelled consumer ends at its next event.
    public var endsOnTaskCancellation: Bool

    public init(name: String = "", policy: OverflowPolicy = .default, types: Set<EventType>? = nil, endsOnTaskCancellation: Bool = true) {
        self.name = name
        self.policy = policy
        self.types = types
        self.endsOnTaskCancellation = endsOnTaskCancellation
    }

    var typeMask: UInt64 {
        guard let types else { return ~0 }
        var m: UInt64 = 0
        for t in types { m |= 1 &<< UInt64(t.index) }
        return m
    }
}

/// A stream of envelopes matching one or more patterns. Iterate it from one task.
///
/// The stream ends (returns nil) after ``cancel()`` once what was queued is consumed, when
/// the bus shuts down and everything accepted has been delivered, or when the consuming
/// task is cancelled. Releasing the last reference unsubscribes too.
public final class Subscription: AsyncSequence, Sendable {
    public typealias Element = Envelope
    public typealias Failure = Never

    let mailbox: Mailbox
    private let detach: @Sendable (Int) -> Void

    init(mailbox: Mailbox, detach: @escaping @Sendable (Int) -> Void) {
        self.mailbox = mailbox
        self.detach = detach
    }

    deinit {
        if mailbox.cancel(discard: true) { detach(mailbox.id) }
    }

    public var id: Int { mailbox.id }
    public var name: String { mailbox.name }
    public var patterns: [String] { mailbox.patterns.map(\.text) }
    public var policy: OverflowPolicy { mailbox.policy }
    public var stats: SubscriptionStats { mailbox.stats }

    /// Unsubscribes. Events already queued are still delivered; then the stream ends.
    public func cancel() {
        if mailbox.cancel(discard: false) { detach(mailbox.id) }
    }

    public func makeAsyncIterator() -> Iterator { Iterator(mailbox: mailbox) }

    public struct Iterator: AsyncIteratorProtocol {
        let mailbox: Mailbox
        var batch = Ring<Envelope>(capacity: 16)

        init(mailbox: Mailbox) { self.mailbox = mailbox }

        /// Runs on the caller's actor: no executor hop per event.
        public mutating func next(isolation actor: isolated (any Actor)?) async -> Envelope? {
            if let e = batch.popFirst() { return e }
            guard let full = await mailbox.take(returning: batch, isolation: actor) else { return nil }
            batch = full
            return batch.popFirst()
        }

        public mutating func next() async -> Envelope? {
            await next(isolation: nil)
        }
    }
}

/// An event delivered to a typed subscriber, with its envelope.
public struct Delivery<E: BusEvent>: Sendable {
    public let event: E
    public let envelope: Envelope
}

/// A subscription that yields only events of type `E`.
public final class TypedSubscription<E: BusEvent>: AsyncSequence, Sendable {
    public typealias Element = Delivery<E>
    public typealias Failure = Never

    public let raw: Subscription

    init(raw: Subscription) { self.raw = raw }

    public func cancel() { raw.cancel() }
    public var stats: SubscriptionStats { raw.stats }

    public func makeAsyncIterator() -> Iterator { Iterator(base: raw.makeAsyncIterator()) }

    public struct Iterator: AsyncIteratorProtocol {
        var base: Subscription.Iterator

        public mutating func next(isolation actor: isolated (any Actor)?) async -> Delivery<E>? {
            while let envelope = await base.next(isolation: actor) {
                if let event = E(payload: envelope.payload) { return Delivery(event: event, envelope: envelope) }
            }
            return nil
        }

        public mutating func next() async -> Delivery<E>? { await next(isolation: nil) }
    }
}
