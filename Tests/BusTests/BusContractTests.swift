import Synchronization
import Testing
import TestSupport
@testable import Bus

/// The transports under test: every test in `BusContractTests` runs unchanged against both.
/// Each Redis bus gets its own channel prefix, so tests can share one server in parallel.
enum Transport: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory
    case redis

    var testDescription: String { rawValue }

    func makeBus() async throws -> any EventBus {
        switch self {
        case .memory: InMemoryBus()
        case .redis: try await RedisTestEnvironment.bus("contract")
        }
    }
}

func bar(_ symbol: String, _ i: Int) -> Bar {
    Bar(symbol: symbol, time: Timestamp(seconds: Int64(1_704_153_600 + i * 60)), open: 1, high: 2, low: 0.5, close: 1.5, volume: Double(i))
}

/// Collects `count` envelopes from a subscription (or fewer, if it ends first).
func collect(_ sub: Subscription, _ count: Int) async -> [Envelope] {
    var out: [Envelope] = []
    if count == 0 { return out }
    for await e in sub {
        out.append(e)
        if out.count == count { break }
    }
    return out
}

@Suite struct BusContractTests {
    @Test(arguments: Transport.allCases)
    func deliversTypedEventsWithEnvelopeMetadata(_ t: Transport) async throws {
        let bus = try await t.makeBus()
        let sub = try await bus.subscribe(to: Bar.self, "market.bar.*")
        let pub = Publisher(bus: bus, source: "test/md", clock: ManualClock(Timestamp(seconds: 42)))
        let cause = EventID(source: "test/origin", seq: 9)
        let id = try await pub.publish(bar("AAPL", 1), correlation: "AAPL@x", causation: cause)
        let got = try await withTimeout {
            var it = sub.makeAsyncIterator()
            return await it.next()
        }
        let d = try #require(got)
        #expect(d.event == bar("AAPL", 1))
        #expect(d.envelope.topic == "market.bar.AAPL")
        #expect(d.envelope.source == "test/md")
        #expect(d.envelope.seq == 1)
        #expect(d.envelope.id == id)
        #expect(d.envelope.published == Timestamp(seconds: 42))
        #expect(d.envelope.time == bar("AAPL", 1).time)
        #expect(d.envelope.correlation == "AAPL@x")
        #expect(d.envelope.causation == cause)
        await bus.shutdown()
    }

    @Test(arguments: Transport.allCases)
    func patternsSelectTopics(_ t: Transport) async throws {
        let bus = try await t.makeBus()
        let bars = try await bus.subscribe("market.bar.*")
        let aapl = try await bus.subscribe("*.AAPL")
        let signals = try await bus.subscribe("signal.*", "decision.?SFT")
        let pub = Publisher(bus: bus, source: "test/p")
        try await pub.publish(bar("AAPL", 1))
        try await pub.publish(bar("MSFT", 2))
        try await pub.publish(Vote(agent: "technical", symbol: "AAPL", time: .epoch, action: .buy, score: 1, confidence: 1, reason: "r"))
        try await pub.publish(Decision(symbol: "MSFT", time: .epoch, action: .hold, score: 0, reason: "r"))
        let (b, a, s) = try await withTimeout { (await collect(bars, 2), await collect(aapl, 2), await collect(signals, 2)) }
        #expect(b.map(\.topic) == ["market.bar.AAPL", "market.bar.MSFT"])
        #expect(a.map(\.topic) == ["market.bar.AAPL", "signal.technical.AAPL"])
        #expect(s.map(\.topic) == ["signal.technical.AAPL", "decision.MSFT"])
        await bus.shutdown()
    }

