import CHiredis
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A (source, topic) pair: one publisher's stream on one topic.
struct StreamKey: Hashable, Sendable {
    var source: String
    var topic: String
}

/// The publishing half of the Redis transport: a bounded queue of `PUBLISH` commands
/// filled by `publish` and drained by one dedicated thread over one connection.
///
/// `publish` encodes the envelope straight into the queue's protocol buffer (no
/// allocation per event) and returns; the writer thread swaps the whole buffer out,
/// writes it in one go and then reads the replies, so a burst costs one round trip per
/// batch rather than per event. One connection and one queue keep every publisher's order.
final class RedisWriter: @unchecked Sendable {
    struct Statistics: Sendable {
        var accepted: UInt64 = 0
        var acknowledged: UInt64 = 0
        /// Sent, but the connection failed before Redis acknowledged them: they may or may not
        /// have been delivered (pub/sub is at most once; subscribers count the gaps).
        var unconfirmed: UInt64 = 0
        /// Refused by Redis (e.g. an ACL user without access to the channel).
        var refused: UInt64 = 0
        /// Still queued when shutdown gave up waiting for the server.
        var abandoned: UInt64 = 0
        var reconnects: UInt64 = 0
        var connected = false
    }

    private struct Waiter {
        let continuation: UnsafeContinuation<BusError?, Never>
        let token: UInt64
    }

    private final class Counter {
        var value: UInt64 = 0
    }

    let config: RedisConfiguration
    private let log: Logger
    private let prefix: [UInt8]
    private let wake = WakePipe()
    private let lock = PthreadLock()
    /// Replies on the writer's connection (touched by the writer thread only).
    private let replies = ReplyTally()

    // Guarded by `lock`.
    private var pending = ByteBuffer(capacity: 1 << 16)
    private var pendingCount = 0
    private var scratch = JSONWriter(capacity: 1024)
    private var counters: [StreamKey: Counter] = [:]
    private var lastKey = StreamKey(source: "", topic: "")
    private var lastCounter = Counter()
    private var waiters: [Waiter] = []
    private var cancelledTokens: Set<UInt64> = []
    private var nextToken: UInt64 = 0
    private var lastError = "not connected yet"
    private var closed = false
    private var stopping = false
    /// Set by shutdown: give up on what cannot be sent after this (monotonic ns).
    private var deadline: UInt64 = .max
    private var sleeping = false
    /// The connection's socket while the writer thread sleeps with nothing queued: `publish`
    /// may then write a command itself (-1 otherwise).
    private var directFD: Int32 = -1
    /// Commands `publish` wrote itself whose replies the writer has not read yet.
    private var direct = 0
    /// At most this many such commands at a time: past it, events go through the writer's
    /// queue (whose batches read their replies), so the unread replies stay bounded.
    static let maxDirect = 4
    private var inFlight = 0
    private var drained: [OneShot<Bool>] = []
    private var stats = Statistics()

    init(config: RedisConfiguration, log: Logger) {
        self.config = config
        self.log = log
        self.prefix = Array(config.prefix.utf8)
    }

    // MARK: publishing (any task)

    private enum Enqueued {
        case queued(wake: Bool)
        case full
        case failed(BusError)
    }

    nonisolated(nonsending) func publish(_ e: Envelope) async throws(BusError) {
        while true {
            switch enqueue(e) {
            case .queued(let w):
                if w { wake.signal() }
                return
            case .failed(let error):
                throw error
            case .full:
                if let error = await waitForRoom() { throw error }
            }
        }
    }

    /// Publishes a batch in order: events are encoded and queued under one lock (256 at a
    /// time at most, so the writer is not kept from the queue for long) until the queue is
    /// full, then the publisher waits for room and goes on with the rest. On an error, the
    /// events before the failing one were accepted.
    nonisolated(nonsending) func publish(contentsOf batch: [Envelope]) async throws(BusError) {
        var i = 0
        while i < batch.count {
            var wakeWriter = false
            var outcome = Enqueued.queued(wake: false)
            let end = min(batch.count, i + 256)
            lock.lock()
            while i < end {
                outcome = enqueueLocked(batch[i])
                guard case .queued(let w) = outcome else { break }
                wakeWriter = wakeWriter || w
                i += 1
            }
            lock.unlock()
            if wakeWriter { wake.signal() }
            switch outcome {
            case .queued: continue
            case .failed(let error): throw error
            case .full: if let error = await waitForRoom() { throw error }
            }
        }
    }

    private func enqueue(_ e: Envelope) -> Enqueued {
        lock.lock()
        defer { lock.unlock() }
        return enqueueLocked(e)
    }

