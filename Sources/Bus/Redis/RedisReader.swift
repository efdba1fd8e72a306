import CHiredis
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The subscribing half of the Redis transport: one `PSUBSCRIBE` connection read by one
/// dedicated thread, which decodes each message once and hands events to the
/// subscriptions' mailboxes in batches.
///
/// Routing: each distinct pattern is subscribed once. Redis sends one `pmessage` per
/// matching pattern, so a subscription takes a message only from the first of its own
/// patterns that matches the channel, and never sees it twice.
///
/// Everything below `// MARK: reader thread` is touched only by that thread; other
/// threads talk to it through `inbox` and the wake-up pipe.
final class RedisReader: @unchecked Sendable {
    struct Statistics: Sendable {
        var connected = false
        var reconnects: UInt64 = 0
        var messages: UInt64 = 0
        var malformed: UInt64 = 0
        var gaps: UInt64 = 0
        var patterns = 0
    }

    enum Command: Sendable {
        case add(Route, OneShot<BusError?>)
        case remove(Int)
        case fence(OneShot<Bool>)
        case stop
    }

    struct Inbox: Sendable {
        var commands: [Command] = []
        var stats = Statistics()
        var lastError = "not connected yet"
        var stopped = false
    }

    /// One subscription as the reader sees it. Built by `add`, then handed to the reader
    /// thread, which alone touches it from then on (hence `@unchecked Sendable`).
    final class Route: @unchecked Sendable {
        let mailbox: Mailbox
        /// Its patterns without duplicates, in order, with their Redis form.
        let patterns: [(pattern: TopicPattern, redis: [UInt8])]
        var records: [PatternRecord] = []
        /// Last sequence number seen per stream (indexed by stream id; 0: none yet).
        @exclusivity(unchecked) var lastSeq: [UInt64] = []
        /// Events for the mailbox, handed over at the next flush.
        @exclusivity(unchecked) var pending = Ring<Envelope>(capacity: 64)
        @exclusivity(unchecked) var gaps: UInt64 = 0
        @exclusivity(unchecked) var malformed: UInt64 = 0
        @exclusivity(unchecked) var dirty = false

        init(mailbox: Mailbox, prefix: String) {
            self.mailbox = mailbox
            var seen = Set<String>()
            var list: [(TopicPattern, [UInt8])] = []
            for p in mailbox.patterns where seen.insert(p.text).inserted {
                list.append((p, Array((TopicPattern.escape(prefix) + p.text).utf8)))
            }
            patterns = list
        }

        var id: Int { mailbox.id }

        /// True if one of this route's patterns before `index` matches: the message then
        /// reaches the route through that pattern's own `pmessage`.
        @inline(__always) func matchedEarlier(_ topic: String, before index: Int) -> Bool {
            var i = 0
            while i < index {
                if patterns[i].pattern.matches(topic) { return true }
                i += 1
            }
            return false
        }
    }

    /// One Redis pattern subscription, shared by every route that uses the pattern.
    final class PatternRecord {
        let bytes: [UInt8]
        var routes: [(route: Route, index: Int)] = []
        /// Bumped at every PSUBSCRIBE sent; the pattern is active once the reply to the
        /// latest one came back.
        var generation = 0
        var confirmed = 0
        var failure: String?

        init(bytes: [UInt8]) { self.bytes = bytes }
        var isActive: Bool { generation > 0 && confirmed == generation }
        var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// A reply we expect, in the order the commands were sent.
    enum Expected {
        case psubscribe(PatternRecord, generation: Int)
        case punsubscribe
        case ping([OneShot<Bool>])
    }

    private struct AddWaiter {
        let route: Route
        let done: OneShot<BusError?>
    }

    let config: RedisConfiguration
    private let log: Logger
    private let prefix: [UInt8]
    private let wake = WakePipe()
    private let parker = ThreadParker()
    private let clock: any WallClock
    let inbox = Mutex(Inbox())

    init(config: RedisConfiguration, log: Logger, clock: any WallClock) {
        self.config = config
        self.log = log
        self.prefix = Array(config.prefix.utf8)
        self.clock = clock
    }

    // MARK: other threads

    func start() async -> RedisFailure? {
        let first = OneShot<RedisFailure?>()
        DedicatedThread.start(name: "agora-redis-sub") { [self] in run(first: first) }
        return await first.wait()
    }

