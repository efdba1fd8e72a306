import Foundation
import Synchronization
@testable import Bus
#if canImport(Glibc)
import Glibc
#endif

/// Why a Redis test could not run. Redis tests never skip silently: without a server they fail
/// with this message.
struct RedisTestSetupError: Error, CustomStringConvertible {
    let description: String
}

/// How Redis tests find a server.
///
/// `./scripts/test` starts a throwaway `redis-server` and exports `AGORA_TEST_REDIS_URL`
/// (the shared server), `AGORA_REDIS_SERVER` and `AGORA_REDIS_CLI`. Without the URL, the
/// first test that needs the shared server starts one itself. Tests that restart or
/// reconfigure a server start their own (``RedisTestServer``).
enum RedisTestEnvironment {
    private static let counter = Atomic<Int>(0)
    private static let shared = Mutex<(url: String?, server: RedisTestServer?)>((nil, nil))

    /// A channel prefix no other test (or test process) uses: tests share one server.
    static func uniquePrefix(_ tag: String = "t") -> String {
        "agora-test.\(getpid()).\(tag)\(counter.add(1, ordering: .relaxed).newValue)."
    }

    static func sharedURL() throws -> String {
        if let url = ProcessInfo.processInfo.environment["AGORA_TEST_REDIS_URL"], !url.isEmpty { return url }
        return try shared.withLock { s in
            if let url = s.url { return url }
            let server = try RedisTestServer()
            s.server = server
            s.url = server.url
            return server.url
        }
    }

    static func sharedConfiguration(_ tag: String = "t") throws -> RedisConfiguration {
        try RedisConfiguration(url: sharedURL(), prefix: uniquePrefix(tag))
    }

    static func executable(_ envName: String, _ name: String) throws -> String {
        if let path = ProcessInfo.processInfo.environment[envName], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw RedisTestSetupError(description: "\(envName)=\(path) is not an executable file")
            }
            return path
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw RedisTestSetupError(description: """
            Redis tests need \(name), which was not found: run them with ./scripts/test (it installs \
            redis-server and starts a throwaway server), or set \(envName) (and AGORA_TEST_REDIS_URL)
            """)
    }

    static func redisServer() throws -> String { try executable("AGORA_REDIS_SERVER", "redis-server") }
    static func redisCLI() throws -> String { try executable("AGORA_REDIS_CLI", "redis-cli") }

    /// A bus on the shared server, with its own prefix and a log that tests can read.
    static func bus(_ tag: String = "t", log: LogCollector? = nil, configure: (inout RedisConfiguration) -> Void = { _ in }) async throws -> RedisBus {
        var config = try sharedConfiguration(tag)
        configure(&config)
        return try await RedisBus.connect(config, log: log?.logger ?? RedisBus.standardErrorLog)
    }
}

/// Collects what a bus logs, for assertions on exact messages.
final class LogCollector: Sendable {
    private let lines = Mutex<[String]>([])
    var logger: RedisLogger { { [self] line in lines.withLock { $0.append(line) } } }
    var all: [String] { lines.withLock { $0 } }
    func matching(_ fragment: String) -> [String] { all.filter { $0.contains(fragment) } }
}

/// A `redis-server` of a test's own, on a free loopback port, without persistence.
///
/// It runs under a small shell watchdog that stops it when the test process goes away
/// (even if that process crashes), and `stop()` ends it reliably (SIGTERM, then SIGKILL).
final class RedisTestServer: @unchecked Sendable {
    private(set) var port = 0
    let arguments: [String]
    let password: String?
    private let lock = NSLock()
    private var wrapper: Process?
    private var serverPID: Int32 = 0
    private let directory: URL

    var url: String { password.map { "redis://:\($0)@127.0.0.1:\(port)" } ?? "redis://127.0.0.1:\(port)" }
    var host: String { "127.0.0.1" }

