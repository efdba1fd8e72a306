import CHiredis
import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Bus

/// Other clients on the same Redis: `redis-cli` publishes events Agora consumes as typed
/// events, and reads the events Agora publishes; and Redis' own PSUBSCRIBE matching agrees
/// with ``TopicPattern`` on random patterns.
@Suite struct RedisInteropTests {
    @Test func redisCLIPublishesABarThatArrivesTyped() async throws {
        let bus = try await RedisTestEnvironment.bus("cli-in")
        let sub = try await bus.subscribe(to: Bar.self, "market.bar.*")
        // The example of docs/wire-format.md, as a shell user would type it.
        let json = #"{"type":"bar","data":{"symbol":"MSFT","time":"2024-01-02","open":370.1,"high":375.9,"low":366.5,"close":370.9,"volume":25258600}}"#
        let args = RedisCLI.target(try RedisTestEnvironment.sharedURL()) + ["PUBLISH", bus.configuration.prefix + "market.bar.MSFT", json]
        let out = try await offPool { try RedisCLI.run(args) }
        #expect(out == "1\n")
        let got = try await withTimeout {
            var it = sub.makeAsyncIterator()
            return await it.next()
        }
        let d = try #require(got)
        #expect(d.event == Bar(symbol: "MSFT", time: Timestamp(seconds: 1_704_153_600), open: 370.1, high: 375.9, low: 366.5, close: 370.9, volume: 25_258_600))
        #expect(d.envelope.topic == "market.bar.MSFT")
        #expect(d.envelope.source == "external")
        #expect(d.envelope.seq == 0)
        #expect(d.envelope.time == d.event.time)
        #expect(sub.stats.gaps == 0 && sub.stats.malformed == 0)
        await bus.shutdown()
    }

    @Test func redisCLIReadsAgorasEvents() async throws {
        let bus = try await RedisTestEnvironment.bus("cli-out")
        let pattern = bus.configuration.redisPattern(for: "decision.*")
        let cli = try LineProcess(try RedisTestEnvironment.redisCLI(), RedisCLI.target(try RedisTestEnvironment.sharedURL()) + ["PSUBSCRIBE", pattern])
        defer { cli.terminate() } // SIGTERM: redis-cli exits at once
        try await eventually("redis-cli subscribed") { cli.lines.count >= 3 }
        #expect(cli.lines == ["psubscribe", pattern, "1"])

        let decision = Decision(symbol: "AAPL", time: Timestamp(seconds: 1_704_205_800), action: .buy, score: 0.41, reason: "score 0.41 ≥ entry 0.30")
        let pub = Publisher(bus: bus, source: "main/orchestrator", clock: ManualClock(Timestamp(seconds: 1_763_463_000)))
        try await pub.publish(decision, correlation: "AAPL@2024-01-02T14:30:00Z", causation: EventID(source: "main/market-data", seq: 6))
        try await eventually("redis-cli printed the message") { cli.lines.count >= 7 }
        let lines = cli.lines
        #expect(Array(lines[3...5]) == ["pmessage", pattern, bus.configuration.prefix + "decision.AAPL"])
        let message = lines[6]
        let expected = Envelope(
            decision, source: "main/orchestrator", seq: 1, published: Timestamp(seconds: 1_763_463_000),
            correlation: "AAPL@2024-01-02T14:30:00Z", causation: EventID(source: "main/market-data", seq: 6))
        // Exactly the documented JSON, plus the transport's topicSeq as the last member.
        #expect(message == String(EventCodec.encodeString(expected).dropLast()) + #","topicSeq":1}"#)
        // Any JSON parser reads it.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(message.utf8)) as? [String: Any])
        #expect(object["type"] as? String == "decision")
        #expect(object["id"] as? String == "main/orchestrator:1")
        #expect((object["data"] as? [String: Any])?["action"] as? String == "buy")
        await bus.shutdown()
    }