    private func post(_ c: Command) -> Bool {
        let accepted = inbox.withLock { s -> Bool in
            if s.stopped { return false }
            s.commands.append(c)
            return true
        }
        if accepted { wake.signal() }
        return accepted
    }

    var isConnected: Bool { inbox.withLock { $0.stats.connected } }
    var lastError: String { inbox.withLock { $0.lastError } }
    var statistics: Statistics { inbox.withLock { $0.stats } }

    /// Subscribes a mailbox; returns once Redis confirmed every one of its patterns (so
    /// that it receives whatever is published from then on), or with the reason it failed.
    nonisolated(nonsending) func add(_ mailbox: Mailbox) async throws(BusError) {
        let done = OneShot<BusError?>()
        guard post(.add(Route(mailbox: mailbox, prefix: config.prefix), done)) else { throw BusError.closed }
        let error = await withTaskCancellationHandler {
            await done.wait()
        } onCancel: {
            if done.complete(BusError(.cancelled, "subscribe cancelled while waiting for Redis to confirm")) {
                _ = post(.remove(mailbox.id))
            }
        }
        if let error { throw error }
    }

    func remove(_ id: Int) { _ = post(.remove(id)) }

    /// Returns once every message Redis sent this connection before now has been handed to
    /// the mailboxes (a PING round trip on the subscriber connection). False on timeout or
    /// when disconnected.
    func fence(timeout: Double) async -> Bool {
        let done = OneShot<Bool>()
        guard post(.fence(done)) else { return false }
        return await done.wait(timeout: timeout, fallback: false)
    }

    func stop() { _ = post(.stop) }

    // MARK: reader thread

    private var conn: RedisConnection?
    private var routes: [Int: Route] = [:]
    @exclusivity(unchecked) private var records: [PatternRecord] = []
    private var expected: [Expected] = []
    private var expectedHead = 0
    private var adds: [AddWaiter] = []
    @exclusivity(unchecked) private var streams: [StreamKey: Int] = [:]
    private var loggedChannels = Set<[UInt8]>()
    @exclusivity(unchecked) private var dirty: [Route] = []
    private var lastReceive: UInt64 = 0
    private var pingSent: UInt64 = 0
    private var receivedAt = Timestamp.epoch

    // Counted on this thread, published to `inbox` at each flush.
    @exclusivity(unchecked) private var messagesLocal: UInt64 = 0
    @exclusivity(unchecked) private var malformedLocal: UInt64 = 0

    /// Filled by the push parser (RedisPushParser.swift) while hiredis reads a reply.
    @exclusivity(unchecked) var assembly = PushAssembly()

    /// What the socket gave us, fed to hiredis' parser in small slices (hiredis moves the
    /// unread rest of its buffer each time it has consumed 1 KiB: small slices keep that
    /// rest small).
    private let readBuffer = UnsafeMutableRawPointer.allocate(byteCount: RedisReader.readSize, alignment: 16)
    static let readSize = 1 << 16
    static let feedSize = 2048

    // The message being dispatched, decoded once. The same message reaches us once per
    // matching pattern, back to back: with several patterns the last one is remembered.
    /// What decoding remembers between messages: the strings and the second that events
    /// repeat (reader thread only).
    private let decodeCache = DecodeCache()
    @exclusivity(unchecked) private var current: Envelope?
    @exclusivity(unchecked) private var currentError: WireError?
    @exclusivity(unchecked) private var currentStream = -1
    @exclusivity(unchecked) private var currentSeq: UInt64 = 0
    @exclusivity(unchecked) private var cacheValid = false
    @exclusivity(unchecked) private var lastChannel: [UInt8] = []
    @exclusivity(unchecked) private var lastTopic = ""
    @exclusivity(unchecked) private var lastPayload: [UInt8] = []
    // The last stream looked up, to skip hashing for a run of messages of one stream.
    @exclusivity(unchecked) private var lastStreamKey = StreamKey(source: "", topic: "")
    @exclusivity(unchecked) private var lastStreamID = -1

    deinit { readBuffer.deallocate() }

