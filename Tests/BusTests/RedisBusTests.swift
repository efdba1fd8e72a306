import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Bus

/// Behaviour specific to the Redis transport, against real `redis-server`s: malformed
/// input, routing of overlapping patterns, gap detection, publisher restarts, limits.
/// (The shared contract is in `BusContractTests`; failures of the server are in
/// `RedisResilienceTests`.)
@Suite struct RedisBusTests {
    // MARK: malformed input

    struct BadMessage: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let reason: String
        var testDescription: String { name }
    }

    static let limit = 4096

    static let badMessages: [BadMessage] = [
        BadMessage(name: "json", bytes: Array(#"{"type":"bar","data":{"symbol":"A""#.utf8), reason: "unterminated object"),
        BadMessage(name: "notobject", bytes: Array("[1,2,3]".utf8), reason: "message is not a JSON object (at byte 0)"),
        BadMessage(name: "empty", bytes: [], reason: "empty message"),
        BadMessage(name: "text", bytes: Array("hello world".utf8), reason: "message is not a JSON object (at byte 0)"),
        BadMessage(
            name: "schema",
            bytes: Array(#"{"schema":2,"type":"bar","data":{"symbol":"A","time":"2024-01-02","open":1,"high":1,"low":1,"close":1,"volume":1}}"#.utf8),
            reason: "schema version 2 is newer than this build understands (1)"),
        BadMessage(
            name: "missing",
            bytes: Array(#"{"type":"bar","data":{"symbol":"A","time":"2024-01-02","open":1,"high":1,"low":1,"volume":1}}"#.utf8),
            reason: #"bar: missing field "close" in bar"#),
        BadMessage(name: "notype", bytes: Array(#"{"data":{}}"#.utf8), reason: #"missing field "type""#),
        BadMessage(
            name: "utf8",
            bytes: Array(#"{"type":"news","data":{"id":"n","time":"2024-01-02","symbols":[],"headline":""#.utf8) + [0xC3, 0x28] + Array(#"","source":"s"}}"#.utf8),
            reason: "string is not valid UTF-8"),
        BadMessage(
            name: "oversized",
            bytes: Array(#"{"type":"blob","data":{"pad":""#.utf8) + Array(repeating: 0x61, count: limit) + Array(#""}}"#.utf8),
            reason: "message of \(limit + 33) bytes is over the \(limit)-byte limit (maxMessageBytes)"),
    ]

    @Test func malformedMessagesAreCountedLoggedOncePerChannelAndDropped() async throws {
        let log = LogCollector()
        let bus = try await RedisTestEnvironment.bus("malformed", log: log) { $0.maxMessageBytes = RedisBusTests.limit }
        let raw = try await bus.subscribe("in.*", name: "raw")
        let bars = try await bus.subscribe(to: Bar.self, "in.*", name: "bars")
        let redis = try RawRedis(bus.configuration.url.urlString)
        let prefix = bus.configuration.prefix
        for bad in RedisBusTests.badMessages {
            #expect(try redis.publish(prefix + "in." + bad.name, bad.bytes) == 1)
        }
        // A second bad message on an already reported channel is counted, not logged again.
        try redis.publish(prefix + "in.json", Array("{".utf8))
        // An unknown type is not malformed: raw subscribers get it, typed ones do not.
        try redis.publish(prefix + "in.unknown", Array(#"{"type":"quote","data":{"bid":1.5,"ask":1.6}}"#.utf8))
        let good = Envelope(bar("AAPL", 1), source: "test/md", seq: 1, published: Timestamp(seconds: 9), topic: "in.good")
        try redis.publish(prefix + "in.good", EventCodec.encode(good))

        let got = try await withTimeout { await collect(raw, 2) }
        #expect(got.count == 2)
        #expect(got.first?.payload == .raw(RawEvent(type: "quote", json: #"{"bid":1.5,"ask":1.6}"#)))
        #expect(got.first?.topic == "in.unknown")
        #expect(got.first?.source == "external")
        #expect(got.last == good)
        let typed = try await withTimeout {
            var it = bars.makeAsyncIterator()
            return await it.next()
        }
        #expect(typed?.event == bar("AAPL", 1))

        let malformed = UInt64(RedisBusTests.badMessages.count + 1)
        #expect(raw.stats.malformed == malformed)
        #expect(bars.stats.malformed == malformed)
        #expect(bars.stats.accepted == 1)
        #expect(bus.redisStatistics().malformed == malformed)

        let lines = log.matching("malformed message")
        #expect(lines.count == RedisBusTests.badMessages.count, "one line per channel: \(lines)")
        #expect(log.records.filter { $0.message.hasPrefix("malformed") }.allSatisfy { $0.level == "warning" })
        for bad in RedisBusTests.badMessages {
            let expected = try #require(expectedError(bad.bytes))
            #expect(expected.description.hasPrefix(bad.reason), "\(bad.name): \(expected)")
            let line = "malformed message on channel \"\(prefix)in.\(bad.name)\" dropped: \(expected) (further malformed messages on this channel are counted, not logged)"
            #expect(lines.filter { $0 == line }.count == 1, "missing or repeated: \(line)")
        }
        await bus.shutdown()
    }

    /// The reason the subscriber gives: the size check, else the codec's own error.
    func expectedError(_ bytes: [UInt8]) -> WireError? {
        if bytes.count > RedisBusTests.limit {
            return WireError("message of \(bytes.count) bytes is over the \(RedisBusTests.limit)-byte limit (maxMessageBytes)")
        }
        do {
            _ = try EventCodec.decode(bytes, channel: "in.x", receivedAt: .epoch)
            return nil
        } catch {
            return error
        }
    }

    @Test func publishRefusesAnEventOverTheSizeLimit() async throws {
        let bus = try await RedisTestEnvironment.bus("big") { $0.maxMessageBytes = 1024 }
        let sub = try await bus.subscribe("market.news.*")
        let pub = Publisher(bus: bus, source: "test/news")
        let body = String(repeating: "x", count: 2000)
        let news = NewsItem(id: "n1", time: .epoch, symbols: ["AAPL"], headline: "h", body: body, source: "wire", url: nil)
        let envelope = Envelope(news, source: "test/news", seq: 1, published: .epoch)
        let size = EventCodec.encode(envelope).count + #","topicSeq":1"#.utf8.count
        do {
            try await bus.publish(envelope)
            Issue.record("expected tooLarge")
        } catch {
            #expect(error == BusError(.tooLarge, "news event on market.news.AAPL is \(size) bytes, over the 1024-byte limit (maxMessageBytes)"))
        }
        // The refused event did not use up a topic sequence number: no false gap follows.
        let small = NewsItem(id: "n2", time: .epoch, symbols: ["AAPL"], headline: "h", body: nil, source: "wire", url: nil)
        try await pub.publish(small)
        try await pub.publish(small)
        let got = try await withTimeout { await collect(sub, 2) }
        #expect(got.map { $0.event(as: NewsItem.self)?.id } == ["n2", "n2"])
        #expect(sub.stats.gaps == 0)
        await bus.shutdown()
    }

    /// A batch far larger than the publish queue: the publisher waits for room in the
    /// middle (many times) and Redis gets every event, in order, with no gap.
    @Test func aBatchLargerThanThePublishQueueArrivesWholeAndInOrder() async throws {
        let bus = try await RedisTestEnvironment.bus("batch") { $0.publishQueueCapacity = 4 }
        let sub = try await bus.subscribe("market.bar.*")
        let pub = Publisher(bus: bus, source: "test/p")
        let batch = (1...300).map { bar($0 % 3 == 0 ? "MSFT" : "AAPL", $0) }
        let seqs = try await pub.publish(contentsOf: batch)
        let got = try await withTimeout { await collect(sub, 300) }
        #expect(got.map(\.seq) == Array(seqs))
        #expect(got.compactMap { $0.event(as: Bar.self) } == batch)
        #expect(sub.stats.gaps == 0)
        #expect(bus.redisStatistics().accepted == 300)
        await bus.shutdown()
    }

    /// Events published one by one while the writer sleeps are written by `publish` itself,
    /// several at once before their replies are read, and then through the writer's queue:
    /// every event arrives in order, and every reply is counted (none left unconfirmed),
    /// round after round.
    @Test func eventsWrittenDirectlyAndQueuedAreAllAcknowledgedInOrder() async throws {
        let bus = try await RedisTestEnvironment.bus("direct")
        let sub = try await bus.subscribe("market.bar.*")
        let pub = Publisher(bus: bus, source: "test/p")
        var sent: [Bar] = []
        for round in 0..<5 {
            // The writer is idle again (every reply read) before each round.
            let earlier = UInt64(sent.count)
            try await eventually("round \(round): every earlier event acknowledged") {
                bus.redisStatistics().acknowledged == earlier
            }
            for i in 0..<12 {
                let b = bar("AAPL", round * 12 + i + 1)
                try await pub.publish(b)
                sent.append(b)
            }
        }
        let count = sent.count
        let got = try await withTimeout { await collect(sub, count) }
        #expect(got.compactMap { $0.event(as: Bar.self) } == sent)
        #expect(sub.stats.gaps == 0)
        let total = UInt64(count)
        try await eventually("all acknowledged") { bus.redisStatistics().acknowledged == total }
        await bus.shutdown()
        let stats = bus.redisStatistics()
        #expect(stats.acknowledged == UInt64(sent.count))
        #expect(stats.unconfirmed == 0)
    }

    // MARK: routing

    @Test func overlappingPatternsDeliverEachEventOnce() async throws {
        let bus = try await RedisTestEnvironment.bus("overlap")
        let many = try await bus.subscribe("market.*", "*.AAPL", "market.bar.AAPL", "market.*", name: "many")
        let all = try await bus.subscribe("*", name: "all")
        let one = try await bus.subscribe("signal.*.AAPL", name: "one")
        #expect(bus.redisStatistics().patterns == 5)
        let pub = Publisher(bus: bus, source: "test/p")
        try await pub.publish(bar("AAPL", 1))
        try await pub.publish(bar("MSFT", 2))
        try await pub.publish(Vote(agent: "technical", symbol: "AAPL", time: .epoch, action: .buy, score: 1, confidence: 1, reason: "r"))
        try await pub.publish(Decision(symbol: "MSFT", time: .epoch, action: .hold, score: 0, reason: "r"))
        let first = try await withTimeout { await collect(one, 1) }
        #expect(first.map(\.seq) == [3])
        one.cancel()
        try await eventually("the pattern only `one` used is unsubscribed") { bus.redisStatistics().patterns == 4 }
        let (m, a) = try await withTimeout { () async -> ([Envelope], [Envelope]) in
            let consumers = (Task { await collect(many, .max) }, Task { await collect(all, .max) })
            await bus.shutdown()
            return (await consumers.0.value, await consumers.1.value)
        }
        #expect(m.map(\.seq) == [1, 2, 3])
        #expect(a.map(\.seq) == [1, 2, 3, 4])
        #expect(await collect(one, .max).isEmpty)
        #expect(many.stats.gaps == 0 && all.stats.gaps == 0)
    }

    @Test func subscriptionsOfTwoDeploymentsOnOneServerAreIsolatedByPrefix() async throws {
        let blue = try await RedisTestEnvironment.bus("blue")
        let green = try await RedisTestEnvironment.bus("green")
        let blueSub = try await blue.subscribe("*")
        let greenSub = try await green.subscribe("*")
        try await Publisher(bus: blue, source: "blue/p").publish(bar("B", 1))
        try await Publisher(bus: green, source: "green/p").publish(bar("G", 1))
        let b = try await withTimeout { await collect(blueSub, 1) }
        let g = try await withTimeout { await collect(greenSub, 1) }
        #expect(b.map(\.source) == ["blue/p"])
        #expect(g.map(\.source) == ["green/p"])
        await blue.shutdown()
        await green.shutdown()
        #expect(await collect(blueSub, .max).isEmpty)
    }

    // MARK: gaps

    @Test func sequenceGapsCountPerStreamAndAPublisherRestartIsNotAGap() async throws {
        let bus = try await RedisTestEnvironment.bus("restart")
        let prefix = bus.configuration.prefix
        let sub = try await bus.subscribe("feed.*")
        // A filtered subscription sees only some of the publisher's topics: no false gaps.
        let aOnly = try await bus.subscribe("feed.a")

        // First run of a publisher: its own bus (as another process would have).
        let first = try await RedisBus.connect(bus.configuration)
        let p1 = Publisher(bus: first, source: "n/md")
        for i in 1...6 { try await p1.publish(bar("X", i), topic: i % 2 == 0 ? "feed.b" : "feed.a") }
        await first.shutdown()
        // The process restarts: seq and topicSeq start at 1 again.
        let second = try await RedisBus.connect(bus.configuration)
        let p2 = Publisher(bus: second, source: "n/md")
        for i in 1...2 { try await p2.publish(bar("X", i), topic: "feed.a") }
        await second.shutdown()
        let got = try await withTimeout { await collect(sub, 8) }
        #expect(got.map(\.seq) == [1, 2, 3, 4, 5, 6, 1, 2])
        #expect(sub.stats.gaps == 0)
        let a = try await withTimeout { await collect(aOnly, 5) }
        #expect(a.map(\.seq) == [1, 3, 5, 1, 2])
        #expect(aOnly.stats.gaps == 0)

        // Hand-made messages: topicSeq 3 → 6 on one stream misses 4 and 5; a restart that
        // starts at 3 missed 1 and 2 of the new run.
        let redis = try RawRedis(bus.configuration.url.urlString)
        func message(_ seq: Int, _ topicSeq: Int?) -> [UInt8] {
            let tail = topicSeq.map { #","topicSeq":\#($0)"# } ?? ""
            return Array(#"{"type":"bar","source":"py/feed","seq":\#(seq),"data":{"symbol":"Z","time":"2024-01-02","open":1,"high":1,"low":1,"close":1,"volume":1}\#(tail)}"#.utf8)
        }
        for (seq, ts) in [(1, 1), (2, 2), (3, 3), (10, 6), (11, 3)] { try redis.publish(prefix + "feed.z", message(seq, ts)) }
        // Without topicSeq, the per-source seq is used: 1, 2, 5 misses 3 and 4.
        for seq in [1, 2, 5] { try redis.publish(prefix + "feed.q", message(seq, nil)) }
        let more = try await withTimeout { await collect(sub, 8) }
        #expect(more.map(\.seq) == [1, 2, 3, 10, 11, 1, 2, 5])
        #expect(sub.stats.gaps == 2 + 2 + 2)
        // A topicSeq not written last (another publisher's JSON, with spaces) counts too:
        // 1 then 4 misses 2 and 3.
        for ts in [1, 4] {
            let text = #"{"type": "bar", "source": "py/other", "topicSeq": \#(ts), "data": {"symbol": "Z", "time": "2024-01-02", "open": 1, "high": 1, "low": 1, "close": 1, "volume": 1}}"#
            try redis.publish(prefix + "feed.y", Array(text.utf8))
        }
        _ = try await withTimeout { await collect(sub, 2) }
        #expect(sub.stats.gaps == 2 + 2 + 2 + 2)
        #expect(aOnly.stats.gaps == 0)
        await bus.shutdown()
    }
}

/// Publishes `feed.a`/`feed.b` alternately from one source until stopped; remembers the
/// seq of each topic it published.
final class StreamPublisher: Sendable {
    let publisher: Publisher
    private let state = Mutex<(stop: Bool, seqs: [String: [UInt64]])>((false, [:]))
    private let task = Mutex<Task<Void, any Error>?>(nil)

    init(bus: any EventBus, source: String) {
        publisher = Publisher(bus: bus, source: source)
    }

    func start(burst: Int = 20, pause: Duration = .milliseconds(1)) {
        let t = Task { [self] in
            var i = 0
            while !state.withLock({ $0.stop }) {
                for _ in 0..<burst {
                    try await publishOne(i)
                    i += 1
                }
                try await Task.sleep(for: pause)
            }
        }
        task.withLock { $0 = t }
    }

    func publishOne(_ i: Int) async throws {
        let topic = i % 2 == 0 ? "feed.a" : "feed.b"
        let id = try await publisher.publish(bar("S", i), topic: topic)
        state.withLock { $0.seqs[topic, default: []].append(id.seq) }
    }

    /// Stops, then publishes one more event on each topic (with the subscriber connected,
    /// they arrive, and reveal any gap before them).
    func stop() async throws {
        state.withLock { $0.stop = true }
        try await task.withLock { $0 }?.value
        try await publishOne(0)
        try await publishOne(1)
    }

    var lastSeq: UInt64 { publisher.lastSequence }
    func seqs(_ topic: String) -> [UInt64] { state.withLock { $0.seqs[topic] ?? [] } }
}

/// Collects a subscription in the background.
final class Collector: Sendable {
    private let received = Mutex<[Envelope]>([])

    init(_ sub: Subscription) {
        Task { [self] in
            for await e in sub { received.withLock { $0.append(e) } }
        }
    }

    var all: [Envelope] { received.withLock { $0 } }
    var count: Int { received.withLock { $0.count } }
    func contains(seq: UInt64) -> Bool { received.withLock { $0.contains { $0.seq == seq } } }
}
