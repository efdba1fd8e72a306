#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes the Redis transport puts on the wire, and the arithmetic of gaps. Pure code.
enum RedisWire {
    /// The envelope member the Redis transport appends to every message it publishes:
    /// `,"topicSeq":N` as the last member, where N counts the events that source has
    /// published on that topic (1, 2, 3 …). It makes gap detection exact for any
    /// subscription, including one that sees only some of a publisher's topics.
    static let topicSeqKey: StaticString = #","topicSeq":"#

    /// Replaces the closing `}` of an encoded envelope with `,"topicSeq":N}`.
    static func appendTopicSeq(_ n: UInt64, to json: ByteBuffer) {
        precondition(json.count > 0 && json.base[json.count - 1] == 0x7D, "not a JSON object")
        json.count -= 1
        json.append(topicSeqKey)
        json.appendDecimal(n)
        json.append(0x7D)
    }

    /// The `topicSeq` of a message when it is the last member (as Agora writes it); nil
    /// when absent. A `"topicSeq"` inside `data` or a string never matches: the message
    /// would not end with `<digits>}` after it.
    static func topicSeq(_ m: UnsafeBufferPointer<UInt8>) -> UInt64? {
        let end = m.count - 1
        guard end > 0, m[end] == 0x7D else { return nil }
        var first = end
        while first > 0, m[first - 1] &- 0x30 < 10 {
            first -= 1
            if end - first > 20 { return nil }
        }
        let key = topicSeqKey
        let k = key.utf8CodeUnitCount
        guard first < end, first >= k else { return nil }
        for j in 0..<k where m[first - k + j] != key.utf8Start[j] { return nil }
        var value: UInt64 = 0
        for i in first..<end {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(m[i] &- 0x30))
            if o1 || o2 { return nil }
            value = sum
        }
        return value
    }

    /// The `topicSeq` member wherever it is in the top-level object (another publisher may
    /// not write it last, or may add spaces): read only when the bytes name it, which
    /// Agora's own messages do last, where `topicSeq(_:)` finds it first.
    static func topicSeqAnywhere(_ m: UnsafeBufferPointer<UInt8>) -> UInt64? {
        let key = Array("\"topicSeq\"".utf8)
        guard m.count > key.count, let base = m.baseAddress else { return nil }
        var found = false
        var i = 0
        while i + key.count <= m.count {
            if m[i] == 0x22 && memcmp(base + i, key, key.count) == 0 {
                found = true
                break
            }
            i += 1
        }
        guard found else { return nil }
        var r = JSONReader(m)
        do throws(WireError) {
            var o = try r.beginObject()
            while let k = try r.nextKey(&o) {
                if k == "topicSeq" { return try r.readUInt64() }
                try r.skipValue()
            }
        } catch {
            return nil
        }
        return nil
    }

    /// Appends the RESP encoding of `PUBLISH <prefix><topic> <message>`, exactly what
    /// `redisFormatCommandArgv` would produce.
    static func appendPublish(prefix: [UInt8], topic: String, message: UnsafeBufferPointer<UInt8>, to out: ByteBuffer) {
        var topic = topic
        topic.withUTF8 { t in
            out.append("*3\r\n$7\r\nPUBLISH\r\n$")
            out.appendDecimal(UInt64(prefix.count + t.count))
            out.append("\r\n")
            prefix.withUnsafeBufferPointer { out.append($0) }
            out.append(t)
            out.append("\r\n$")
            out.appendDecimal(UInt64(message.count))
            out.append("\r\n")
            out.append(message)
            out.append("\r\n")
        }
    }

    /// How many events were missed between the last sequence number seen on a stream and
    /// the next one. A number that does not go up means the publisher restarted (a new
    /// process counts from 1 again): events of the new run before `next` were missed, so
    /// seeing 1 after a restart is no gap.
    @inline(__always)
    static func missed(last: UInt64, next: UInt64) -> UInt64 {
        if next > last { return next - last - 1 }
        return next > 0 ? next - 1 : 0
    }
}

/// Capped exponential backoff with ±20 % jitter (so that many clients do not reconnect
/// in lock-step after a restart).
struct Backoff {
    let initial: Double
    let maximum: Double
    private(set) var attempt = 0

    init(initial: Double, maximum: Double) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The base pause (before jitter) of the next attempt, in seconds.
    var nextBase: Double {
        min(maximum, initial * Double(1 << min(attempt, 30)))
    }

    /// The pause before the next attempt, in nanoseconds.
    mutating func next() -> UInt64 {
        let base = nextBase
        attempt += 1
        let jitter = 0.8 + 0.4 * Double(Monotonic.nanoseconds() % 1000) / 1000
        return UInt64(min(maximum, base * jitter) * 1e9)
    }

    mutating func reset() { attempt = 0 }
}

/// Completed once, by whoever comes first (a worker thread, a timer, a cancellation).
final class OneShot<T: Sendable>: @unchecked Sendable {
    private let lock = PthreadLock()
    private var value: T?
    private var done = false
    private var waiter: UnsafeContinuation<T, Never>?

    /// Returns false if it was already completed.
    @discardableResult
    func complete(_ v: T) -> Bool {
        lock.lock()
        if done {
            lock.unlock()
            return false
        }
        done = true
        let w = waiter
        waiter = nil
        if w == nil { value = v }
        lock.unlock()
        w?.resume(returning: v)
        return true
    }

    var isCompleted: Bool { lock.withLock { done } }

    /// Waits for the value (one waiter only).
    nonisolated(nonsending) func wait() async -> T {
        await withUnsafeContinuation { (c: UnsafeContinuation<T, Never>) in
            lock.lock()
            if done, let v = value {
                value = nil
                lock.unlock()
                c.resume(returning: v)
                return
            }
            waiter = c
            lock.unlock()
        }
    }

    /// Waits for the value, or completes with `fallback` after `seconds`.
    nonisolated(nonsending) func wait(timeout seconds: Double, fallback: T) async -> T {
        let timer = Task { [self] in
            try? await Task.sleep(for: .nanoseconds(Int64(max(0, seconds) * 1e9)))
            if !Task.isCancelled { complete(fallback) }
        }
        let v = await wait()
        timer.cancel()
        return v
    }
}
