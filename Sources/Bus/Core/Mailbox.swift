import Synchronization

/// Counters of one subscription. Every event that reached a subscription is in exactly
/// one of: still queued (`depth`), handed to the consumer (`delivered`), or `dropped`.
public struct SubscriptionStats: Sendable, Hashable {
    public var id: Int
    public var name: String
    public var patterns: [String]
    public var policy: String
    public var capacity: Int
    /// Events waiting in the queue now.
    public var depth: Int
    /// The largest `depth` seen.
    public var maxDepth: Int
    /// Events that entered the queue.
    public var accepted: UInt64
    /// Events handed to the consumer.
    public var delivered: UInt64
    /// Events dropped by a drop policy, or discarded when the subscription was released unread.
    public var dropped: UInt64
    /// Publishers suspended right now, waiting for room.
    public var blockedPublishers: Int
    /// Events missing from publishers' sequences (transports that can lose events).
    public var gaps: UInt64
    /// Messages that could not be decoded (transports that carry bytes).
    public var malformed: UInt64
}

/// The bounded queue of one subscription: many producers, one consumer.
///
/// Producers append under a lock; the consumer swaps out the whole queue at once and then
/// iterates its private batch without locking. That keeps delivery at tens of nanoseconds
/// per event however busy the bus is. A consumer that finds the queue empty parks on a
/// continuation, which the next producer resumes.
final class Mailbox: Sendable {
    enum Offer {
        case accepted
        case dropped
        /// The queue is full and the policy is `suspend`.
        case full
        /// The subscription was cancelled; skip it.
        case gone
        /// The bus is shutting down; nothing more is accepted.
        case closed
    }

    struct Blocked {
        let envelope: Envelope
        let continuation: UnsafeContinuation<BusError?, Never>
        let token: UInt64
    }

    struct State {
        var queue: Ring<Envelope>
        var consumer: UnsafeContinuation<Void, Never>?
        var consumerCancelled = false
        var blocked: [Blocked] = []
        /// A producer thread (a network transport's reader) parked until there is room.
        var parkedProducer: ThreadParker?
        var cancelledTokens: Set<UInt64> = []
        var nextToken: UInt64 = 0
        /// No new input (shutdown, or cancel): the consumer drains what is queued, then ends.
        var finished = false
        /// The subscription is gone (cancelled or released).
        var cancelled = false
        /// Counted as busy by the activity monitor: queue non-empty or consumer working.
        /// Only once a consumer has started: a subscription nobody reads (yet) does not
        /// hold up quiescence.
        var busy = false
        var consumerStarted = false
        /// Event-loop delivery: the loop's consumer of this mailbox, and whether it is in
        /// that loop's ready list.
        var attached: EventLoop.Consumer?
        var scheduled = false

        /// The loop's consumer to put on its ready list, when attached and not there yet
        /// (marked as scheduled here; the caller calls `loop.schedule`).
        mutating func claimSchedule() -> EventLoop.Consumer? {
            guard let a = attached, !scheduled else { return nil }
            scheduled = true
            return a
        }
        var accepted: UInt64 = 0
        var delivered: UInt64 = 0
        var dropped: UInt64 = 0
        var gaps: UInt64 = 0
        var malformed: UInt64 = 0
        var maxDepth = 0
    }

    let id: Int
    let name: String
    let patterns: [TopicPattern]
    let typeMask: UInt64
    let policy: OverflowPolicy
    let cancellable: Bool
    let monitor: ActivityMonitor?
    let state: Mutex<State>

    init(id: Int, name: String, patterns: [TopicPattern], typeMask: UInt64, policy: OverflowPolicy, cancellable: Bool = true, monitor: ActivityMonitor?) {
        self.cancellable = cancellable
        self.id = id
        self.name = name
        self.patterns = patterns
        self.typeMask = typeMask
        self.policy = policy
        self.monitor = monitor
        self.state = Mutex(State(queue: Ring(capacity: min(policy.capacity, 1024))))
    }

    func matches(_ topic: String) -> Bool {
        for p in patterns where p.matches(topic) { return true }
        return false
    }

    @inline(__always) private func markBusy(_ s: inout State) {
        if !s.busy && s.consumerStarted {
            s.busy = true
            monitor?.enter()
        }
    }

    /// Whom to wake after events were appended: the waiting consumer, and the loop's
    /// consumer to put on its ready list. Taken under the lock, woken after it.
    struct Wakeup {
        var continuation: UnsafeContinuation<Void, Never>?
        var schedule: EventLoop.Consumer?

