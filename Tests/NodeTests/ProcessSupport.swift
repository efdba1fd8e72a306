import Foundation
@testable import Node
import Bus
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

struct ProcessTestSetupError: Error, CustomStringConvertible {
    let description: String
}

/// A real `agora` process, with its stdout and stderr in files.
final class AgoraProcess {
    let name: String
    let process = Process()
    let stdoutPath: String
    let stderrPath: String

    /// The binary `swift build` made next to the tests (or AGORA_BIN).
    static func binary() throws -> String {
        if let p = ProcessInfo.processInfo.environment["AGORA_BIN"], !p.isEmpty { return p }
        let p = FileManager.default.currentDirectoryPath + "/.build/debug/agora"
        guard FileManager.default.isExecutableFile(atPath: p) else {
            throw ProcessTestSetupError(description: "\(p) not found: build it first (./scripts/test runs swift build --build-tests), or set AGORA_BIN")
        }
        return p
    }

    /// The Redis server of the test run (./scripts/test starts one).
    static func redisURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["AGORA_TEST_REDIS_URL"], !url.isEmpty else {
            throw ProcessTestSetupError(description: "multi-process tests need Redis: run them with ./scripts/test, or set AGORA_TEST_REDIS_URL")
        }
        return url
    }

    init(_ name: String, _ args: [String], dir: String) throws {
        self.name = name
        stdoutPath = "\(dir)/\(name).out"
        stderrPath = "\(dir)/\(name).err"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: try Self.binary())
        process.arguments = args
        process.currentDirectoryURL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    func signal(_ sig: Int32) { kill(pid, sig) }

    /// The exit status, or nil if it still runs after `timeout` seconds (or when the test
    /// is cancelled by its time limit).
    func wait(timeout: Double) async -> Int32? {
        await eventually(timeout: timeout) { !process.isRunning } ? process.terminationStatus : nil
    }

    func stop() {
        if process.isRunning { kill(pid, SIGKILL) }
    }

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
}

/// A scratch folder per test.
func scratchDirectory(_ tag: String) -> String {
    let dir = NSTemporaryDirectory() + "agora-\(tag)-\(getpid())-\(UUID().uuidString.prefix(6))"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// Events of a (possibly still growing) event log; a torn last line is ignored.
func readLog(_ path: String) -> [Envelope] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").compactMap { try? EventCodec.decode(String($0)) }
}

/// A topology file with `nodes` on Redis.
func writeTopology(_ path: String, url: String, prefix: String, data: String, news: String?, nodes: [(String, [String])]) throws {
    var market: [String: Any] = ["mode": "backtest", "data": [["file": data, "symbol": "GOOG"]]]
    if let news { market["news"] = news }
    let t: [String: Any] = [
        "bus": ["kind": "redis", "url": url, "prefix": prefix],
        "market": market,
        "agents": [
            "technical": ["maCross": ["fast": 20, "slow": 50]],
            "orchestrator": ["weights": ["technical": 0.4, "sentiment": 0.3, "risk": 0.3], "entryThreshold": 0.3, "exitThreshold": 0.3],
            "portfolio": ["initialCash": 100000, "sizing": ["mode": "fixed-fraction", "fraction": 0.9]],
            "execution": ["marketFill": "next-open", "slippageBps": 5, "commission": ["kind": "per-share", "rate": 0.005, "minimum": 1]],
            "journal": ["reportEvery": 20],
        ],
        "nodes": nodes.map { ["name": $0.0, "agents": $0.1] },
        "outputs": ["dir": "out", "trades": "trades.csv", "equity": "equity.csv", "stats": "stats.json", "journal": "journal.json"],
    ]
    try JSONSerialization.data(withJSONObject: t, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: path))
}

/// A TCP port on 127.0.0.1 that the kernel just handed out (and released for the caller).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ProcessTestSetupError(description: "socket() failed: errno \(errno)") }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard bound == 0 else { throw ProcessTestSetupError(description: "bind() failed: errno \(errno)") }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// A scratch folder and, in it, a two-node topology on Redis under a prefix of its own:
/// `feed` replays the repo's GOOG bars, `core` runs every other agent.
func feedAndCoreTopology(_ tag: String, url: String? = nil) throws -> (dir: String, topology: String) {
    let dir = scratchDirectory(tag)
    let topology = dir + "/multi.json"
    try writeTopology(topology, url: try url ?? AgoraProcess.redisURL(), prefix: "\(tag)-\(getpid())-\(UUID().uuidString.prefix(6)).",
                      data: FileManager.default.currentDirectoryPath + "/data/GOOG.csv", news: nil,
                      nodes: [("feed", ["market-data"]), ("core", ["technical", "sentiment", "risk", "orchestrator", "portfolio", "execution", "journal"])])
    return (dir, topology)
}

/// The repo's topology.json written into `dir`, with absolute data paths, the first `bars`
/// bars of GOOG (all when nil; a debug build decodes long logs slowly), and `market` edited.
func repoTopology(_ dir: String, bars: Int? = nil, name: String = "topology.json", market edit: (inout [String: Any]) -> Void = { _ in }) throws -> String {
    let root = FileManager.default.currentDirectoryPath
    var data = root + "/data/GOOG.csv"
    if let bars {
        let lines = try String(contentsOfFile: data, encoding: .utf8).split(separator: "\n").prefix(bars + 1)
        data = dir + "/GOOG.csv"
        try (lines.joined(separator: "\n") + "\n").write(toFile: data, atomically: true, encoding: .utf8)
    }
    var t = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/topology.json"))) as! [String: Any]
    var market = t["market"] as! [String: Any]
    market["data"] = [["file": data, "symbol": "GOOG"]]
    market["news"] = root + "/data/GOOG-news-sample.jsonl"
    edit(&market)
    t["market"] = market
    let path = dir + "/" + name
    try JSONSerialization.data(withJSONObject: t).write(to: URL(fileURLWithPath: path))
    return path
}
