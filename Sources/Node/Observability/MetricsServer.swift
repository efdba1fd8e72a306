import Bus
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 responder of our own for `GET /metrics` (Prometheus text format) and
/// `GET /healthz`. It accepts on a dedicated thread and serves each connection on a thread
/// of its own (blocking reads never touch the cooperative pool, and a slow or idle client
/// never delays another's scrape); one request per connection, read within
/// `requestDeadline` seconds in all, at most `maxConnections` at once.
final class MetricsServer: @unchecked Sendable {
    static let requestDeadline = 2.0
    static let maxConnections = 16
    private let active = Mutex(0)
    let host: String
    private(set) var port: UInt16
    private let listener: Int32
    private let wake: (Int32, Int32)
    private let render: @Sendable () -> String
    private let health: @Sendable () -> (Bool, String)
    private var thread: Thread?

    /// Binds `host:port` (port 0 picks a free one; see `port`).
    init(address: String, render: @escaping @Sendable () -> String, health: @escaping @Sendable () -> (Bool, String)) throws {
        guard let colon = address.lastIndex(of: ":"), let p = UInt16(address[address.index(after: colon)...]) else {
            throw CommandError("--metrics: expected HOST:PORT, got '\(address)'", exitCode: 64)
        }
        let given = String(address[..<colon])
        host = given == "localhost" ? "127.0.0.1" : given
        self.render = render
        self.health = health
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CommandError("--metrics: socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = p.bigEndian
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
            close(fd)
            throw CommandError("--metrics: '\(host)' is not an IPv4 address (or localhost)", exitCode: 64)
        }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw CommandError("--metrics: cannot listen on \(address): \(reason)")
        }
        var actual = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = UInt16(bigEndian: actual.sin_port)
        listener = fd
        var pipeFDs: [Int32] = [0, 0]
        _ = pipe(&pipeFDs)
        wake = (pipeFDs[0], pipeFDs[1])
    }

    func start() {
        let t = Thread { self.loop() }
        t.name = "agora-metrics"
        thread = t
        t.start()
    }

    func stop() {
        var b: UInt8 = 1
        _ = write(wake.1, &b, 1)
    }

    private func loop() {
        defer {
            close(listener)
            close(wake.0)
            close(wake.1)
        }
        while true {
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.0, events: Int16(POLLIN), revents: 0)]
            let n = poll(&fds, 2, -1)
            if n < 0 { if errno == EINTR { continue } else { return } }
            if fds[1].revents != 0 { return }
            guard fds[0].revents & Int16(POLLIN) != 0 else { continue }
            let client = accept(listener, nil, nil)
            if client < 0 { continue }
            let admitted = active.withLock { n -> Bool in
                if n >= MetricsServer.maxConnections { return false }
                n += 1
                return true
            }
            guard admitted else {
                FDWriter.writeAll(fd: client, MetricsServer.head(status: "503 Service Unavailable", type: "text/plain", length: 5) + "busy\n")
                close(client)
                continue
            }
            let t = Thread { [self] in
                serve(client)
                close(client)
                active.withLock { $0 -= 1 }
            }
            t.name = "agora-metrics-conn"
            t.start()
        }
    }

    static func head(status: String, type: String, length: Int, allow: Bool = false) -> String {
        "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(length)\r\n" + (allow ? "Allow: GET, HEAD\r\n" : "") + "Connection: close\r\n\r\n"
    }

    private func serve(_ fd: Int32) {
        // One deadline for the whole request: a client sending a byte now and then cannot
        // hold the connection longer.
        let deadline = Monotonic.nanoseconds() + UInt64(MetricsServer.requestDeadline * 1e9)
        var request: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while request.count < 16_384 {
            let now = Monotonic.nanoseconds()
            guard now < deadline else { break }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32((deadline - now) / 1_000_000) + 1)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { break }
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            request.append(contentsOf: buf[0..<n])
            if request.count >= 4, request.suffix(from: max(0, request.count - n - 3)).windows4ContainsCRLFCRLF { break }
        }
        let text = String(decoding: request, as: UTF8.self)
        let (status, type, body) = MetricsServer.respond(to: text, render: render, health: health)
        // HEAD: the headers GET would send, without the body.
        let head = MetricsServer.head(status: status, type: type, length: body.utf8.count, allow: status.hasPrefix("405"))
        FDWriter.writeAll(fd: fd, text.hasPrefix("HEAD ") ? head : head + body)
    }

    /// The response to a raw request (pure, for tests).
    static func respond(to request: String, render: () -> String, health: () -> (Bool, String)) -> (String, String, String) {
        let line = request.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
        let parts = line.split(separator: " ")
        guard parts.count >= 2 else { return ("400 Bad Request", "text/plain", "bad request\n") }
        let path = parts[1].split(separator: "?").first.map(String.init) ?? "/"
        guard parts[0] == "GET" || parts[0] == "HEAD" else { return ("405 Method Not Allowed", "text/plain", "only GET\n") }
        switch path {
        case "/metrics":
            return ("200 OK", "text/plain; version=0.0.4; charset=utf-8", render())
        case "/healthz":
            let (ok, text) = health()
            return (ok ? "200 OK" : "503 Service Unavailable", "text/plain", text + "\n")
        default:
            return ("404 Not Found", "text/plain", "not found: \(path)\n")
        }
    }
}

extension ArraySlice where Element == UInt8 {
    var windows4ContainsCRLFCRLF: Bool {
        var i = startIndex
        while i + 3 < endIndex {
            if self[i] == 13, self[i + 1] == 10, self[i + 2] == 13, self[i + 3] == 10 { return true }
            i += 1
        }
        return false
    }
}