    /// Encodes and queues one event; the caller holds the lock.
    private func enqueueLocked(_ e: Envelope) -> Enqueued {
        if closed { return .failed(.closed) }
        if !stats.connected && config.whenDisconnected == .fail {
            return .failed(BusError(.disconnected, "not connected to \(config.url) (\(lastError)); whenDisconnected is \"fail\""))
        }
        if pendingCount > 0 && (pendingCount >= config.publishQueueCapacity || pending.count >= config.publishQueueBytes) {
            return .full
        }
        let sameStream = e.topic == lastKey.topic && e.source == lastKey.source
        if !sameStream, let problem = Topic.validate(e.topic) { return .failed(BusError(.invalidTopic, problem)) }
        scratch.reset()
        EventCodec.encode(e, into: &scratch)
        let json = scratch.out
        let counter: Counter
        if sameStream {
            counter = lastCounter
        } else {
            let key = StreamKey(source: e.source, topic: e.topic)
            if let c = counters[key] {
                counter = c
            } else {
                counter = Counter()
                counters[key] = counter
            }
            lastKey = key
            lastCounter = counter
        }
        RedisWire.appendTopicSeq(counter.value + 1, to: json)
        if json.count > config.maxMessageBytes, let problem = config.publishProblem(type: e.type, topic: e.topic, bytes: json.count) {
            return .failed(BusError(.tooLarge, problem))
        }
        counter.value += 1
        RedisWire.appendPublish(prefix: prefix, topic: e.topic, message: json.view, to: pending)
        pendingCount += 1
        stats.accepted &+= 1
        if directFD >= 0 && direct < RedisWriter.maxDirect && pendingCount == 1 {
            // The writer sleeps with nothing queued: write this one command at once and spare
            // the event a thread wake-up, even while replies to earlier direct commands are
            // still on their way (at a steady 10k/s the next event often comes before the
            // reply; waiting for it cost a wake-up then: p50 137–180 µs → 114–160 µs). `send`
            // does not block (MSG_DONTWAIT); what it cannot write at once stays queued for the
            // writer, which is woken for it.
            let n = send(directFD, pending.base, pending.count, RedisWriter.sendFlags)
            if n == pending.count {
                pending.count = 0
                pendingCount = 0
                direct += 1
                return .queued(wake: false)
            }
            directFD = -1
            if n > 0 {
                (pending.base).update(from: pending.base + n, count: pending.count - n)
                pending.count -= n
            }
        }
        let w = sleeping
        sleeping = false
        return .queued(wake: w)
    }