        static let none = Wakeup()

        @inline(__always) func fire() {
            continuation?.resume()
            if let schedule { schedule.loop.schedule(schedule) }
        }
    }

    /// Claims whom to wake (under the lock): the consumer leaves its wait.
    @inline(__always) private func wakeup(_ s: inout State) -> Wakeup {
        let w = Wakeup(continuation: s.consumer, schedule: s.claimSchedule())
        s.consumer = nil
        return w
    }

    /// After appending (under the lock): marks the subscription busy and claims whom to wake.
    @inline(__always) private func appended(_ s: inout State) -> Wakeup {
        markBusy(&s)
        return wakeup(&s)
    }

    @inline(__always) private func markIdle(_ s: inout State) {
        if s.busy {
            s.busy = false
            monitor?.leave()
        }
    }

    // MARK: producer side

    /// What the policy does with one more event (under the lock).
    private enum Admission {
        case append
        /// Dropped (`dropNewest`), counted.
        case drop
        /// No room, and the policy is `suspend`: the publisher waits.
        case full
    }

    /// Makes room for one more event as the policy says: `dropOldest` drops (and counts)
    /// the oldest, `dropNewest` counts the newcomer as dropped, `suspend` says to wait.
    @inline(__always) private func admit(_ s: inout State) -> Admission {
        guard s.queue.count >= policy.capacity else { return .append }
        switch policy.kind {
        case .suspend:
            // A handler on the mailbox's own event loop cannot wait for that loop: its
            // events are queued beyond the capacity instead.
            if let a = s.attached, a.loop.isCurrentHandler { return .append }
            // Nor can a handler wait for a mailbox nobody consumes yet: it would hold its
            // whole loop, perhaps the very loop that is about to consume this mailbox.
            if !s.consumerStarted && EventLoop.isInsideAnyHandler { return .append }
            return .full
        case .dropNewest:
            s.dropped &+= 1
            return .drop
        case .dropOldest:
            s.queue.removeFirst()
            s.dropped &+= 1
            return .append
        }
    }

    /// Offers an event without waiting.
    @inline(__always)
    func offer(_ e: Envelope) -> Offer {
        let (result, wake) = state.withLock { s -> (Offer, Wakeup) in
            if s.cancelled { return (.gone, .none) }
            if s.finished { return (.closed, .none) }
            switch admit(&s) {
            case .append: break
            case .drop: return (.dropped, .none)
            case .full: return (.full, .none)
            }
            s.queue.append(e)
            s.accepted &+= 1
            if s.queue.count > s.maxDepth { s.maxDepth = s.queue.count }
            return (.accepted, appended(&s))
        }
        wake.fire()
        return result
    }

    /// Offers `batch[start..<end]` (those of this subscription's types) under one lock, in
    /// order, without waiting. Returns where it stopped: `end` with `.accepted` (or `.gone`,
    /// `.closed`), or the index of the first event that found the queue full (`.full`: the
    /// caller waits for room with it, then offers the rest).
    func offer(contentsOf batch: [Envelope], from start: Int, to end: Int) -> (Int, Offer) {
        let (next, result, wake) = state.withLock { s -> (Int, Offer, Wakeup) in
            if s.cancelled { return (end, .gone, .none) }
            if s.finished { return (start, .closed, .none) }
            var i = start
            var result = Offer.accepted
            var added = false
            let everyType = typeMask == ~0
            scan: while i < end {
                if !everyType && typeMask & batch[i].payload.typeBit == 0 {
                    i += 1
                    continue
                }
                switch admit(&s) {
                case .append: break
                case .drop:
                    i += 1
                    continue scan
                case .full:
                    result = .full
                    break scan
                }
                s.queue.append(batch[i])
                s.accepted &+= 1
                added = true
                i += 1
            }
            if s.queue.count > s.maxDepth { s.maxDepth = s.queue.count }
            return (i, result, added ? appended(&s) : .none)
        }
        wake.fire()
        return (next, result)
    }

