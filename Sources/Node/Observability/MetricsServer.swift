import Bus
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 responder of our own for `GET /metrics` (Prometheus text format) and
/// `GET /healthz`. It runs on a dedicated thread (blocking accept/read never touch the
/// cooperative pool) and answers one request per connection.
final class MetricsServer: @unchecked Sendable {
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
        host = String(address[..<colon])
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
            throw CommandError("--metrics: '\(host)' is not an IPv4 address", exitCode: 64)
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
            serve(client)
            close(client)
        }
    }

    private func serve(_ fd: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while request.count < 16_384 {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            request.append(contentsOf: buf[0..<n])
            if request.count >= 4, request.suffix(from: max(0, request.count - n - 3)).windows4ContainsCRLFCRLF { break }
        }
        let (status, type, body) = MetricsServer.respond(to: String(decoding: request, as: UTF8.self), render: render, health: health)
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        FDWriter.writeAll(fd: fd, head + body)
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