    private func run(first: OneShot<RedisFailure?>) {
        _ = ignoreSIGPIPE
        var backoff = Backoff(initial: config.reconnectInitialDelay, maximum: config.reconnectMaxDelay)
        var downSince: UInt64 = 0
        var failures = 0
        var lastLogged = ""
        while true {
            if conn == nil {
                if processCommands() { break }
                do throws(RedisFailure) {
                    let c = try RedisConnection.open(config, role: "sub")
                    installPushParser(on: c)
                    conn = c
                    lastReceive = Monotonic.nanoseconds()
                    pingSent = 0
                    let n = resubscribeAll()
                    inbox.withLock {
                        $0.stats.connected = true
                        if first.isCompleted { $0.stats.reconnects &+= 1 }
                    }
                    if !first.complete(nil) {
                        let down = Double(Monotonic.nanoseconds() - downSince) / 1e9
                        log.log(.warning, "subscriber reconnected to \(config.url) after \(formatSeconds(down)) (\(failures) failed attempt\(failures == 1 ? "" : "s")); resubscribed \(n) pattern\(n == 1 ? "" : "s")")
                    }
                    backoff.reset()
                    failures = 0
                    lastLogged = ""
                    if c.isBroken {
                        disconnected(c.errorText, &downSince)
                        continue
                    }
                } catch {
                    inbox.withLock { $0.lastError = error.message }
                    if first.complete(error) {
                        inbox.withLock { $0.stopped = true }
                        return
                    }
                    failures += 1
                    if error.message != lastLogged {
                        log.warning("subscriber cannot reconnect: \(error.message); retrying every ≤ \(formatSeconds(config.reconnectMaxDelay))")
                        lastLogged = error.message
                    }
                    failWaitersWhileDisconnected()
                    wake.wait(timeoutNanos: backoff.next())
                    continue
                }
            }
            guard let c = conn else { continue }
            if processCommands() { break }
            if c.isBroken {
                disconnected(c.errorText, &downSince)
                continue
            }

            // Wait for data, a command, or the next health check.
            let now = Monotonic.nanoseconds()
            let interval = UInt64(config.healthCheckInterval * 1e9)
            let readTimeout = UInt64(config.readTimeout * 1e9)
            var timeout: UInt64
            if pingSent != 0 {
                if now - pingSent >= readTimeout {
                    disconnected("no answer to a health-check PING within \(formatSeconds(config.readTimeout))", &downSince)
                    continue
                }
                timeout = readTimeout - (now - pingSent)
            } else {
                let idle = now - lastReceive
                if idle >= interval {
                    expect(.ping([]))
                    c.append(["PING"])
                    if !c.flush() {
                        disconnected(c.errorText, &downSince)
                        continue
                    }
                    pingSent = now
                    timeout = readTimeout
                } else {
                    timeout = interval - idle
                }
            }
            let (readable, _) = pollSocket(c.fd, wake: wake, timeoutNanos: timeout)
            guard readable else { continue }

            // Read what there is (a few reads at most, then hand the batch over), dispatching
            // messages as hiredis completes them.
            receivedAt = clock.now()
            var reads = 0
            var failure: String?
            repeat {
                failure = readAndDispatch(c)
                reads += 1
            } while failure == nil && reads < 4 && socketHasData(c.fd)
            lastReceive = Monotonic.nanoseconds()
            pingSent = 0
            flush()
            if let failure { disconnected(failure, &downSince) }
        }
        shutdownThread()
    }

    private func socketHasData(_ fd: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) > 0
    }

    /// One `read` from the socket, fed to hiredis' parser slice by slice. Returns why the
    /// connection is unusable, or nil.
    private func readAndDispatch(_ c: RedisConnection) -> String? {
        var n: Int
        repeat { n = read(c.fd, readBuffer, RedisReader.readSize) } while n < 0 && errno == EINTR
        if n == 0 { return "Server closed the connection" }
        if n < 0 { return String(cString: strerror(errno)) }
        let reader = c.context.pointee.reader!
        var offset = 0
        while offset < n {
            let slice = min(RedisReader.feedSize, n - offset)
            if redisReaderFeed(reader, readBuffer.advanced(by: offset).assumingMemoryBound(to: CChar.self), slice) != REDIS_OK {
                return "protocol error: \(c.errorText)"
            }
            offset += slice
            if !drainReplies(c) { return "protocol error: \(c.errorText)" }
        }
        return nil
    }

    /// Handles every complete reply in hiredis' buffer (messages are dispatched while
    /// hiredis parses them). False on a protocol error.
    private func drainReplies(_ c: RedisConnection) -> Bool {
        var failed = false
        while c.bufferedReply(failed: &failed) != nil {
            switch assembly.kind {
            case .psubscribe, .punsubscribe, .pong:
                answered(error: nil)
            case .error:
                answered(error: assembly.text)
            case .pmessage, .none, .other:
                break
            }
            pingSent = 0
        }
        return !failed
    }