    /// Waits for room, then enqueues (the `suspend` policy). Throws `.closed` if the bus
    /// shuts down, or `.cancelled` if the publishing task is cancelled, while waiting.
    nonisolated(nonsending) func offerWaiting(_ e: Envelope) async throws(BusError) {
        let token = state.withLock { s -> UInt64 in
            s.nextToken &+= 1
            return s.nextToken
        }
        let error: BusError? = await withTaskCancellationHandler {
            await withUnsafeContinuation { (c: UnsafeContinuation<BusError?, Never>) in
                let (immediate, wake) = state.withLock { s -> (BusError??, Wakeup) in
                    if s.cancelledTokens.remove(token) != nil { return (.some(BusError(.cancelled, "publish cancelled while waiting for room")), .none) }
                    if s.cancelled { return (.some(nil), .none) }
                    if s.finished { return (.some(.closed), .none) }
                    if s.queue.count < policy.capacity {
                        s.queue.append(e)
                        s.accepted &+= 1
                        if s.queue.count > s.maxDepth { s.maxDepth = s.queue.count }
                        return (.some(nil), appended(&s))
                    }
                    s.blocked.append(Blocked(envelope: e, continuation: c, token: token))
                    return (.none, .none)
                }
                wake.fire()
                if let immediate { c.resume(returning: immediate) }
            }
        } onCancel: {
            let c = state.withLock { s -> UnsafeContinuation<BusError?, Never>? in
                if let i = s.blocked.firstIndex(where: { $0.token == token }) {
                    return s.blocked.remove(at: i).continuation
                }
                s.cancelledTokens.insert(token)
                return nil
            }
            c?.resume(returning: BusError(.cancelled, "publish cancelled while waiting for room"))
        }
        // A token that was never looked at again must not linger.
        if error?.code == .cancelled { _ = state.withLock { $0.cancelledTokens.remove(token) } }
        if let error { throw error }
    }

    /// Moves a batch in from a dedicated producer thread (a network transport's reader),
    /// taking the lock and waking the consumer once for the whole batch. When the queue is
    /// empty and the batch fits, the two rings are swapped: nothing is copied.
    ///
    /// With `suspend`, the thread parks on `parker` while the queue is full and goes on
    /// when the consumer takes a batch; drop policies count their drops as `offer` does.
    /// On return `batch` is empty. Returns false when the subscription takes no more events
    /// (cancelled or finished): the rest of the batch is discarded.
    func offerBatch(_ batch: inout Ring<Envelope>, parker: ThreadParker) -> Bool {
        while !batch.isEmpty {
            let (open, wake) = state.withLock { s -> (Bool, Wakeup) in
                if s.cancelled || s.finished { return (false, .none) }
                var added = false
                if s.queue.isEmpty && batch.count <= policy.capacity {
                    swap(&s.queue, &batch)
                    s.accepted &+= UInt64(s.queue.count)
                    added = true
                } else {
                    take: while let e = batch.popFirst() {
                        switch admit(&s) {
                        case .append: break
                        case .drop: continue take
                        case .full:
                            batch.prepend(e)
                            break take
                        }
                        s.queue.append(e)
                        s.accepted &+= 1
                        added = true
                    }
                }
                if s.queue.count > s.maxDepth { s.maxDepth = s.queue.count }
                if !batch.isEmpty { s.parkedProducer = parker }
                return (true, added ? appended(&s) : .none)
            }
            wake.fire()
            if !open {
                batch.removeAll()
                return false
            }
            if !batch.isEmpty { parker.park() }
        }
        return true
    }

    // MARK: consumer side

    /// Hands the consumer everything queued, swapping in its (empty) ring. Suspends while
    /// the queue is empty. Returns nil when the subscription has ended.
    func take(returning empty: Ring<Envelope>, isolation: isolated (any Actor)?) async -> Ring<Envelope>? {
        while true {
            if Task.isCancelled {
                cancelFromConsumer()
                return nil
            }
            enum Outcome {
                case batch(Ring<Envelope>, [UnsafeContinuation<BusError?, Never>])
                case end
                case wait
            }
            let outcome = state.withLock { s -> Outcome in
                if !s.consumerStarted {
                    s.consumerStarted = true
                    if !s.queue.isEmpty { markBusy(&s) }
                }
                if !s.queue.isEmpty {
                    let full = s.queue
                    s.queue = empty
                    s.delivered &+= UInt64(full.count)
                    var admitted: [UnsafeContinuation<BusError?, Never>] = []
                    if !s.blocked.isEmpty {
                        var n = 0
                        while n < s.blocked.count && s.queue.count < policy.capacity {
                            s.queue.append(s.blocked[n].envelope)
                            s.accepted &+= 1
                            admitted.append(s.blocked[n].continuation)
                            n += 1
                        }
                        s.blocked.removeFirst(n)
                    }
                    if let p = s.parkedProducer {
                        s.parkedProducer = nil
                        p.unpark()
                    }
                    return .batch(full, admitted)
                }
                if s.finished || s.cancelled {
                    markIdle(&s)
                    return .end
                }
                return .wait
            }
            switch outcome {
            case .batch(let full, let admitted):
                for c in admitted { c.resume(returning: nil) }
                return full
            case .end:
                return nil
            case .wait:
                if cancellable {
                    await withTaskCancellationHandler(operation: {
                        await park(isolation: isolation)
                    }, onCancel: {
                        let c = state.withLock { s -> UnsafeContinuation<Void, Never>? in
                            s.consumerCancelled = true
                            let c = s.consumer
                            s.consumer = nil
                            return c
                        }
                        c?.resume()
                    }, isolation: isolation)
                } else {
                    await park(isolation: isolation)
                }
            }
        }
    }

