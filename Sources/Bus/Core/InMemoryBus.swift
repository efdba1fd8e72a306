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

        /// The subscriptions whose patterns match `topic` (cached per topic).
        @inline(__always)
        mutating func targets(_ topic: String) throws(BusError) -> [Mailbox] {
            for i in 0..<recentTopics.count where recentTopics[i] == topic {
                return recentTargets[i]
            }
            if let hit = cache[topic] {
                remember(topic, hit)
                return hit
            }
            if let problem = Topic.validate(topic) { throw BusError(.invalidTopic, problem) }
            let matched = mailboxes.filter { $0.matches(topic) }
            if cache.count >= InMemoryBus.cacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[topic] = matched
            remember(topic, matched)
            return matched
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
            let t = try r.targets(e.topic)
            r.published &+= 1
            return t
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

    /// Routes each run of one topic once, and hands each subscription the run under one
    /// lock: per event, no lock, clock or async call of its own.
    nonisolated(nonsending) public func publish(contentsOf batch: [Envelope]) async throws(BusError) {
        if batch.isEmpty { return }
        // Every run's targets first, so that an invalid topic refuses the whole batch.
        let runs = try routes.withLock { (r: inout Routes) throws(BusError) -> [(end: Int, targets: [Mailbox])] in
            if r.closed { throw BusError.closed }
            var runs: [(end: Int, targets: [Mailbox])] = []
            var i = 0
            while i < batch.count {
                let topic = batch[i].topic
                var j = i + 1
                while j < batch.count && batch[j].topic == topic { j += 1 }
                runs.append((j, try r.targets(topic)))
                i = j
            }
            r.published &+= UInt64(batch.count)
            return runs
        }
        var start = 0
        for run in runs {
            for m in run.targets {
                var i = start
                while i < run.end {
                    let (next, result) = m.offer(contentsOf: batch, from: i, to: run.end)
                    switch result {
                    case .accepted, .dropped, .gone: i = run.end
                    case .closed: throw BusError.closed
                    case .full:
                        try await m.offerWaiting(batch[next])
                        i = next + 1
                    }
                }
            }
            start = run.end
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
