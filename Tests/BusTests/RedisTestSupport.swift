import Foundation
import Synchronization
import TestSupport
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
            // Called once per test process; the pool copes with this one short block.
            let server = try RedisTestServer()
            s.server = server
            s.url = server.url
            return server.url
        }
    }

    static func sharedConfiguration(_ tag: String = "t") throws -> RedisConfiguration {
        try RedisConfiguration(url: sharedURL(), prefix: uniquePrefix(tag))
    }

    static func executable(
        _ envName: String, _ name: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> String {
        if let path = environment[envName], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw RedisTestSetupError(description: "\(envName)=\(path) is not an executable file")
            }
            return path
        }
        for dir in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
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
        return try await RedisBus.connect(config, logger: log?.logger ?? Logger(label: "bus.redis"))
    }
}

/// Collects what a bus logs (through a capturing `LogSink`), for assertions on exact messages.
final class LogCollector: Sendable {
    /// JSON records, captured and not written anywhere (fd -1).
    let sink = LogSink(fd: -1, format: .json, level: .debug, capture: true)
    var logger: Logger { Logger(label: "bus.redis", sink: sink) }

    /// Each record's (level, message).
    var records: [(level: String, message: String)] {
        (sink.lines ?? []).compactMap { line in
            guard let v = try? JSONValue(parsing: line), let level = v["level"]?.stringValue, let msg = v["msg"]?.stringValue else { return nil }
            return (level, msg)
        }
    }
    var all: [String] { records.map(\.message) }
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
    private var wrapper: ChildProcess?
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
            kill -TERM $child 2>/dev/null
            sleep 2 & wait $!
            kill -KILL $child 2>/dev/null; wait $child
            """
        let p = try ChildProcess("/bin/sh", [
            "-c", script, "agora-redis-watchdog", String(getpid()), server,
            "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", directory.path, "--logfile", directory.appendingPathComponent("redis.log").path,
            "--daemonize", "no",
        ] + arguments)
        lock.withLock { wrapper = p }
        let deadline = Date().addingTimeInterval(30)
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
        throw RedisTestSetupError(description: "redis-server on port \(port) did not answer within 30 s")
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
        let (p, pid) = lock.withLock { () -> (ChildProcess?, Int32) in
            defer { wrapper = nil; serverPID = 0 }
            return (wrapper, serverPID)
        }
        guard let p else { return }
        p.stop(grace: 5)
        // The watchdog stops the server before it exits; make sure of it.
        if pid > 0 && kill(pid, 0) == 0 {
            let until = Date().addingTimeInterval(2)
            while kill(pid, 0) == 0 && Date() < until { usleep(5_000) }
            if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        }
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
    static func run(_ args: [String]) throws -> String {
        let p = try ChildProcess(try RedisTestEnvironment.redisCLI(), args, captureOutput: true)
        let data = p.readAll()
        let status = p.wait()
        let text = String(decoding: data, as: UTF8.self)
        guard status == 0 else {
            throw RedisTestSetupError(description: "redis-cli \(args.joined(separator: " ")) failed (status \(status)): \(text)")
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

extension RedisTestServer {
    /// Starts a server without blocking the cooperative pool.
    static func start(arguments: [String] = [], password: String? = nil) async throws -> RedisTestServer {
        try await offPool { try RedisTestServer(arguments: arguments, password: password) }
    }

    func stopped() async throws { try await offPool { self.stop() } }
    func relaunched() async throws { try await offPool { try self.launch() } }
    func command(_ args: [String]) async throws -> String { try await offPool { try self.cli(args) } }
}

/// A child process started with `posix_spawn`, with an empty signal mask and default signal
/// handlers. (Threads of the test process block most signals; a child that inherited
/// that mask, as Foundation's `Process` lets it, would ignore SIGTERM.)
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    /// The read end of the child's standard output, when captured.
    let output: Int32?
    private let lock = NSLock()
    private var exitStatus: Int32?

    init(_ path: String, _ arguments: [String], captureOutput: Bool = false) throws {
        var outPipe: [Int32] = [-1, -1]
        if captureOutput {
            guard pipe(&outPipe) == 0 else { throw RedisTestSetupError(description: "pipe() failed: errno \(errno)") }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if captureOutput {
            posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
            posix_spawn_file_actions_addclose(&actions, outPipe[0])
            posix_spawn_file_actions_addclose(&actions, outPipe[1])
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attr, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, &actions, &attr, argv, environ)
        if captureOutput { close(outPipe[1]) }
        guard rc == 0 else {
            if captureOutput { close(outPipe[0]) }
            throw RedisTestSetupError(description: "cannot start \(path): \(String(cString: strerror(rc)))")
        }
        pid = child
        output = captureOutput ? outPipe[0] : nil
    }

    deinit {
        if let output { close(output) }
    }

    /// Reaps the child if it has exited; true while it runs.
    var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        if exitStatus != nil { return false }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid || r < 0 {
            exitStatus = status
            return false
        }
        return true
    }

    /// Waits for the exit; returns the raw wait status.
    @discardableResult
    func wait() -> Int32 {
        lock.lock()
        defer { lock.unlock() }
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        exitStatus = status
        return status
    }

    /// Sends SIGTERM; after `grace` seconds, SIGKILL; then reaps.
    func stop(grace: Double = 5) {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while isRunning && Date() < deadline { usleep(5_000) }
        if isRunning { kill(pid, SIGKILL) }
        wait()
    }

    /// Everything the child writes to standard output until it closes it.
    func readAll() -> Data {
        guard let fd = output else { return Data() }
        var data = Data()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return data }
            data.append(contentsOf: buf[0..<n])
        }
    }
}