    private func expect(_ e: Expected) { expected.append(e) }

    private func popExpected() -> Expected? {
        guard expectedHead < expected.count else { return nil }
        let e = expected[expectedHead]
        expectedHead += 1
        if expectedHead == expected.count {
            expected.removeAll(keepingCapacity: true)
            expectedHead = 0
        }
        return e
    }

    /// A reply to one of our commands (replies come in the order the commands were sent).
    private func answered(error: String?) {
        guard let e = popExpected() else {
            if let error { log.warning("unexpected error from \(config.url) on the subscriber connection: \(error)") }
            return
        }
        switch e {
        case .psubscribe(let record, let generation):
            if let error {
                record.failure = error
                log.error("PSUBSCRIBE \(record.text) refused: \(error)")
            } else if generation == record.generation {
                record.confirmed = generation
            }
            settleAdds()
        case .punsubscribe:
            if let error { log.warning("PUNSUBSCRIBE refused: \(error)") }
        case .ping(let waiters):
            flush()
            for w in waiters { w.complete(error == nil) }
        }
    }

    private func settleAdds() {
        guard !adds.isEmpty else { return }
        var keep: [AddWaiter] = []
        for a in adds {
            if a.done.isCompleted { continue }
            if let bad = a.route.records.first(where: { $0.failure != nil }) {
                detach(a.route)
                a.done.complete(BusError(.refused, "\(config.url) refused PSUBSCRIBE \(bad.text): \(bad.failure!)"))
            } else if a.route.records.allSatisfy(\.isActive) {
                a.done.complete(nil)
            } else {
                keep.append(a)
            }
        }
        adds = keep
    }

    /// Applies queued commands. Returns true when the thread must stop.
    private func processCommands() -> Bool {
        let commands = inbox.withLock { s -> [Command] in
            let c = s.commands
            s.commands = []
            return c
        }
        var stop = false
        var sent = false
        for command in commands {
            switch command {
            case .add(let route, let done):
                if done.isCompleted { continue } // cancelled before we saw it
                if conn == nil && config.whenDisconnected == .fail {
                    done.complete(BusError(.disconnected, "not connected to \(config.url) (\(lastError)); whenDisconnected is \"fail\""))
                    continue
                }
                attach(route, sent: &sent)
                adds.append(AddWaiter(route: route, done: done))
            case .remove(let id):
                if let route = routes[id] { detach(route, sent: &sent) }
            case .fence(let done):
                if let c = conn {
                    expect(.ping([done]))
                    c.append(["PING"])
                    sent = true
                } else {
                    done.complete(false)
                }
            case .stop:
                stop = true
            }
        }
        if sent, let c = conn { _ = c.flush() } // a failure shows as `isBroken`
        settleAdds()
        return stop
    }

    private func attach(_ route: Route, sent: inout Bool) {
        routes[route.id] = route
        for (index, p) in route.patterns.enumerated() {
            let record: PatternRecord
            if let r = records.first(where: { $0.bytes == p.redis }) {
                record = r
            } else {
                record = PatternRecord(bytes: p.redis)
                records.append(record)
                if let c = conn {
                    record.generation += 1
                    expect(.psubscribe(record, generation: record.generation))
                    c.append(bytes: [Array("PSUBSCRIBE".utf8), p.redis])
                    sent = true
                }
            }
            record.routes.append((route, index))
            route.records.append(record)
        }
        inbox.withLock { $0.stats.patterns = records.count }
    }

    private func detach(_ route: Route) {
        var sent = false
        detach(route, sent: &sent)
        if sent, let c = conn { _ = c.flush() }
    }

    private func detach(_ route: Route, sent: inout Bool) {
        guard routes.removeValue(forKey: route.id) != nil else { return }
        for record in route.records {
            record.routes.removeAll { $0.route === route }
            if record.routes.isEmpty, let i = records.firstIndex(where: { $0 === record }) {
                records.remove(at: i)
                if let c = conn, record.failure == nil {
                    expect(.punsubscribe)
                    c.append(bytes: [Array("PUNSUBSCRIBE".utf8), record.bytes])
                    sent = true
                }
            }
        }
        route.records = []
        route.pending.removeAll()
        if let i = dirty.firstIndex(where: { $0 === route }) { dirty.remove(at: i) }
        inbox.withLock { $0.stats.patterns = records.count }
    }