    /// Waits until there is something to take (or the subscription ends).
    private func park(isolation: isolated (any Actor)?) async {
        await withUnsafeContinuation(isolation: isolation) { (c: UnsafeContinuation<Void, Never>) in
            let (now, previous) = state.withLock { s -> (Bool, UnsafeContinuation<Void, Never>?) in
                if !s.queue.isEmpty || s.finished || s.cancelled || s.consumerCancelled { return (true, nil) }
                let previous = s.consumer
                s.consumer = c
                markIdle(&s)
                return (false, previous)
            }
            previous?.resume()
            if now { c.resume() }
        }
    }

    private func cancelFromConsumer() {
        _ = cancel(discard: false)
    }

    // MARK: lifecycle

    /// Stops new input. What is queued is still delivered, then the consumer's loop ends.
    /// Publishers waiting for room get `BusError.closed`.
    func finish() {
        let (blocked, wake) = state.withLock { s -> ([Blocked], Wakeup) in
            s.finished = true
            let b = s.blocked
            s.blocked = []
            s.parkedProducer?.unpark()
            s.parkedProducer = nil
            let w = wakeup(&s)
            if s.queue.isEmpty && w.continuation != nil { markIdle(&s) }
            return (b, w)
        }
        for b in blocked { b.continuation.resume(returning: .closed) }
        wake.fire()
    }

    /// Unsubscribes: no new input, blocked publishers are released (they skip this
    /// subscription). With `discard`, queued events are dropped and counted as dropped;
    /// otherwise the consumer still receives them. Returns false if already cancelled.
    func cancel(discard: Bool) -> Bool {
        let (was, blocked, wake) = state.withLock { s -> (Bool, [Blocked], Wakeup) in
            if s.cancelled { return (false, [], .none) }
            s.cancelled = true
            let b = s.blocked
            s.blocked = []
            s.parkedProducer?.unpark()
            s.parkedProducer = nil
            if discard {
                s.dropped &+= UInt64(s.queue.count)
                s.queue.removeAll()
            }
            let w = wakeup(&s)
            if s.queue.isEmpty { markIdle(&s) }
            return (true, b, w)
        }
        for b in blocked { b.continuation.resume(returning: nil) }
        wake.fire()
        return was
    }

    // MARK: event-loop side

    enum Drain {
        /// Events to hand to the handler (the ring to give back next time is the one passed
        /// in). `stillScheduled`: more events were admitted (publishers that waited for
        /// room), so the mailbox stays in the ready list; otherwise it left it, and the loop
        /// calls ``settle()`` after the handler.
        case batch(Ring<Envelope>, stillScheduled: Bool)
        /// Nothing queued now; the mailbox leaves the ready list.
        case empty
        /// The subscription has ended; the handler is done.
        case ended
    }

    /// Attaches the mailbox to an event loop's consumer. Events already queued are
    /// scheduled at once.
    func attach(_ consumer: EventLoop.Consumer) {
        let now = state.withLock { s -> Bool in
            s.attached = consumer
            s.consumerStarted = true
            if !s.queue.isEmpty { markBusy(&s) }
            if !s.scheduled && (!s.queue.isEmpty || s.finished || s.cancelled) {
                s.scheduled = true
                return true
            }
            return false
        }
        if now { consumer.loop.schedule(consumer) }
    }

