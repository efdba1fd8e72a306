import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 responder on 127.0.0.1 for the LLM tests, on plain sockets.
///
/// Each connection is served on its own thread: the request is read (headers and a
/// `Content-Length` body), recorded, and answered as the handler says — possibly late,
/// with garbage, or not at all. Every answer closes the connection. The server is bounded:
/// it serves at most `maxConnections` and stops by itself after `lifetime` seconds.
final class LoopbackHTTPServer: @unchecked Sendable {
    struct Request: Sendable {
        var method: String
        var path: String
        var headers: [String: String]
        var body: String
    }

    enum Reply: Sendable {
        /// An HTTP answer, sent after `delay` seconds.
        case http(status: Int, headers: [(String, String)] = [], body: String, delay: Double = 0)
        /// These bytes, not HTTP at all.
        case raw(String)
        /// Close the connection without a word.
        case hangUp
    }

    let port: UInt16
    private let listener: Int32
    private let handler: @Sendable (Request, Int) -> Reply
    private let state = Mutex(State())
    private let maxConnections: Int

    struct State {
        var requests: [Request] = []
        var active = 0
        var maxActive = 0
        var stopped = false
        var connections = 0
    }

    /// - Parameter handler: the reply to the n-th request (0-based).
    init(maxConnections: Int = 200, lifetime: Double = 60, handler: @escaping @Sendable (Request, Int) -> Reply) throws {
        self.handler = handler
        self.maxConnections = maxConnections
        let (fd, port) = try LoopbackHTTPServer.bindLoopback(reuseAddress: true)
        guard listen(fd, 64) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        self.port = port
        listener = fd
        let t = Thread { [self] in acceptLoop() }
        t.name = "loopback-http"
        t.start()
        let stopper = Thread { [self] in
            let end = Date().addingTimeInterval(lifetime)
            while Date() < end && !isStopped { usleep(50_000) }
            stop()
        }
        stopper.start()
    }

    deinit { stop() }

    /// A loopback port that refuses connections for as long as the value lives: bound but
    /// not listening, so no other test's server can be given it meanwhile (a stopped
    /// server's port can be, when tests run in parallel).
    final class ClosedPort: @unchecked Sendable {
        let port: UInt16
        private let fd: Int32
        init() throws {
            (fd, port) = try LoopbackHTTPServer.bindLoopback(reuseAddress: false)
        }
        deinit { close(fd) }
        var baseURL: String { LoopbackHTTPServer.baseURL(port: port) }
    }

    /// A TCP socket bound to a free port on 127.0.0.1 (not listening yet), and that port.
    static func bindLoopback(reuseAddress: Bool) throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        if reuseAddress {
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return (fd, UInt16(bigEndian: addr.sin_port))
    }

    static func baseURL(port: UInt16) -> String { "http://127.0.0.1:\(port)/v1" }
    var baseURL: String { LoopbackHTTPServer.baseURL(port: port) }
    var requests: [Request] { state.withLock { $0.requests } }
    var maxConcurrent: Int { state.withLock { $0.maxActive } }
    private var isStopped: Bool { state.withLock { $0.stopped } }

    func stop() {
        let first = state.withLock { s -> Bool in
            defer { s.stopped = true }
            return !s.stopped
        }
        if first {
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
        }
    }

    private func acceptLoop() {
        while !isStopped {
            let c = accept(listener, nil, nil)
            if c < 0 {
                if errno == EINTR { continue }
                return
            }
            let n = state.withLock { s -> Int in
                s.connections += 1
                return s.connections
            }
            if n > maxConnections {
                close(c)
                continue
            }
            let t = Thread { [self] in serve(c) }
            t.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        var headerEnd: Int?
        while headerEnd == nil {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { return }
            data.append(contentsOf: buf[0..<n])
            headerEnd = Self.find(data, Array("\r\n\r\n".utf8))
        }
        let head = String(decoding: data[0..<headerEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        var headers: [String: String] = [:]
        for l in lines {
            guard let colon = l.firstIndex(of: ":") else { continue }
            headers[l[..<colon].lowercased()] = l[l.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        var body = Array(data[(headerEnd! + 4)...])
        while body.count < length {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            body.append(contentsOf: buf[0..<n])
        }
        let request = Request(
            method: requestLine.first.map(String.init) ?? "", path: requestLine.count > 1 ? String(requestLine[1]) : "",
            headers: headers, body: String(decoding: body, as: UTF8.self))
        let index = state.withLock { s -> Int in
            s.requests.append(request)
            s.active += 1
            s.maxActive = max(s.maxActive, s.active)
            return s.requests.count - 1
        }
        defer { state.withLock { $0.active -= 1 } }
        switch handler(request, index) {
        case .hangUp:
            return
        case .raw(let text):
            Self.send(fd, Array(text.utf8))
        case .http(let status, let extra, let text, let delay):
            let end = Date().addingTimeInterval(delay)
            while Date() < end && !isStopped { usleep(10_000) }
            if isStopped { return }
            let bytes = Array(text.utf8)
            var out = "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Status")\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n"
            for (k, v) in extra { out += "\(k): \(v)\r\n" }
            out += "\r\n"
            Self.send(fd, Array(out.utf8) + bytes)
        }
    }

    private static func send(_ fd: Int32, _ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            off += n
        }
    }

    private static func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }

    /// Holds answers back until the test opens it: an answer that is "late" stays late
    /// however slowly a loaded machine runs the test (a fixed delay is a race with the clock).
    /// A closed gate gives up after `limit` seconds so a failed test leaves no thread behind.
    final class Gate: Sendable {
        private let semaphore = DispatchSemaphore(value: 0)
        private let limit: Double
        init(limit: Double = 20) { self.limit = limit }
        func open() { semaphore.signal() }
        /// Called on the connection's thread, in the handler.
        func pass() {
            if semaphore.wait(timeout: .now() + limit) == .success { semaphore.signal() }
        }
    }

    // MARK: chat-completions answers

    /// A chat completion whose assistant message is `content`.
    static func completion(_ content: String, finish: String = "stop") -> String {
        let escaped = String(decoding: try! JSONSerialization.data(withJSONObject: [content], options: [.fragmentsAllowed]), as: UTF8.self)
        let inner = String(escaped.dropFirst().dropLast())
        return #"{"id":"c-1","object":"chat.completion","model":"test","choices":[{"index":0,"message":{"role":"assistant","content":"# + inner + #"},"finish_reason":""# + finish + #""}]}"#
    }
}