    #if os(Linux)
    static let sendFlags = Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL)
    #else
    static let sendFlags = Int32(MSG_DONTWAIT)
    #endif

    /// Suspends until the writer takes a batch (or the queue closes). Returns an error to throw.
    nonisolated(nonsending) private func waitForRoom() async -> BusError? {
        let token = lock.withLock { () -> UInt64 in
            nextToken &+= 1
            return nextToken
        }
        let cancelled = BusError(.cancelled, "publish cancelled while waiting for room in the Redis publish queue")
        let error: BusError? = await withTaskCancellationHandler {
            await withUnsafeContinuation { (c: UnsafeContinuation<BusError?, Never>) in
                lock.lock()
                if cancelledTokens.remove(token) != nil {
                    lock.unlock()
                    c.resume(returning: cancelled)
                    return
                }
                if closed {
                    lock.unlock()
                    c.resume(returning: .closed)
                    return
                }
                if pendingCount < config.publishQueueCapacity && pending.count < config.publishQueueBytes {
                    lock.unlock()
                    c.resume(returning: nil)
                    return
                }
                waiters.append(Waiter(continuation: c, token: token))
                lock.unlock()
            }
        } onCancel: {
            lock.lock()
            if let i = waiters.firstIndex(where: { $0.token == token }) {
                let w = waiters.remove(at: i)
                lock.unlock()
                w.continuation.resume(returning: cancelled)
            } else {
                cancelledTokens.insert(token)
                lock.unlock()
            }
        }
        if error?.code == .cancelled { _ = lock.withLock { cancelledTokens.remove(token) } }
        return error
    }

    // MARK: lifecycle

    /// Starts the writer thread and waits for its first connection attempt. On failure the
    /// thread has stopped and the error says why.
    func start() async -> RedisFailure? {
        let first = OneShot<RedisFailure?>()
        DedicatedThread.start(name: "agora-redis-pub") { [self] in run(first: first) }
        return await first.wait()
    }

    /// Refuses new events; waits until everything accepted is sent and acknowledged, or
    /// until `timeout` seconds pass (what is left is then abandoned). Returns true if all
    /// was sent.
    func closeAndDrain(timeout: Double) async -> Bool {
        let done = OneShot<Bool>()
        let released: [Waiter] = lock.withLock {
            closed = true
            deadline = Monotonic.nanoseconds() &+ UInt64(max(0, timeout) * 1e9)
            if pendingCount == 0 && inFlight == 0 && direct == 0 {
                done.complete(true)
            } else {
                drained.append(done)
            }
            let w = waiters
            waiters = []
            return w
        }
        for w in released { w.continuation.resume(returning: .closed) }
        wake.signal()
        return await done.wait(timeout: timeout + config.readTimeout + 1, fallback: false)
    }

    /// Lets the thread exit (after `closeAndDrain`, or at once if nothing is queued).
    func stop() {
        let released: [Waiter] = lock.withLock {
            closed = true
            stopping = true
            if deadline == .max { deadline = 0 }
            let w = waiters
            waiters = []
            return w
        }
        for w in released { w.continuation.resume(returning: .closed) }
        wake.signal()
    }

    var statistics: Statistics { lock.withLock { stats } }

    // MARK: the writer thread

    private func setConnected(_ up: Bool, error: String? = nil) {
        lock.withLock {
            stats.connected = up
            if let error { lastError = error }
        }
    }

    private func run(first: OneShot<RedisFailure?>) {
        _ = ignoreSIGPIPE
        var conn: RedisConnection?
        var backoff = Backoff(initial: config.reconnectInitialDelay, maximum: config.reconnectMaxDelay)
        var batch = ByteBuffer(capacity: 1 << 16)
        var batchCount = 0
        var earlier = 0
        var lastUse = Monotonic.nanoseconds()
        var downSince: UInt64 = 0
        var lastLogged = ""
        var failures = 0

        func giveUp() -> Bool {
            lock.withLock { closed && Monotonic.nanoseconds() >= deadline }
        }

        loop: while true {
            // 1. Be connected.
            if conn == nil {
                if giveUp() { break loop }
                do throws(RedisFailure) {
                    let c = try RedisConnection.open(config, role: "pub")
                    replies.install(on: c)
                    conn = c
                    setConnected(true)
                    if !first.isCompleted {
                        first.complete(nil)
                    } else {
                        lock.withLock { stats.reconnects &+= 1 }
                        let down = Double(Monotonic.nanoseconds() - downSince) / 1e9
                        log.log(.warning, "publisher reconnected to \(config.url) after \(formatSeconds(down)) (\(failures) failed attempt\(failures == 1 ? "" : "s"))")
                    }
                    backoff.reset()
                    failures = 0
                    lastLogged = ""
                    lastUse = Monotonic.nanoseconds()
                } catch {
                    setConnected(false, error: error.message)
                    if first.complete(error) { return }
                    failures += 1
                    if error.message != lastLogged {
                        log.warning("publisher cannot reconnect: \(error.message); retrying every ≤ \(formatSeconds(config.reconnectMaxDelay))")
                        lastLogged = error.message
                    }
                    let pause = backoff.next()
                    let now = Monotonic.nanoseconds()
                    let limit = lock.withLock { deadline }
                    wake.wait(timeoutNanos: limit == .max ? pause : min(pause, limit > now ? limit - now : 0))
                    continue loop
                }
            }
            guard let c = conn else { continue }

            // 2. Take a batch, or idle until there is one.
            if batchCount == 0 {
                lock.lock()
                if pendingCount == 0 {
                    if closed {
                        if direct == 0 {
                            let d = drained
                            drained = []
                            let exit = stopping
                            lock.unlock()
                            for w in d { w.complete(true) }
                            if exit { break loop }
                        } else {
                            let late = Monotonic.nanoseconds() >= deadline
                            lock.unlock()
                            if late { break loop }
                        }
                    } else {
                        sleeping = true
                        directFD = c.fd
                        lock.unlock()
                    }
                    let idle = Monotonic.nanoseconds() - lastUse
                    let interval = UInt64(config.healthCheckInterval * 1e9)
                    let (readable, woken) = pollSocket(c.fd, wake: wake, timeoutNanos: interval > idle ? interval - idle : 0)
                    let outstanding = lock.withLock { () -> Int in
                        sleeping = false
                        directFD = -1
                        return direct
                    }
                    if readable {
                        // Replies to commands `publish` wrote itself; anything else means the
                        // server closed the connection.
                        if !c.readAvailable() || c.isBroken {
                            lostConnection(c.errorText, &conn, &downSince)
                            continue loop
                        }
                        var failed = false
                        var acknowledged = 0, refused = 0
                        while c.bufferedReply(failed: &failed) != nil {
                            guard acknowledged + refused < outstanding else { continue }
                            countReply(&acknowledged, &refused, &lastLogged)
                        }
                        if acknowledged + refused > 0 {
                            lastUse = Monotonic.nanoseconds()
                            lock.withLock {
                                direct -= acknowledged + refused
                                stats.acknowledged &+= UInt64(acknowledged)
                                stats.refused &+= UInt64(refused)
                            }
                        }
                    } else if !woken && outstanding == 0 && Monotonic.nanoseconds() - lastUse >= interval {
                        if c.append(["PING"]) && c.awaitReply() {
                            if replies.kind == .error { log.warning("publisher health check: PING answered \(replies.text)") }
                            lastUse = Monotonic.nanoseconds()
                        } else {
                            lostConnection("no answer to a health-check PING (\(c.errorText))", &conn, &downSince)
                        }
                    }
                    continue loop
                }
                swap(&batch, &pending)
                batchCount = pendingCount
                pendingCount = 0
                inFlight = batchCount
                // Replies to commands `publish` wrote itself come first.
                earlier = direct
                let released = waiters
                waiters = []
                lock.unlock()
                for w in released { w.continuation.resume(returning: nil) }
            }

            // 3. Send it and read the replies (after those of commands written directly).
            let expected = earlier + batchCount
            var acknowledged = 0, refused = 0
            var ok = c.appendFormatted(batch.view)
            if ok {
                while acknowledged + refused < expected {
                    guard c.awaitReply() else {
                        ok = false
                        break
                    }
                    countReply(&acknowledged, &refused, &lastLogged)
                }
            }
            lastUse = Monotonic.nanoseconds()
            let lost = expected - acknowledged - refused
            earlier = 0
            let finished: [OneShot<Bool>] = lock.withLock {
                direct = 0
                stats.acknowledged &+= UInt64(acknowledged)
                stats.refused &+= UInt64(refused)
                stats.unconfirmed &+= UInt64(lost)
                inFlight = 0
                if closed && pendingCount == 0 {
                    let d = drained
                    drained = []
                    return d
                }
                return []
            }
            for w in finished { w.complete(true) }
            batch.count = 0
            batchCount = 0
            if !ok {
                if lost > 0 {
                    log.warning("publisher connection failed with \(lost) event\(lost == 1 ? "" : "s") unacknowledged (they may be lost; subscribers count gaps)")
                }
                lostConnection(c.errorText, &conn, &downSince)
            }
        }

        // Shut down: whatever could not be sent is abandoned, and said so.
        let (left, waiting, done) = lock.withLock { () -> (Int, [Waiter], [OneShot<Bool>]) in
            let n = pendingCount + batchCount
            stats.abandoned &+= UInt64(n)
            stats.unconfirmed &+= UInt64(direct)
            direct = 0
            directFD = -1
            pendingCount = 0
            pending.count = 0
            stats.connected = false
            closed = true
            let w = waiters
            waiters = []
            let d = drained
            drained = []
            return (n, w, d)
        }
        if left > 0 { log.error("shutdown: \(left) event\(left == 1 ? "" : "s") could not be sent to \(config.url) and were dropped") }
        for w in waiting { w.continuation.resume(returning: .closed) }
        for d in done { d.complete(left == 0) }
        conn = nil
    }

    /// Counts the reply just read (by the tally functions): acknowledged, or refused (logged
    /// once per distinct error).
    private func countReply(_ acknowledged: inout Int, _ refused: inout Int, _ lastLogged: inout String) {
        if replies.kind == .error {
            refused += 1
            if replies.text != lastLogged {
                log.error("Redis refused a PUBLISH: \(replies.text) (further identical errors are counted, not logged)")
                lastLogged = replies.text
            }
        } else {
            acknowledged += 1
        }
    }

    private func lostConnection(_ why: String, _ conn: inout RedisConnection?, _ downSince: inout UInt64) {
        log.warning("publisher connection to \(config.url) lost: \(why); reconnecting")
        conn = nil
        downSince = Monotonic.nanoseconds()
        lock.withLock {
            // A command written directly and not acknowledged may or may not have arrived.
            stats.unconfirmed &+= UInt64(direct)
            direct = 0
            directFD = -1
        }
        setConnected(false, error: why)
    }
}

func formatSeconds(_ s: Double) -> String {
    if s < 1 { return "\(Int((s * 1000).rounded())) ms" }
    let tenths = Int((s * 10).rounded())
    return "\(tenths / 10).\(tenths % 10) s"
}
