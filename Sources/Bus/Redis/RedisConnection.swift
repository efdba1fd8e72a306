import CHiredis
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a connection could not be used.
struct RedisFailure: Error, Sendable, Equatable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        /// Network trouble: worth retrying.
        case io
        /// The server refused our credentials or database: retrying will not help.
        case refused
    }
    var kind: Kind
    var message: String
    var description: String { message }

    static func io(_ m: String) -> RedisFailure { RedisFailure(kind: .io, message: m) }
    static func refused(_ m: String) -> RedisFailure { RedisFailure(kind: .refused, message: m) }

    var busError: BusError { BusError(kind == .refused ? .refused : .disconnected, message) }
}

/// A reply, copied out of hiredis (for setup commands; the hot paths read replies in place).
enum RedisValue: Equatable, Sendable {
    case status(String)
    case error(String)
    case integer(Int64)
    case string([UInt8])
    case array([RedisValue])
    case null

    init(_ r: UnsafePointer<redisReply>) {
        let p = r.pointee
        switch p.type {
        case REDIS_REPLY_STATUS: self = .status(RedisValue.text(p.str, p.len))
        case REDIS_REPLY_ERROR: self = .error(RedisValue.text(p.str, p.len))
        case REDIS_REPLY_INTEGER: self = .integer(p.integer)
        case REDIS_REPLY_STRING: self = .string(p.len == 0 ? [] : Array(UnsafeRawBufferPointer(start: p.str, count: p.len)))
        case REDIS_REPLY_ARRAY:
            var items: [RedisValue] = []
            items.reserveCapacity(p.elements)
            for i in 0..<p.elements { items.append(RedisValue(p.element[i]!)) }
            self = .array(items)
        default: self = .null
        }
    }

    static func text(_ p: UnsafeMutablePointer<CChar>?, _ n: Int) -> String {
        guard let p, n > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
    }

    var errorText: String? {
        if case .error(let e) = self { return e }
        return nil
    }

    /// A string or status reply as text.
    var text: String? {
        switch self {
        case .status(let s): s
        case .string(let b): String(decoding: b, as: UTF8.self)
        default: nil
        }
    }
}

/// One blocking hiredis connection. Not thread-safe: each is owned by one thread.
/// After any I/O error the context is dead; the owner drops it and connects anew.
final class RedisConnection {
    let context: UnsafeMutablePointer<redisContext>
    let url: RedisURL
    /// Set once replies are built by custom functions (RedisPushParser.swift): from then on
    /// the pointers hiredis returns are not `redisReply`s and must not be read as such.
    var customReplies = false

    private init(context: UnsafeMutablePointer<redisContext>, url: RedisURL) {
        self.context = context
        self.url = url
    }

    deinit { redisFree(context) }

    var fd: Int32 { context.pointee.fd }

    /// True once hiredis has flagged an error: the connection must be replaced.
    var isBroken: Bool { context.pointee.err != 0 }

