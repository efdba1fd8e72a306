import Synchronization

/// The Redis transport: the same ``EventBus`` contract as ``InMemoryBus``, across
/// processes and machines, over Redis pub/sub through hiredis.
///
/// - Each event is published as its JSON (docs/wire-format.md) to the channel
///   `<prefix><topic>`; subscriptions are `PSUBSCRIBE`s of `<escaped prefix><pattern>`.
/// - Publishing is pipelined on one connection owned by a dedicated writer thread, behind
///   a bounded queue (`publish` suspends when it is full). Subscribing uses one
///   `PSUBSCRIBE` connection read by a dedicated thread, which decodes each message once
///   and hands events to the subscriptions' mailboxes in batches: subscriptions, overflow
///   policies and statistics behave as on the in-memory bus.
/// - When Redis goes away, both connections reconnect with capped exponential backoff and
///   the reader resubscribes. Pub/sub delivers at most once: events published while a
///   subscriber is disconnected are missed, and counted per subscription as gaps.
/// - Undecodable messages are counted as malformed, logged once per channel and dropped.
///
/// See docs/redis.md.
public final class RedisBus: EventBus {
    public let configuration: RedisConfiguration
    let writer: RedisWriter
    let reader: RedisReader
    private let log: Logger

    private struct State {
        var closed = false
        var nextID = 0
        var mailboxes: [Int: Mailbox] = [:]
    }
    private let state = Mutex(State())

    private init(configuration: RedisConfiguration, writer: RedisWriter, reader: RedisReader, log: Logger) {
        self.configuration = configuration
        self.writer = writer
        self.reader = reader
        self.log = log
    }

    /// Connects both connections (publisher and subscriber) and returns a ready bus.
    ///
    /// Throws ``RedisConfigurationError`` for an invalid configuration, and ``BusError``
    /// when the server cannot be reached (`.disconnected`) or refuses the credentials or
    /// database (`.refused`); the message names the server and the reason.
    /// - Parameters:
    ///   - logger: where lost connections and reconnections (warning, notice), malformed
    ///     messages (warning, once per channel) and refused commands (error) are reported.
    ///   - clock: the wall clock stamped on received messages that carry no `published` time.
    public static func connect(
        _ configuration: RedisConfiguration, logger: Logger = Logger(label: "bus.redis"),
        clock: any WallClock = SystemClock()
    ) async throws -> RedisBus {
        let log = logger
        try configuration.validate()
        let writer = RedisWriter(config: configuration, log: log)
        let reader = RedisReader(config: configuration, log: log, clock: clock)
        if let failure = await writer.start() { throw failure.busError }
        if let failure = await reader.start() {
            writer.stop()
            throw failure.busError
        }
        return RedisBus(configuration: configuration, writer: writer, reader: reader, log: log)
    }

    /// Connects to `url` (`redis://[user:password@]host:port[/db]`) with default settings.
    public static func connect(url: String, prefix: String = "", logger: Logger = Logger(label: "bus.redis")) async throws -> RedisBus {
        try await connect(RedisConfiguration(url: url, prefix: prefix), logger: logger)
    }

    deinit {
        writer.stop()
        reader.stop()
    }

    public var transport: String { "redis" }

    nonisolated(nonsending) public func publish(_ envelope: Envelope) async throws(BusError) {
        try await writer.publish(envelope)
    }

    /// Encodes and queues the batch for the writer under one lock (waiting for room when
    /// the publish queue fills), after checking every topic: an invalid one refuses the
    /// whole batch.
    nonisolated(nonsending) public func publish(contentsOf envelopes: [Envelope]) async throws(BusError) {
        try validateTopics(of: envelopes)
        try await writer.publish(contentsOf: envelopes)
    }

    public func subscribe(_ patterns: [String], options: SubscriptionOptions) async throws(BusError) -> Subscription {
        let compiled = try validatePatterns(patterns)
        let mailbox = try state.withLock { (s: inout State) throws(BusError) -> Mailbox in
            if s.closed { throw BusError.closed }
            if configuration.whenDisconnected == .fail && !reader.isConnected {
                throw BusError(.disconnected, "not connected to \(configuration.url) (\(reader.lastError)); whenDisconnected is \"fail\"")
            }
            s.nextID += 1
            let m = Mailbox(
                id: s.nextID, name: options.name.isEmpty ? "sub-\(s.nextID)" : options.name, patterns: compiled,
                typeMask: options.typeMask, policy: options.policy, cancellable: options.endsOnTaskCancellation, monitor: nil)
            s.mailboxes[m.id] = m
            return m
        }
        do {
            try await reader.add(mailbox)
        } catch {
            _ = state.withLock { $0.mailboxes.removeValue(forKey: mailbox.id) }
            _ = mailbox.cancel(discard: true)
            throw error
        }
        return Subscription(mailbox: mailbox) { [weak self] id in self?.remove(id) }
    }

