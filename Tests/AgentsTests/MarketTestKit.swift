import Foundation
import Synchronization
@testable import Agents
import Bus

/// Helpers for the market-data and technical suites.
enum MarketTestKit {
    /// A fresh temporary directory for one test.
    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("agora-market-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `contents` (bytes as given) to `name` in a fresh directory; returns the path.
    static func file(_ name: String, _ contents: String) throws -> String {
        try file(name, bytes: Array(contents.utf8))
    }

    static func file(_ name: String, bytes: [UInt8]) throws -> String {
        let url = try directory().appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// The repository root (for data/GOOG.csv).
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func day(_ iso: String) -> Timestamp { try! ISO8601.parse(iso) }

    /// A bar at day `i` after 2024-01-01 with the given close (a tight valid range around it).
    static func bar(_ symbol: String, day i: Int, close: Double, volume: Double = 1000) -> Bar {
        Bar(symbol: symbol, time: Timestamp(seconds: 1_704_067_200 + Int64(i) * 86_400),
            open: close, high: close + 0.5, low: close - 0.5, close: close, volume: volume)
    }

    /// Collects `count` envelopes (or fewer if the subscription ends).
    static func collect(_ sub: Subscription, _ count: Int) async -> [Envelope] {
        var out: [Envelope] = []
        if count == 0 { return out }
        for await e in sub {
            out.append(e)
            if out.count == count { break }
        }
        return out
    }
}

/// A sleeper that does not wait: it records each duration and moves a manual clock on.
final class FakeSleeper: Sleeper, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Duration] = []
    let clock: ManualClock

    init(clock: ManualClock) { self.clock = clock }

    var durations: [Duration] { lock.withLock { recorded } }

    func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        lock.withLock { recorded.append(duration) }
        clock.advance(by: duration)
        await Task.yield()
    }
}