    /// - Parameters:
    ///   - arguments: extra `redis-server` options, e.g. `["--requirepass", "pw"]`.
    ///   - password: the password tests use to talk to it (for `cli` and the URL).
    init(arguments: [String] = [], password: String? = nil) throws {
        self.arguments = arguments
        self.password = password
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("agora-redis-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var lastError: (any Error)?
        for _ in 0..<5 {
            let candidate = try RedisTestServer.freePort()
            do {
                port = candidate
                try launch()
                return
            } catch {
                lastError = error
            }
        }
        throw lastError ?? RedisTestSetupError(description: "could not start redis-server")
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A port the kernel just handed out on 127.0.0.1 (then released for the server).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RedisTestSetupError(description: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard bound == 0 else { throw RedisTestSetupError(description: "bind() failed: errno \(errno)") }
        let named = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        guard named == 0 else { throw RedisTestSetupError(description: "getsockname() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Starts the server (again) on `port`.
    func launch() throws {
        let server = try RedisTestEnvironment.redisServer()
        // The watchdog: runs redis-server, stops it on TERM, or when the test process is gone.
        let script = """
            parent=$1; shift
            "$@" &
            child=$!
            trap 'kill -TERM $child 2>/dev/null; wait $child; exit 0' TERM INT HUP
            while kill -0 "$parent" 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.2 & wait $!; done
            kill -TERM $child 2>/dev/null; wait $child
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", script, "agora-redis-watchdog", String(getpid()), server,
                       "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                       "--dir", directory.path, "--logfile", directory.appendingPathComponent("redis.log").path,
                       "--daemonize", "no"] + arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        lock.withLock { wrapper = p }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if !p.isRunning {
                let log = (try? String(contentsOf: directory.appendingPathComponent("redis.log"), encoding: .utf8)) ?? ""
                throw RedisTestSetupError(description: "redis-server on port \(port) exited at start: \(log.suffix(400))")
            }
            if let pid = ping() {
                lock.withLock { serverPID = pid }
                return
            }
            usleep(20_000)
        }
        stop()
        throw RedisTestSetupError(description: "redis-server on port \(port) did not answer within 10 s")
    }

    /// The server's pid once it answers.
    private func ping() -> Int32? {
        var config = RedisConfiguration(url: RedisURL(host: host, port: port, password: password))
        config.connectTimeout = 0.2
        guard let conn = try? RedisConnection.open(config, role: "test"),
              let info = try? conn.command(["INFO", "server"]).text else { return nil }
        for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix("process_id:") {
            return Int32(line.dropFirst("process_id:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }

    /// Stops the server and waits until it is gone. Safe to call twice.
    func stop() {
        let (p, pid) = lock.withLock { () -> (Process?, Int32) in
            defer { wrapper = nil; serverPID = 0 }
            return (wrapper, serverPID)
        }
        guard let p else { return }
        if p.isRunning { p.terminate() }
        let deadline = Date().addingTimeInterval(5)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        if pid > 0 && kill(pid, 0) == 0 {
            let until = Date().addingTimeInterval(2)
            while kill(pid, 0) == 0 && Date() < until { usleep(10_000) }
            if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        }
        p.waitUntilExit()
    }

    /// Runs `redis-cli` against this server and returns its standard output.
    @discardableResult
    func cli(_ args: [String]) throws -> String {
        var full = ["-h", host, "-p", String(port)]
        if let password { full += ["-a", password, "--no-auth-warning"] }
        return try RedisCLI.run(full + args)
    }
}

/// Runs `redis-cli`.
enum RedisCLI {
    /// Runs it to completion; throws with its stderr when it fails.
    static func run(_ args: [String], input: String? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try RedisTestEnvironment.redisCLI())
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        if let input {
            let inPipe = Pipe()
            p.standardInput = inPipe
            try p.run()
            inPipe.fileHandleForWriting.write(Data(input.utf8))
            try inPipe.fileHandleForWriting.close()
        } else {
            p.standardInput = FileHandle.nullDevice
            try p.run()
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else {
            throw RedisTestSetupError(description: "redis-cli \(args.joined(separator: " ")) failed (\(p.terminationStatus)): \(String(decoding: errData, as: UTF8.self))")
        }
        return text
    }

    /// `-u URL` arguments for a redis:// URL.
    static func target(_ url: String) -> [String] { ["-u", url] }
}

/// A plain hiredis connection for tests: raw bytes in, replies out.
final class RawRedis: @unchecked Sendable {
    let connection: RedisConnection
    init(_ url: String) throws {
        connection = try RedisConnection.open(RedisConfiguration(url: url), role: "test")
    }

    @discardableResult
    func command(_ args: [String]) throws -> RedisValue {
        try connection.command(args)
    }

    @discardableResult
    func command(bytes args: [[UInt8]]) throws -> RedisValue {
        try connection.command(bytes: args)
    }

    /// PUBLISH raw bytes; returns the number of receivers.
    @discardableResult
    func publish(_ channel: String, _ message: [UInt8]) throws -> Int64 {
        let reply = try command(bytes: [Array("PUBLISH".utf8), Array(channel.utf8), message])
        guard case .integer(let n) = reply else { throw RedisTestSetupError(description: "PUBLISH answered \(reply)") }
        return n
    }
}

/// Polls `condition` until it holds (or fails the test after `seconds`).
func eventually(_ what: String, within seconds: Double = 10, _ condition: @Sendable () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(5))
    }
    throw RedisTestSetupError(description: "timed out after \(seconds) s waiting for: \(what)")
}