    /// Random patterns and channels over the glob alphabet; Redis' answer (which channels a
    /// PSUBSCRIBE actually receives) must be ``TopicPattern``'s.
    @Test func topicPatternAgreesWithRedisOnRandomPatterns() async throws {
        let url = try RedisTestEnvironment.sharedURL()
        let result = try await offPool { try Self.differential(url) }
        #expect(result.disagreements == [], "Redis and TopicPattern disagree")
        // The random cases exercise both outcomes.
        #expect(result.matched > result.compared / 20 && result.matched < result.compared - result.compared / 20,
                "\(result.matched) of \(result.compared) matched")
    }

    struct Differential: Sendable {
        var compared = 0
        var matched = 0
        /// (pattern, channels Redis delivered, channels TopicPattern matches)
        var disagreements: [String] = []
    }

    static func differential(_ url: String) throws -> Differential {
        let base = "diff\(getpid())."
        let escaped = TopicPattern.escape(base)
        var rng = Xorshift(seed: 0x5EED_0001)
        // Few distinct letters, so that patterns often match; every glob byte appears.
        let letters = Array("ab.".utf8)
        let specials = Array("***??[]^-\\A".utf8)
        func word(_ maxLength: Int, minLength: Int, special: UInt64) -> String {
            let n = minLength + Int(rng.next() % UInt64(maxLength - minLength + 1))
            var bytes: [UInt8] = []
            for _ in 0..<n {
                if rng.next() % 100 < special {
                    bytes.append(specials[Int(rng.next() % UInt64(specials.count))])
                } else {
                    bytes.append(letters[Int(rng.next() % UInt64(letters.count))])
                }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        var channels = Set<String>()
        while channels.count < 60 { channels.insert(base + word(5, minLength: 0, special: 10)) }
        let channelList = channels.sorted()

        let publisher = try RawRedis(url)
        let subscriber = try RawRedis(url)
        var result = Differential()
        for _ in 0..<250 {
            let suffix = word(6, minLength: 1, special: 45)
            let pattern = escaped + suffix
            let ack = try subscriber.command(["PSUBSCRIBE", pattern])
            guard ack == .array([.string(Array("psubscribe".utf8)), .string(Array(pattern.utf8)), .integer(1)]) else {
                throw RedisTestSetupError(description: "PSUBSCRIBE \(pattern) answered \(ack)")
            }
            for ch in channelList { publisher.connection.append(["PUBLISH", ch, "m"]) }
            var receivers = 0
            for _ in channelList {
                guard let r = publisher.connection.readReply() else { throw RedisTestSetupError(description: publisher.connection.errorText) }
                if case .integer(let n) = RedisValue(r) { receivers += Int(n) }
                freeReplyObject(r)
            }
            var delivered = Set<String>()
            for _ in 0..<receivers {
                guard let r = subscriber.connection.readReply() else { throw RedisTestSetupError(description: subscriber.connection.errorText) }
                if case .array(let items) = RedisValue(r), items.count == 4, let ch = items[2].text { delivered.insert(ch) }
                freeReplyObject(r)
            }
            let ours = Set(channelList.filter { TopicPattern(pattern).matches($0) })
            if delivered != ours { result.disagreements.append("\(pattern): Redis \(delivered.sorted()), ours \(ours.sorted())") }
            _ = try subscriber.command(["PUNSUBSCRIBE", pattern])
            result.compared += channelList.count
            result.matched += ours.count
        }
        return result
    }
}

/// A tiny deterministic generator for the differential test.
struct Xorshift {
    var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}

/// A child process whose standard output is collected line by line.
final class LineProcess: @unchecked Sendable {
    private let child: ChildProcess
    private let collected = Mutex<[String]>([])

    init(_ executable: String, _ arguments: [String]) throws {
        child = try ChildProcess(executable, arguments, captureOutput: true)
        let fd = child.output!
        let thread = Thread { [self] in
            var pending: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                pending += buf[0..<n]
                while let nl = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[..<nl], as: UTF8.self)
                    pending.removeSubrange(...nl)
                    collected.withLock { $0.append(line) }
                }
            }
        }
        thread.start()
    }

    var lines: [String] { collected.withLock { $0 } }

    func terminate() { child.stop(grace: 2) }
}