    /// After (re)connecting: one PSUBSCRIBE per pattern, pipelined.
    private func resubscribeAll() -> Int {
        guard let c = conn else { return 0 }
        expected.removeAll(keepingCapacity: true)
        expectedHead = 0
        for record in records {
            record.generation += 1
            record.failure = nil
            expect(.psubscribe(record, generation: record.generation))
            c.append(bytes: [Array("PSUBSCRIBE".utf8), record.bytes])
        }
        if !records.isEmpty { _ = c.flush() }
        return records.count
    }

    private func disconnected(_ why: String, _ downSince: inout UInt64) {
        flush()
        log.warning("subscriber connection to \(config.url) lost: \(why); reconnecting (events published meanwhile are missed and counted as gaps)")
        conn = nil
        downSince = Monotonic.nanoseconds()
        inbox.withLock {
            $0.stats.connected = false
            $0.lastError = why
        }
        // Pending fences cannot complete on this connection.
        for e in expected[expectedHead...] {
            if case .ping(let waiters) = e { for w in waiters { w.complete(false) } }
        }
        expected.removeAll()
        expectedHead = 0
        cacheValid = false
        failWaitersWhileDisconnected()
    }

    private func failWaitersWhileDisconnected() {
        guard config.whenDisconnected == .fail, !adds.isEmpty else { return }
        let failing = adds
        adds = []
        for a in failing {
            detach(a.route)
            a.done.complete(BusError(.disconnected, "lost the connection to \(config.url) while subscribing; whenDisconnected is \"fail\""))
        }
    }

    private func shutdownThread() {
        flush()
        let leftover = inbox.withLock { s -> [Command] in
            s.stopped = true
            s.stats.connected = false
            let c = s.commands
            s.commands = []
            return c
        }
        for c in leftover {
            switch c {
            case .add(_, let done): done.complete(.closed)
            case .fence(let done): done.complete(false)
            case .remove, .stop: break
            }
        }
        for a in adds { a.done.complete(.closed) }
        adds = []
        for e in expected[expectedHead...] {
            if case .ping(let waiters) = e { for w in waiters { w.complete(false) } }
        }
        expected.removeAll()
        conn = nil
        routes.removeAll()
        records.removeAll()
    }

    // MARK: the hot path

    func dispatch(pattern: UnsafeBufferPointer<UInt8>, channel: UnsafeBufferPointer<UInt8>, payload: UnsafeBufferPointer<UInt8>) {
        guard let record = record(for: pattern) else { return } // unsubscribed meanwhile
        guard channel.count >= prefix.count, prefix.withUnsafeBufferPointer({ p in
            p.count == 0 || memcmp(p.baseAddress!, channel.baseAddress!, p.count) == 0
        }) else { return }

        let sameChannel = RedisReader.equal(channel, lastChannel)
        if !sameChannel {
            lastChannel.removeAll(keepingCapacity: true)
            lastChannel.append(contentsOf: channel)
            lastTopic = String(decoding: UnsafeBufferPointer(rebasing: channel[prefix.count...]), as: UTF8.self)
        }
        if !(cacheValid && sameChannel && RedisReader.equal(payload, lastPayload)) {
            decode(payload, topic: lastTopic)
            // With one pattern a message arrives once: nothing to remember.
            cacheValid = records.count > 1
            if cacheValid {
                lastPayload.removeAll(keepingCapacity: true)
                lastPayload.append(contentsOf: payload)
            }
        }

        guard current != nil else {
            let error = currentError ?? WireError("undecodable")
            if loggedChannels.count < 100_000, loggedChannels.insert(Array(channel)).inserted {
                let name = String(decoding: channel, as: UTF8.self)
                log.warning(
                    "malformed message on channel \"\(name)\" dropped: \(error) (further malformed messages on this channel are counted, not logged)",
                    ["channel": name, "error": error.description])
            }
            for (route, index) in record.routes {
                if index > 0 && route.matchedEarlier(lastTopic, before: index) { continue }
                route.malformed &+= 1
                markDirty(route)
            }
            return
        }
        let bit = current!.payload.typeBit
        let stream = currentStream, seq = currentSeq
        // Each route but the last that takes the event gets a copy; the last one gets the
        // decoded value itself (unless it is kept for the next pattern's copy of the message).
        var taker: Route?
        for (route, index) in record.routes {
            if index > 0 && route.matchedEarlier(lastTopic, before: index) { continue }
            if stream >= 0 {
                if stream >= route.lastSeq.count {
                    route.lastSeq.append(contentsOf: repeatElement(0, count: stream + 1 - route.lastSeq.count))
                }
                let last = route.lastSeq[stream]
                if last != 0 {
                    let missed = RedisWire.missed(last: last, next: seq)
                    if missed > 0 {
                        route.gaps &+= missed
                        markDirty(route)
                    }
                }
                route.lastSeq[stream] = seq
            }
            if route.mailbox.typeMask & bit != 0 {
                taker?.pending.append(current!)
                taker = route
                markDirty(route)
            }
        }
        if let taker {
            if cacheValid {
                taker.pending.append(current!)
            } else if let e = current.take() {
                taker.pending.push(e)
            }
        }
    }

