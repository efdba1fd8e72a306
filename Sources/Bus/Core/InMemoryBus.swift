import Synchronization

/// The in-memory transport: the default, and the one every backtest runs on.
///
/// Publishing looks up the subscriptions for a topic in a cache (patterns are matched once
/// per distinct topic), then appends to each subscription's bounded queue. Consumers take
/// whole batches, so the cost per event is tens of nanoseconds (`agora bench bus`).
public final class InMemoryBus: EventBus {
    private struct Routes {
        var mailboxes: [Mailbox] = []
        var cache: [String: [Mailbox]] = [:]
        /// The most recent topics, checked before hashing into `cache`.
        var recentTopics: [String] = []
        var recentTargets: [[Mailbox]] = []
        var recentNext = 0
        var closed = false
        var nextID = 0
        /// Events accepted for publication (counted under the lock publish takes anyway).
        var published: UInt64 = 0

        static let recentCount = 16

        mutating func invalidate() {
            cache.removeAll(keepingCapacity: true)
            recentTopics.removeAll(keepingCapacity: true)
            recentTargets.removeAll(keepingCapacity: true)
            recentNext = 0
        }

        mutating func remember(_ topic: String, _ targets: [Mailbox]) {
            if recentTopics.count < Routes.recentCount {
                recentTopics.append(topic)
                recentTargets.append(targets)
            } else {
                recentTopics[recentNext] = topic
                recentTargets[recentNext] = targets
                recentNext = (recentNext + 1) % Routes.recentCount
            }
        }
    }

    private let routes = Mutex(Routes())
    private let monitor = ActivityMonitor()
    /// Bounds the topic → subscriptions cache.
    static let cacheLimit = 65_536

    public init() {}

    public var transport: String { "memory" }

    nonisolated(nonsending) public func publish(_ e: Envelope) async throws(BusError) {
        let targets = try routes.withLock { (r: inout Routes) throws(BusError) -> [Mailbox] in
            if r.closed { throw BusError.closed }
            let topic = e.topic
            for i in 0..<r.recentTopics.count where r.recentTopics[i] == topic {
                r.published &+= 1
                return r.recentTargets[i]
            }
            if let hit = r.cache[topic] {
                r.remember(topic, hit)
                r.published &+= 1
                return hit
            }
            if let problem = Topic.validate(topic) { throw BusError(.invalidTopic, problem) }
            let matched = r.mailboxes.filter { $0.matches(topic) }
            if r.cache.count >= InMemoryBus.cacheLimit { r.cache.removeAll(keepingCapacity: true) }
            r.cache[topic] = matched
            r.remember(topic, matched)
            r.published &+= 1
            return matched
        }
        let bit = e.payload.typeBit
        for m in targets where m.typeMask & bit != 0 {
            switch m.offer(e) {
            case .accepted, .dropped, .gone: continue
            case .closed: throw BusError.closed
            case .full: try await m.offerWaiting(e)
            }
        }
    }

    public func subscribe(_ patterns: [String], options: SubscriptionOptions) async throws(BusError) -> Subscription {
        let compiled = try validatePatterns(patterns)
        let mailbox = try routes.withLock { (r: inout Routes) throws(BusError) -> Mailbox in
            if r.closed { throw BusError.closed }
            r.nextID += 1
            let m = Mailbox(
                id: r.nextID, name: options.name.isEmpty ? "sub-\(r.nextID)" : options.name, patterns: compiled,
                typeMask: options.typeMask, policy: options.policy, cancellable: options.endsOnTaskCancellation, monitor: monitor)
            r.mailboxes.append(m)
            r.invalidate()
            return m
        }
        return Subscription(mailbox: mailbox) { [weak self] id in self?.remove(id) }
    }

    private func remove(_ id: Int) {
        routes.withLock { r in
            r.mailboxes.removeAll { $0.id == id }
            r.invalidate()
        }
    }

    /// Waits until every event published so far has been handled: every subscription's
    /// queue is empty and its consumer is waiting for more.
    ///
    /// A subscription counts once its consumer has started, until it is cancelled: a
    /// consumer that stops iterating must cancel its subscription, or this never returns.
    public func waitUntilIdle() async {
        await monitor.waitUntilIdle()
    }

    /// Stops accepting events and ends every subscription once its consumer has taken
    /// what was queued. Returns when every queue is empty, or when consumers have stopped
    /// taking events for `stallTimeout` (a subscription nobody reads does not block shutdown).
    public func shutdown() async {
        await shutdown(stallTimeout: .milliseconds(500))
    }

    public func shutdown(stallTimeout: Duration) async {
        let all = routes.withLock { r -> [Mailbox] in
            r.closed = true
            r.invalidate()
            return r.mailboxes
        }
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
            } else if clock.now - lastProgress >= stallTimeout {
                return
            }
        }
    }

    public func statistics() -> BusStatistics {
        let (all, published) = routes.withLock { ($0.mailboxes, $0.published) }
        return BusStatistics(transport: transport, published: published, subscriptions: all.map(\.stats))
    }
}