    /// A batch is published as if one by one: in order, with consecutive sequence numbers
    /// and one publish time, each run of a topic to its subscribers, types filtered, and
    /// what comes after the batch after it.
    @Test(arguments: Transport.allCases)
    func aBatchIsDeliveredInOrderAsIfOneByOne(_ t: Transport) async throws {
        let bus = try await t.makeBus()
        let all = try await bus.subscribe("*")
        let aapl = try await bus.subscribe("market.bar.AAPL")
        let votes = try await bus.subscribe(to: Vote.self, "*")
        let pub = Publisher(bus: bus, source: "test/p", clock: ManualClock(Timestamp(seconds: 7)))
        try await pub.publish(bar("MSFT", 0))
        let bars = [bar("AAPL", 1), bar("AAPL", 2), bar("MSFT", 3), bar("AAPL", 4)]
        let seqs = try await pub.publish(contentsOf: bars, correlation: "c")
        #expect(seqs == 2..<6)
        try await pub.publish(contentsOf: [Vote(agent: "risk", symbol: "AAPL", time: .epoch, action: .hold, score: 0, confidence: 0, reason: "calm")])
        #expect(try await pub.publish(contentsOf: [Bar]()).isEmpty)
        try await pub.publish(bar("AAPL", 5))
        let (a, b, v) = try await withTimeout { (await collect(all, 7), await collect(aapl, 4), await collect(votes.raw, 1)) }
        #expect(a.map(\.seq) == Array(1...7))
        #expect(a.map(\.topic) == ["market.bar.MSFT", "market.bar.AAPL", "market.bar.AAPL", "market.bar.MSFT", "market.bar.AAPL", "signal.risk.AAPL", "market.bar.AAPL"])
        #expect(a[1...4].compactMap { $0.event(as: Bar.self) } == bars)
        #expect(a[1...4].allSatisfy { $0.correlation == "c" && $0.published == Timestamp(seconds: 7) && $0.source == "test/p" })
        #expect(b.map(\.seq) == [2, 3, 5, 7])
        #expect(v.map(\.seq) == [6])
        #expect(bus.statistics().published >= 7)
        await bus.shutdown()
    }

    /// An invalid topic anywhere in a batch refuses all of it: nothing is delivered.
    @Test(arguments: Transport.allCases)
    func aBatchWithAnInvalidTopicIsRefusedWhole(_ t: Transport) async throws {
        let bus = try await t.makeBus()
        let all = try await bus.subscribe("*")
        let good = Envelope(bar("AAPL", 1), source: "test/p", seq: 1, published: .epoch)
        var bad = Envelope(bar("AAPL", 2), source: "test/p", seq: 2, published: .epoch)
        bad.topic = "market..bar"
        await #expect(throws: BusError.self) { try await bus.publish(contentsOf: [good, bad]) }
        try await bus.publish(contentsOf: [good])
        let got = try await withTimeout { await collect(all, 1) }
        #expect(got.map(\.seq) == [1])
        await bus.shutdown()
        #expect(await collect(all, .max).isEmpty, "the refused batch delivered something")
    }

    @Test(arguments: Transport.allCases)
    func typedSubscriptionsSkipOtherTypes(_ t: Transport) async throws {
        let bus = try await t.makeBus()
        let votes = try await bus.subscribe(to: Vote.self, "*")
        let pub = Publisher(bus: bus, source: "test/p")
        try await pub.publish(bar("AAPL", 1))
        try await pub.publish(Vote(agent: "risk", symbol: "AAPL", time: .epoch, action: .hold, score: 0, confidence: 0, reason: "calm"))
        let v = try await withTimeout {
            var it = votes.makeAsyncIterator()
            return await it.next()
        }
        #expect(v?.event.agent == "risk")
        #expect(votes.stats.accepted == 1)
        await bus.shutdown()
    }

    /// A literal topic and a wildcard over the same channel, each in its own subscription,
    /// and a subscriber on a second bus (another process, for Redis): everyone gets it once.
    @Test(arguments: Transport.allCases)
    func literalAndWildcardSubscriptionsBothReceive(_ t: Transport) async throws {
        let bus = try await t.makeBus()
        let other: any EventBus = t == .memory ? bus : try await RedisTestEnvironment.bus("contract") { $0.prefix = (bus as! RedisBus).configuration.prefix }
        let all = try await bus.subscribe(["*"], options: SubscriptionOptions(name: "all"))
        let finished = try await bus.subscribe(["system.finished"], options: SubscriptionOptions(name: "fin", types: [.runFinished]))
        let remote = try await other.subscribe(["system.finished"], options: SubscriptionOptions(name: "remote", types: [.runFinished]))
        let pub = Publisher(bus: bus, source: "test/p")
        try await pub.publish(RunFinished(time: .epoch, trades: 3, equity: 1, by: "portfolio"))
        for sub in [all, finished, remote] {
            let e = try await withTimeout {
                var it = sub.makeAsyncIterator()
                return await it.next()
            }
            #expect(e?.topic == "system.finished", "\(sub.name)")
        }
        await bus.shutdown()
        if t == .redis { await other.shutdown() }
    }