    @inline(__always)
    private static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.count == 0 { return true }
        return b.withUnsafeBufferPointer { memcmp(a.baseAddress!, $0.baseAddress!, a.count) == 0 }
    }

    /// Decodes one message into `current` (or `currentError`) and finds its stream:
    /// (source, topic) when it carries a `topicSeq`, else (source) when it has a `seq`, else
    /// none (no gap detection).
    private func decode(_ payload: UnsafeBufferPointer<UInt8>, topic: String) {
        messagesLocal &+= 1
        currentStream = -1
        currentSeq = 0
        if payload.count > config.maxMessageBytes {
            malformedLocal &+= 1
            current = nil
            currentError = WireError("message of \(payload.count) bytes is over the \(config.maxMessageBytes)-byte limit (maxMessageBytes)")
            return
        }
        do throws(WireError) {
            current = try EventCodec.decode(payload, channel: topic, receivedAt: receivedAt, cache: decodeCache)
        } catch {
            malformedLocal &+= 1
            current = nil
            currentError = error
            return
        }
        let source = current!.source
        var streamTopic = ""
        if let t = RedisWire.topicSeq(payload) ?? RedisWire.topicSeqAnywhere(payload), t > 0 {
            currentSeq = t
            streamTopic = topic
        } else if current!.seq > 0 {
            currentSeq = current!.seq
        } else {
            return
        }
        if lastStreamID >= 0 && lastStreamKey.source == source && lastStreamKey.topic == streamTopic {
            currentStream = lastStreamID
            return
        }
        let key = StreamKey(source: source, topic: streamTopic)
        if let known = streams[key] {
            currentStream = known
        } else {
            currentStream = streams.count
            streams[key] = currentStream
        }
        lastStreamKey = key
        lastStreamID = currentStream
    }

    @inline(__always) private func markDirty(_ route: Route) {
        if !route.dirty {
            route.dirty = true
            dirty.append(route)
        }
    }

    @inline(__always) private func record(for pattern: UnsafeBufferPointer<UInt8>) -> PatternRecord? {
        for r in records where r.bytes.count == pattern.count {
            let equal = r.bytes.withUnsafeBufferPointer { memcmp($0.baseAddress!, pattern.baseAddress!, pattern.count) == 0 }
            if equal { return r }
        }
        return nil
    }

    /// Hands every route's pending events to its mailbox, oldest subscription first.
    private func flush() {
        guard !dirty.isEmpty || messagesLocal > 0 else { return }
        if dirty.count > 1 { dirty.sort { $0.id < $1.id } }
        var gaps: UInt64 = 0
        for route in dirty {
            route.dirty = false
            if route.gaps > 0 {
                route.mailbox.recordGaps(route.gaps)
                gaps &+= route.gaps
                route.gaps = 0
            }
            if route.malformed > 0 {
                route.mailbox.recordMalformed(route.malformed)
                route.malformed = 0
            }
            if !route.pending.isEmpty {
                _ = route.mailbox.offerBatch(&route.pending, parker: parker)
            }
        }
        dirty.removeAll(keepingCapacity: true)
        let (messages, malformed) = (messagesLocal, malformedLocal)
        messagesLocal = 0
        malformedLocal = 0
        inbox.withLock {
            $0.stats.gaps &+= gaps
            $0.stats.messages &+= messages
            $0.stats.malformed &+= malformed
        }
    }
}