    private func remove(_ id: Int) {
        reader.remove(id)
        _ = state.withLock { $0.mailboxes.removeValue(forKey: id) }
    }

    /// Stops accepting events; sends what was accepted and waits for Redis to acknowledge
    /// it; waits until this bus' subscriber connection has received everything published
    /// before (a PING round trip behind those events); then ends every subscription once
    /// its consumer has taken what was queued. Gives up waiting on the server after
    /// `shutdownTimeout`, and on a consumer that stops taking events after 0.5 s.
    public func shutdown() async {
        let alreadyClosed = state.withLock { s -> Bool in
            defer { s.closed = true }
            return s.closed
        }
        if alreadyClosed { return }
        let timeout = configuration.shutdownTimeout
        let sent = await writer.closeAndDrain(timeout: timeout)
        if !sent { log.error("shutdown: not every accepted event reached \(configuration.url)") }
        let hasSubscribers = state.withLock { !$0.mailboxes.isEmpty }
        if hasSubscribers { _ = await reader.fence(timeout: timeout) }
        let all = state.withLock { Array($0.mailboxes.values) }
        for m in all { m.finish() }
        let clock = ContinuousClock()
        var lastProgress = clock.now
        var lastDelivered = all.reduce(UInt64(0)) { $0 + $1.stats.delivered }
        var pause = Duration.microseconds(200)
        while all.contains(where: { $0.hasQueuedEvents }) {
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(20))
            let delivered = all.reduce(UInt64(0)) { $0 + $1.stats.delivered }
            if delivered != lastDelivered {
                lastDelivered = delivered
                lastProgress = clock.now
            } else if clock.now - lastProgress >= .milliseconds(500) {
                break
            }
        }
        writer.stop()
        reader.stop()
    }

    public func statistics() -> BusStatistics {
        let all = state.withLock { $0.mailboxes.values.sorted { $0.id < $1.id } }
        let w = writer.statistics
        let r = reader.statistics
        return BusStatistics(
            transport: transport, published: w.accepted, reconnects: w.reconnects + r.reconnects,
            subscriptions: all.map(\.stats))
    }

    /// Transport-level counters (connections, acknowledgements, messages read).
    public func redisStatistics() -> RedisStatistics {
        let w = writer.statistics
        let r = reader.statistics
        return RedisStatistics(
            publisherConnected: w.connected, subscriberConnected: r.connected,
            publisherReconnects: w.reconnects, subscriberReconnects: r.reconnects,
            accepted: w.accepted, acknowledged: w.acknowledged, unconfirmed: w.unconfirmed,
            refused: w.refused, abandoned: w.abandoned,
            messagesRead: r.messages, malformed: r.malformed, gaps: r.gaps, patterns: r.patterns)
    }
}

/// Counters of the Redis transport itself (``RedisBus/redisStatistics()``).
public struct RedisStatistics: Sendable, Equatable {
    public var publisherConnected: Bool
    public var subscriberConnected: Bool
    public var publisherReconnects: UInt64
    public var subscriberReconnects: UInt64
    /// Events accepted by `publish`.
    public var accepted: UInt64
    /// PUBLISH commands Redis acknowledged.
    public var acknowledged: UInt64
    /// Sent when the connection failed, before Redis acknowledged them: perhaps lost.
    public var unconfirmed: UInt64
    /// PUBLISH commands Redis answered with an error (e.g. an ACL without the channel).
    public var refused: UInt64
    /// Still queued when shutdown gave up on the server.
    public var abandoned: UInt64
    /// Messages the subscriber connection decoded (or failed to).
    public var messagesRead: UInt64
    public var malformed: UInt64
    /// Events missed, summed over subscriptions.
    public var gaps: UInt64
    /// Distinct patterns subscribed.
    public var patterns: Int
}