    @Test(arguments: Transport.allCases)
    func orderIsKeptPerPublisherAndFanOutIsExact(_ t: Transport) async throws {
        let bus = try await t.makeBus()
        let publishers = 4, events = 2_000, subscribers = 3
        var subs: [Subscription] = []
        for i in 0..<subscribers {
            subs.append(try await bus.subscribe(["market.bar.*"], options: SubscriptionOptions(name: "s\(i)", policy: .suspend(capacity: 64))))
        }
        let allSubs = subs
        let results = try await withTimeout {
            try await withThrowingTaskGroup(of: [Envelope]?.self) { group in
                for s in allSubs { group.addTask { await collect(s, publishers * events) } }
                for p in 0..<publishers {
                    group.addTask {
                        let pub = Publisher(bus: bus, source: "test/p\(p)")
                        for i in 0..<events { try await pub.publish(bar("S\(p % 2)", i)) }
                        return nil
                    }
                }
                var all: [[Envelope]] = []
                for try await r in group { if let r { all.append(r) } }
                return all
            }
        }
        #expect(results.count == subscribers)
        for received in results {
            #expect(received.count == publishers * events)
            var last: [String: UInt64] = [:]
            for e in received {
                #expect(e.seq == (last[e.source] ?? 0) + 1, "out of order from \(e.source)")
                last[e.source] = e.seq
            }
            #expect(last.count == publishers)
        }
        await bus.shutdown()
    }

    @Test(arguments: Transport.allCases)
    func unsubscribeDeliversWhatWasQueuedThenEnds(_ t: Transport) async throws {
        let bus = try await t.makeBus()
        let sub = try await bus.subscribe("market.bar.*")
        let other = try await bus.subscribe("market.bar.*")
        let pub = Publisher(bus: bus, source: "test/p")
        for i in 0..<3 { try await pub.publish(bar("X", i)) }
        _ = try await withTimeout { await collect(other, 3) }
        sub.cancel()
        try await pub.publish(bar("X", 3))
        let got = try await withTimeout { await collect(sub, 10) }
        #expect(got.map(\.seq) == [1, 2, 3])
        await bus.shutdown()
    }

    @Test(arguments: Transport.allCases)
    func shutdownDrainsAcceptedEventsThenEndsStreams(_ t: Transport) async throws {
        let bus = try await t.makeBus()
        let sub = try await bus.subscribe("market.bar.*")
        let pub = Publisher(bus: bus, source: "test/p")
        for i in 0..<100 { try await pub.publish(bar("X", i)) }
        let consumer = Task { await collect(sub, .max) }
        await bus.shutdown()
        let got = try await withTimeout { await consumer.value }
        #expect(got.count == 100)
        await #expect(throws: BusError.closed) { try await pub.publish(bar("X", 100)) }
    }

    @Test(arguments: Transport.allCases)
    func cancellingAWaitingConsumerEndsItsStream(_ t: Transport) async throws {
        let bus = try await t.makeBus()
        let sub = try await bus.subscribe("x.*")
        let consumer = Task { await collect(sub, .max) }
        try await Task.sleep(for: .milliseconds(20))
        consumer.cancel()
        let got = try await withTimeout { await consumer.value }
        #expect(got.isEmpty)
        await bus.shutdown()
    }

    @Test(arguments: Transport.allCases)
    func withoutEndsOnTaskCancellationACancelledConsumerEndsAtItsNextEvent(_ t: Transport) async throws {
        let bus = try await t.makeBus()
        let sub = try await bus.subscribe(["x.*"], options: SubscriptionOptions(endsOnTaskCancellation: false))
        let ended = Atomic<Bool>(false)
        let consumer = Task {
            let got = await collect(sub, .max)
            ended.store(true, ordering: .relaxed)
            return got
        }
        try await Task.sleep(for: .milliseconds(20))
        consumer.cancel()
        try await Task.sleep(for: .milliseconds(100))
        let endedBeforeAnEvent = ended.load(ordering: .relaxed)
        #expect(!endedBeforeAnEvent, "the cancelled consumer keeps waiting")
        try await Publisher(bus: bus, source: "test/p").publish(bar("X", 1), topic: "x.y")
        let got = try await withTimeout { await consumer.value }
        #expect(got.isEmpty)
        await bus.shutdown()
    }

    @Test(arguments: Transport.allCases)
    func invalidTopicsAndPatternsAreRefused(_ t: Transport) async throws {
        let bus = try await t.makeBus()
        let pub = Publisher(bus: bus, source: "test/p")
        await #expect(throws: BusError.self) { try await pub.publish(bar("A", 1), topic: "market..bar") }
        // A refused event is not counted as published.
        #expect(bus.statistics().published == 0)
        await #expect(throws: BusError.self) { _ = try await bus.subscribe([String](), options: SubscriptionOptions()) }
        await #expect(throws: BusError.self) { _ = try await bus.subscribe([""], options: SubscriptionOptions()) }
        await bus.shutdown()
    }
}
