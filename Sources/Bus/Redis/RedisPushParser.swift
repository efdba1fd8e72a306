import CHiredis
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading a subscribed connection without building reply objects.
///
/// hiredis lets a client replace the functions its protocol reader calls to build replies
/// (`redisReplyObjectFunctions`). On the subscriber connection the reader installs its own:
/// instead of allocating a `redisReply` per element and copying every payload, they note the
/// kind of each push (`pmessage`, `psubscribe`, `pong`, an error …), keep the (short) pattern
/// and channel, and hand the payload to ``RedisReader`` while it still sits in hiredis' read
/// buffer. The only "objects" returned to hiredis are a sentinel pointer.
struct PushAssembly {
    enum Kind: Equatable {
        case none
        case pmessage
        case psubscribe
        case punsubscribe
        case pong
        case error
        case other
    }

    var kind = Kind.none
    var pattern: [UInt8] = []
    var channel: [UInt8] = []
    var text = ""

    init() {
        pattern.reserveCapacity(256)
        channel.reserveCapacity(256)
    }

    static func classify(_ b: UnsafeBufferPointer<UInt8>) -> Kind {
        func equals(_ s: StaticString) -> Bool {
            b.count == s.utf8CodeUnitCount && (b.count == 0 || memcmp(b.baseAddress!, s.utf8Start, b.count) == 0)
        }
        if equals("pmessage") { return .pmessage }
        if equals("psubscribe") { return .psubscribe }
        if equals("punsubscribe") { return .punsubscribe }
        if equals("pong") { return .pong }
        return .other
    }
}

/// Not a real object: hiredis only needs a non-null pointer back.
nonisolated(unsafe) private let sentinel = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16)

/// Runs `body` on the reader that owns the connection. The reader outlives its connection,
/// so it is borrowed as it is (no retain and release per parsed element, which
/// `takeUnretainedValue()` would cost).
@inline(__always)
private func withOwner<R>(_ task: UnsafePointer<redisReadTask>?, _ body: (RedisReader) -> R) -> R {
    Unmanaged<RedisReader>.fromOpaque(task!.pointee.privdata!)._withUnsafeGuaranteedRef(body)
}

/// The reply-building functions of the subscriber connection (one table for the process).
nonisolated(unsafe) let pushReplyFunctions: UnsafeMutablePointer<redisReplyObjectFunctions> = {
    let f = UnsafeMutablePointer<redisReplyObjectFunctions>.allocate(capacity: 1)
    f.initialize(to: redisReplyObjectFunctions(
        createString: { task, str, len in
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(str).map { $0.assumingMemoryBound(to: UInt8.self) }, count: len)
            withOwner(task) { $0.assembleString(task!.pointee, bytes) }
            return sentinel
        },
        createArray: { task, _ in
            if task!.pointee.parent == nil { withOwner(task) { $0.assembly.kind = .none } }
            return sentinel
        },
        createInteger: { _, _ in sentinel },
        createNil: { _ in sentinel },
        freeObject: { _ in }))
    return f
}()

extension RedisReader {
    /// Switches a freshly set-up connection to the push functions above.
    func installPushParser(on conn: RedisConnection) {
        let reader = conn.context.pointee.reader!
        reader.pointee.fn = pushReplyFunctions
        reader.pointee.privdata = Unmanaged.passUnretained(self).toOpaque()
        conn.customReplies = true
    }

    @inline(__always)
    func assembleString(_ task: redisReadTask, _ bytes: UnsafeBufferPointer<UInt8>) {
        if task.parent == nil {
            // A top-level status or error reply.
            assembly.kind = task.type == REDIS_REPLY_ERROR ? .error : .other
            assembly.text = String(decoding: bytes, as: UTF8.self)
            return
        }
        switch task.idx {
        case 0:
            assembly.kind = PushAssembly.classify(bytes)
        case 1 where assembly.kind == .pmessage || assembly.kind == .psubscribe:
            assembly.pattern.removeAll(keepingCapacity: true)
            assembly.pattern.append(contentsOf: bytes)
        case 2 where assembly.kind == .pmessage:
            assembly.channel.removeAll(keepingCapacity: true)
            assembly.channel.append(contentsOf: bytes)
        case 3 where assembly.kind == .pmessage:
            assembly.pattern.withUnsafeBufferPointer { p in
                assembly.channel.withUnsafeBufferPointer { c in
                    dispatch(pattern: p, channel: c, payload: bytes)
                }
            }
        default:
            break
        }
    }
}

/// The replies on the publisher connection (acknowledgements of PUBLISH, a PING's PONG,
/// errors), counted without building reply objects.
final class ReplyTally {
    enum Kind: Equatable {
        case none
        case integer
        case status
        case error
        case other
    }
    /// The kind of the last complete top-level reply, and its text for status and errors.
    var kind = Kind.none
    var text = ""

    /// Switches a freshly set-up connection to the tally functions below.
    func install(on conn: RedisConnection) {
        let reader = conn.context.pointee.reader!
        reader.pointee.fn = tallyReplyFunctions
        reader.pointee.privdata = Unmanaged.passUnretained(self).toOpaque()
        conn.customReplies = true
    }
}

@inline(__always)
private func tally(_ task: UnsafePointer<redisReadTask>?) -> ReplyTally? {
    // Only top-level replies matter (a publisher connection gets no arrays).
    guard let task, task.pointee.parent == nil else { return nil }
    return Unmanaged<ReplyTally>.fromOpaque(task.pointee.privdata!).takeUnretainedValue()
}

nonisolated(unsafe) let tallyReplyFunctions: UnsafeMutablePointer<redisReplyObjectFunctions> = {
    let f = UnsafeMutablePointer<redisReplyObjectFunctions>.allocate(capacity: 1)
    f.initialize(to: redisReplyObjectFunctions(
        createString: { task, str, len in
            if let t = tally(task) {
                switch task!.pointee.type {
                case REDIS_REPLY_ERROR:
                    t.kind = .error
                    t.text = String(decoding: UnsafeRawBufferPointer(start: str, count: len), as: UTF8.self)
                case REDIS_REPLY_STATUS:
                    t.kind = .status
                    t.text = String(decoding: UnsafeRawBufferPointer(start: str, count: len), as: UTF8.self)
                default:
                    t.kind = .other
                }
            }
            return sentinel
        },
        createArray: { task, _ in
            tally(task)?.kind = .other
            return sentinel
        },
        createInteger: { task, _ in
            tally(task)?.kind = .integer
            return sentinel
        },
        createNil: { task in
            tally(task)?.kind = .other
            return sentinel
        },
        freeObject: { _ in }))
    return f
}()