    /// Takes what is queued, without waiting (the event loop's `take`).
    func drain(returning empty: Ring<Envelope>) -> Drain {
        let (result, admitted) = state.withLock { s -> (Drain, [UnsafeContinuation<BusError?, Never>]) in
            if !s.queue.isEmpty {
                let full = s.queue
                s.queue = empty
                s.delivered &+= UInt64(full.count)
                var admitted: [UnsafeContinuation<BusError?, Never>] = []
                if !s.blocked.isEmpty {
                    var n = 0
                    while n < s.blocked.count && s.queue.count < policy.capacity {
                        s.queue.append(s.blocked[n].envelope)
                        s.accepted &+= 1
                        admitted.append(s.blocked[n].continuation)
                        n += 1
                    }
                    s.blocked.removeFirst(n)
                }
                if let p = s.parkedProducer {
                    s.parkedProducer = nil
                    p.unpark()
                }
                // Emptied: leave the ready list now (the next event schedules it again).
                // Still busy until `settle()`, after the handler.
                let again = !s.queue.isEmpty || s.finished || s.cancelled
                if !again { s.scheduled = false }
                return (.batch(full, stillScheduled: again), admitted)
            }
            if s.finished || s.cancelled {
                s.attached = nil
                markIdle(&s)
                return (.ended, [])
            }
            s.scheduled = false
            markIdle(&s)
            return (.empty, [])
        }
        for c in admitted { c.resume(returning: nil) }
        return result
    }

    /// After the loop handled a batch that emptied the queue: idle unless more came.
    func settle() {
        state.withLock { s in
            if s.queue.isEmpty { markIdle(&s) }
        }
    }

    /// True while events wait in the queue of a subscription that is not cancelled.
    var hasQueuedEvents: Bool { state.withLock { !$0.cancelled && !$0.queue.isEmpty } }

    func recordGaps(_ n: UInt64) { state.withLock { $0.gaps &+= n } }
    func recordMalformed(_ n: UInt64 = 1) { state.withLock { $0.malformed &+= n } }

    var stats: SubscriptionStats {
        state.withLock { s in
            SubscriptionStats(
                id: id, name: name, patterns: patterns.map(\.text), policy: policy.name, capacity: policy.capacity,
                depth: s.queue.count, maxDepth: s.maxDepth, accepted: s.accepted, delivered: s.delivered,
                dropped: s.dropped, blockedPublishers: s.blocked.count + (s.parkedProducer == nil ? 0 : 1), gaps: s.gaps, malformed: s.malformed)
        }
    }
}

/// Counts busy subscriptions so that a single-process run can wait until every event
/// published so far has been handled ("quiescence").
final class ActivityMonitor: Sendable {
    private struct State {
        var waiters: [(UInt64, UnsafeContinuation<Void, Never>)] = []
        var nextWaiter: UInt64 = 0
        var cancelled: Set<UInt64> = []
    }
    /// Busy subscriptions. An atomic, so that marking one busy or idle (twice per batch)
    /// takes no lock; only reaching zero looks at the waiters.
    private let busy = Atomic<Int>(0)
    private let state = Mutex(State())

    func enter() { busy.add(1, ordering: .sequentiallyConsistent) }

    func leave() {
        guard busy.subtract(1, ordering: .sequentiallyConsistent).newValue == 0 else { return }
        // A waiter checks `busy` under the lock before it waits, so it either saw this
        // zero, or is in the list taken here.
        let waiters = state.withLock { s -> [(UInt64, UnsafeContinuation<Void, Never>)] in
            guard busy.load(ordering: .sequentiallyConsistent) == 0, !s.waiters.isEmpty else { return [] }
            let w = s.waiters
            s.waiters = []
            return w
        }
        for w in waiters { w.1.resume() }
    }

    var busyCount: Int { busy.load(ordering: .sequentiallyConsistent) }

    /// Returns when no subscription is busy, or when the task is cancelled.
    nonisolated(nonsending) func waitUntilIdle() async {
        let id = state.withLock { s -> UInt64 in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (c: UnsafeContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if busy.load(ordering: .sequentiallyConsistent) == 0 || s.cancelled.remove(id) != nil { return true }
                    s.waiters.append((id, c))
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            let c = state.withLock { s -> UnsafeContinuation<Void, Never>? in
                if let i = s.waiters.firstIndex(where: { $0.0 == id }) { return s.waiters.remove(at: i).1 }
                s.cancelled.insert(id)
                return nil
            }
            c?.resume()
        }
    }
}