    /// The hiredis error text (`Connection reset by peer`, `Server closed the connection`…).
    var errorText: String {
        let e = withUnsafeBytes(of: context.pointee.errstr) { raw -> String in
            let bytes = raw.bindMemory(to: UInt8.self)
            let n = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[..<n]), as: UTF8.self)
        }
        return e.isEmpty ? "connection error \(context.pointee.err)" : e
    }

    /// Connects, authenticates, checks the server answers, selects the database and names
    /// the client. Blocking: call it on a dedicated thread.
    static func open(_ config: RedisConfiguration, role: String) throws(RedisFailure) -> RedisConnection {
        let url = config.url
        let ctx = redisConnectWithTimeout(url.host, Int32(url.port), timeval(seconds: config.connectTimeout))
        guard let ctx else { throw .io("cannot connect to \(url): out of memory") }
        let conn = RedisConnection(context: ctx, url: url)
        if conn.isBroken { throw .io("cannot connect to \(url): \(conn.errorText)") }
        redisSetTimeout(ctx, timeval(seconds: config.readTimeout))
        redisEnableKeepAlive(ctx)

        if let password = url.password {
            var args = ["AUTH"]
            if let user = url.user { args.append(user) }
            args.append(password)
            let reply = try conn.command(args)
            if let e = reply.errorText {
                let who = url.user.map { "user \"\($0)\"" } ?? "the password"
                throw .refused("\(url) refused \(who): \(e)")
            }
        }
        let pong = try conn.command(["PING"])
        if let e = pong.errorText {
            if e.hasPrefix("NOAUTH") {
                throw .refused("\(url) requires a password (\(e)); put it in the URL: redis://[user:]password@\(url.address)")
            }
            if e.hasPrefix("NOPERM") {
                throw .refused("\(url): the user may not run PING (\(e)); grant it +ping")
            }
            throw .refused("\(url) answered PING with an error: \(e)")
        }
        if url.db != 0 {
            if let e = try conn.command(["SELECT", String(url.db)]).errorText {
                throw .refused("\(url): SELECT \(url.db) failed: \(e)")
            }
        }
        // Naming is a courtesy for CLIENT LIST; an ACL user may lack the right, which is fine.
        _ = try conn.command(["CLIENT", "SETNAME", "\(config.clientName)-\(role)"])
        return conn
    }

    /// Sends one command and waits for its reply (setup and control paths only).
    func command(_ args: [String]) throws(RedisFailure) -> RedisValue {
        guard append(args) else { throw .io("\(url): \(errorText)") }
        guard let reply = readReply() else { throw .io("\(url): \(errorText)") }
        defer { freeReplyObject(reply) }
        return RedisValue(reply)
    }

    /// Sends one command of raw byte arguments and waits for its reply.
    func command(bytes args: [[UInt8]]) throws(RedisFailure) -> RedisValue {
        guard append(bytes: args) else { throw .io("\(url): \(errorText)") }
        guard let reply = readReply() else { throw .io("\(url): \(errorText)") }
        defer { freeReplyObject(reply) }
        return RedisValue(reply)
    }

    /// Queues a command in hiredis' output buffer (nothing is written yet).
    @discardableResult
    func append(_ args: [String]) -> Bool {
        let bytes = args.map { Array($0.utf8) }
        return append(bytes: bytes)
    }

    @discardableResult
    func append(bytes args: [[UInt8]]) -> Bool {
        var pointers: [UnsafePointer<CChar>?] = []
        var lengths: [Int] = []
        let storage = args.map { a -> UnsafeMutablePointer<CChar> in
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, a.count))
            a.withUnsafeBytes { raw in
                if a.count > 0 { UnsafeMutableRawPointer(p).copyMemory(from: raw.baseAddress!, byteCount: a.count) }
            }
            return p
        }
        defer { for p in storage { p.deallocate() } }
        for (i, a) in args.enumerated() {
            pointers.append(UnsafePointer(storage[i]))
            lengths.append(a.count)
        }
        let rc = pointers.withUnsafeMutableBufferPointer { pp in
            lengths.withUnsafeBufferPointer { ll in
                redisAppendCommandArgv(context, Int32(args.count), pp.baseAddress, ll.baseAddress)
            }
        }
        return rc == REDIS_OK
    }

    /// Queues already formatted protocol bytes (one or many commands) in the output buffer.
    func appendFormatted(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count > 0 else { return true }
        return bytes.withMemoryRebound(to: CChar.self) { redisAppendFormattedCommand(context, $0.baseAddress, $0.count) == REDIS_OK }
    }

    /// Writes the whole output buffer (blocking).
    func flush() -> Bool {
        var done: Int32 = 0
        while done == 0 {
            if redisBufferWrite(context, &done) != REDIS_OK { return false }
        }
        return true
    }

    /// Flushes, then waits for the next reply (bounded by the read timeout). Nil on error.
    func readReply() -> UnsafeMutablePointer<redisReply>? {
        precondition(!customReplies, "this connection's replies are built by custom functions")
        var raw: UnsafeMutableRawPointer?
        guard redisGetReply(context, &raw) == REDIS_OK, let raw else { return nil }
        return raw.assumingMemoryBound(to: redisReply.self)
    }

    /// Flushes, then waits for the next reply (bounded by the read timeout), for connections
    /// whose replies are built by custom functions (the result is theirs to read). False on
    /// error.
    func awaitReply() -> Bool {
        var raw: UnsafeMutableRawPointer?
        return redisGetReply(context, &raw) == REDIS_OK && raw != nil
    }

    /// A reply already in the read buffer, without any I/O; nil when none is complete.
    /// Sets `failed` on a protocol error.
    func bufferedReply(failed: inout Bool) -> UnsafeMutablePointer<redisReply>? {
        var raw: UnsafeMutableRawPointer?
        if redisGetReplyFromReader(context, &raw) != REDIS_OK {
            failed = true
            return nil
        }
        return raw?.assumingMemoryBound(to: redisReply.self)
    }

    /// Reads what the socket has (one read call) into the reply parser. False on error
    /// or end of stream.
    func readAvailable() -> Bool {
        redisBufferRead(context) == REDIS_OK
    }
}

extension timeval {
    init(seconds: Double) {
        let whole = seconds.rounded(.down)
        self.init(tv_sec: Int(whole), tv_usec: Int((seconds - whole) * 1e6))
    }
}

/// Waits for a socket and a wake-up pipe. Returns (socket readable or closed, woken).
func pollSocket(_ fd: Int32, wake: WakePipe, timeoutNanos: UInt64) -> (readable: Bool, woken: Bool) {
    var fds = [
        pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
        pollfd(fd: wake.readFD, events: Int16(POLLIN), revents: 0),
    ]
    let ms = Int32(min(UInt64(Int32.max), (timeoutNanos + 999_999) / 1_000_000))
    let rc = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, 2, ms) }
    if rc <= 0 { return (false, false) }
    let woken = fds[1].revents != 0
    if woken { wake.drain() }
    return (fds[0].revents != 0, woken)
}

/// Ignores SIGPIPE once per process: hiredis writes with `write(2)`, and a write to a
/// connection the server closed must give an error, not kill the process.
let ignoreSIGPIPE: Void = {
    _ = signal(SIGPIPE, SIG_IGN)
}()
