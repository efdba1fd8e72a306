import CHiredis
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Raw pub/sub through hiredis, without Agora's codec, queues or mailboxes: the ceiling that
/// `agora bench bus --redis` compares the bus with. Every function blocks: call them on a
/// dedicated thread.
public enum RedisRawBench {
    /// The exact bytes the Redis transport publishes for an envelope (its JSON plus `topicSeq`).
    public static func wireMessage(_ e: Envelope, topicSeq: UInt64 = 1) -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        EventCodec.encode(e, into: &w)
        RedisWire.appendTopicSeq(topicSeq, to: w.out)
        return w.bytes
    }

    /// Publishes `message` to `channel` `count` times, pipelined `batch` commands at a time
    /// (write a batch, then read its replies). Returns the number of receivers Redis reported
    /// for the last command.
    @discardableResult
    public static func publish(_ config: RedisConfiguration, channel: String, message: [UInt8], count: Int, batch: Int = 1000) throws(BusError) -> Int64 {
        _ = ignoreSIGPIPE
        let conn: RedisConnection
        do throws(RedisFailure) { conn = try RedisConnection.open(config, role: "bench-pub") } catch { throw error.busError }
        let buffer = ByteBuffer(capacity: (message.count + channel.utf8.count + 40) * min(batch, count))
        let channelBytes = Array(channel.utf8)
        var sent = 0
        var receivers: Int64 = 0
        while sent < count {
            let n = min(batch, count - sent)
            buffer.count = 0
            message.withUnsafeBufferPointer { m in
                for _ in 0..<n { RedisWire.appendPublish(prefix: channelBytes, topic: "", message: m, to: buffer) }
            }
            guard conn.appendFormatted(buffer.view) else { throw BusError(.disconnected, "\(config.url): \(conn.errorText)") }
            for _ in 0..<n {
                guard let r = conn.readReply() else { throw BusError(.disconnected, "\(config.url): \(conn.errorText)") }
                if r.pointee.type == REDIS_REPLY_ERROR {
                    let e = RedisValue.text(r.pointee.str, r.pointee.len)
                    freeReplyObject(r)
                    throw BusError(.refused, "\(config.url) refused PUBLISH: \(e)")
                }
                receivers = r.pointee.integer
                freeReplyObject(r)
            }
            sent += n
        }
        return receivers
    }

    /// Publishes `message` to `channel` `count` times at a steady rate, one `PUBLISH` per
    /// due time (`intervalNanos` apart; a late wake-up publishes what is due at once), each
    /// with its send time (`Monotonic` nanoseconds, little-endian) in the message's first 8
    /// bytes, for ``receive(_:pattern:count:idleTimeout:latencies:ready:)`` to time. Replies are
    /// read as they come, never waited for between sends: the latency floor of pub/sub with
    /// hiredis alone on this machine.
    public static func publishPaced(
        _ config: RedisConfiguration, channel: String, message: [UInt8], count: Int, intervalNanos: UInt64
    ) throws(BusError) {
        precondition(message.count >= 8, "the message carries an 8-byte send time")
        _ = ignoreSIGPIPE
        let conn: RedisConnection
        do throws(RedisFailure) { conn = try RedisConnection.open(config, role: "bench-pub") } catch { throw error.busError }
        let wake = WakePipe()
        let buffer = ByteBuffer(capacity: message.count + channel.utf8.count + 40)
        let channelBytes = Array(channel.utf8)
        var stamped = message
        var replies = 0
        func readReplies(blocking: Bool) throws(BusError) {
            if !blocking {
                guard pollSocket(conn.fd, wake: wake, timeoutNanos: 0).readable else { return }
                guard conn.readAvailable() else { throw BusError(.disconnected, "\(config.url): \(conn.errorText)") }
            }
            var failed = false
            while replies < count, let r = blocking ? conn.readReply() : conn.bufferedReply(failed: &failed) {
                let refused = r.pointee.type == REDIS_REPLY_ERROR ? RedisValue.text(r.pointee.str, r.pointee.len) : nil
                freeReplyObject(r)
                if let refused { throw BusError(.refused, "\(config.url) refused PUBLISH: \(refused)") }
                replies += 1
            }
            if failed || (blocking && replies < count) { throw BusError(.disconnected, "\(config.url): \(conn.errorText)") }
        }
        let t0 = Monotonic.nanoseconds()
        for i in 0..<count {
            let due = t0 &+ UInt64(i) &* intervalNanos
            Monotonic.sleep(until: due)
            withUnsafeBytes(of: Monotonic.nanoseconds().littleEndian) { t in
                stamped.withUnsafeMutableBytes { $0.copyMemory(from: t) }
            }
            buffer.count = 0
            stamped.withUnsafeBufferPointer { RedisWire.appendPublish(prefix: channelBytes, topic: "", message: $0, to: buffer) }
            var sent = 0
            while sent < buffer.count {
                let n = send(conn.fd, buffer.base + sent, buffer.count - sent, 0)  // SIGPIPE is ignored
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw BusError(.disconnected, "\(config.url): send failed (errno \(errno))") }
                sent += n
            }
            try readReplies(blocking: false)
        }
        try readReplies(blocking: true)
    }

    /// What a raw subscriber saw. Times are `Monotonic` nanoseconds (comparable across
    /// processes on one machine).
    public struct Receipt: Sendable {
        public var received: Int
        public var bytes: Int
        public var firstNanos: UInt64
        public var lastNanos: UInt64
        /// Why it stopped early, if it did (idle timeout, lost connection).
        public var stoppedBecause: String?
        /// With `latencies`: each message's arrival minus the send time in its first 8 bytes.
        public var latencies: [UInt64] = []
    }

    /// `PSUBSCRIBE`s `pattern`, calls `ready` once Redis confirmed, then reads messages as
    /// they come (poll, read, parse with hiredis; no decoding) until `count` arrived, or
    /// nothing arrived for `idleTimeout` seconds. With `latencies`, times each message
    /// against the send time ``publishPaced(_:channel:message:count:intervalNanos:)`` put in it.
    public static func receive(
        _ config: RedisConfiguration, pattern: String, count: Int, idleTimeout: Double, latencies: Bool = false, ready: () -> Void
    ) throws(BusError) -> Receipt {
        _ = ignoreSIGPIPE
        let conn: RedisConnection
        do throws(RedisFailure) { conn = try RedisConnection.open(config, role: "bench-sub") } catch { throw error.busError }
        do throws(RedisFailure) {
            let ack = try conn.command(["PSUBSCRIBE", pattern])
            if let e = ack.errorText { throw RedisFailure.refused("\(config.url) refused PSUBSCRIBE \(pattern): \(e)") }
        } catch {
            throw error.busError
        }
        ready()
        let wake = WakePipe()
        var receipt = Receipt(received: 0, bytes: 0, firstNanos: 0, lastNanos: 0, stoppedBecause: nil)
        if latencies { receipt.latencies.reserveCapacity(count) }
        var lastProgress = Monotonic.nanoseconds()
        while receipt.received < count {
            let (readable, _) = pollSocket(conn.fd, wake: wake, timeoutNanos: 100_000_000)
            if !readable {
                if Double(Monotonic.nanoseconds() - lastProgress) / 1e9 >= idleTimeout {
                    receipt.stoppedBecause = "nothing arrived for \(formatSeconds(idleTimeout))"
                    break
                }
                continue
            }
            guard conn.readAvailable() else {
                receipt.stoppedBecause = "connection lost: \(conn.errorText)"
                break
            }
            var failed = false
            while let r = conn.bufferedReply(failed: &failed) {
                if r.pointee.type == REDIS_REPLY_ARRAY && r.pointee.elements == 4 {
                    let now = Monotonic.nanoseconds()
                    if receipt.received == 0 { receipt.firstNanos = now }
                    receipt.received += 1
                    let m = r.pointee.element[3]!.pointee
                    receipt.bytes += m.len
                    if latencies && m.len >= 8 {
                        var sentAt: UInt64 = 0
                        withUnsafeMutableBytes(of: &sentAt) { $0.copyMemory(from: UnsafeRawBufferPointer(start: m.str, count: 8)) }
                        sentAt = UInt64(littleEndian: sentAt)
                        receipt.latencies.append(now > sentAt ? now - sentAt : 0)
                    }
                }
                freeReplyObject(r)
            }
            if failed {
                receipt.stoppedBecause = "protocol error: \(conn.errorText)"
                break
            }
            lastProgress = Monotonic.nanoseconds()
            receipt.lastNanos = lastProgress
        }
        return receipt
    }
}
