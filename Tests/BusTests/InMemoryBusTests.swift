import Synchronization
import Testing
import TestSupport
@testable import Bus

/// Overflow policies, back-pressure and quiescence: in-memory specifics (a Redis server's
/// own buffers sit between publisher and subscriber there).
@Suite struct InMemoryBusTests {
    @Test func suspendReallySuspendsAndLosesNothing() async throws {
        let bus = InMemoryBus()
        let sub = try await bus.subscribe(["market.bar.*"], options: SubscriptionOptions(name: "slow", policy: .suspend(capacity: 4)))
        let pub = Publisher(bus: bus, source: "test/p")
        let published = Atomic<Int>(0)
        let producer = Task {
            for i in 0..<10 {
                try await pub.publish(bar("X", i))
                published.add(1, ordering: .relaxed)
            }
        }
        // Wait until the publisher is parked on the full queue.
        try await withTimeout {
            while sub.stats.blockedPublishers == 0 { try await Task.sleep(for: .milliseconds(1)) }
        }
        #expect(published.load(ordering: .relaxed) == 4)
        #expect(sub.stats.depth == 4)
        #expect(sub.stats.dropped == 0)
        let got = try await withTimeout { await collect(sub, 10) }
        try await withTimeout { try await producer.value }
        #expect(got.map(\.seq) == Array(1...10))
        #expect(sub.stats.dropped == 0)
        await bus.shutdown()
    }

    @Test func dropNewestCountsExactly() async throws {
        let bus = InMemoryBus()
        let sub = try await bus.subscribe(["x.*"], options: SubscriptionOptions(policy: .dropNewest(capacity: 4)))
        let pub = Publisher(bus: bus, source: "test/p")
        for i in 0..<10 { try await pub.publish(bar("X", i), topic: "x.y") }
        #expect(sub.stats.dropped == 6)
        #expect(sub.stats.accepted == 4)
        let got = try await withTimeout { await collect(sub, 4) }
        #expect(got.map(\.seq) == [1, 2, 3, 4])
        await bus.shutdown()
    }

    @Test func dropOldestCountsExactly() async throws {
        let bus = InMemoryBus()
        let sub = try await bus.subscribe(["x.*"], options: SubscriptionOptions(policy: .dropOldest(capacity: 4)))
        let pub = Publisher(bus: bus, source: "test/p")
        for i in 0..<10 { try await pub.publish(bar("X", i), topic: "x.y") }
        #expect(sub.stats.dropped == 6)
        let got = try await withTimeout { await collect(sub, 4) }
        #expect(got.map(\.seq) == [7, 8, 9, 10])
        let stats = bus.statistics()
        #expect(stats.dropped == 6)
        await bus.shutdown()
    }

    /// A batch keeps each policy's promise: `suspend` waits for room in the middle of the
    /// batch and loses nothing; the drop policies count exactly what they drop.
    @Test(arguments: ["suspend", "dropNewest", "dropOldest"])
    func aBatchLargerThanTheQueueFollowsThePolicy(_ policy: String) async throws {
        let bus = InMemoryBus()
        let p: OverflowPolicy = switch policy {
        case "suspend": .suspend(capacity: 4)
        case "dropNewest": .dropNewest(capacity: 4)
        default: .dropOldest(capacity: 4)
        }
        let sub = try await bus.subscribe(["market.bar.*"], options: SubscriptionOptions(policy: p))
        let pub = Publisher(bus: bus, source: "test/p")
        let batch = (1...10).map { bar("X", $0) }
        let producer = Task { try await pub.publish(contentsOf: batch) }
        if policy == "suspend" {
            try await eventually("the batch's publisher waits for room") { sub.stats.blockedPublishers == 1 }
            #expect(sub.stats.depth == 4)
            let got = try await withTimeout { await collect(sub, 10) }
            #expect(got.map(\.seq) == Array(1...10))
            #expect(sub.stats.dropped == 0)
        } else {
            try await withTimeout { _ = try await producer.value }
            #expect(sub.stats.dropped == 6 && sub.stats.accepted == (policy == "dropNewest" ? 4 : 10))
            let got = try await withTimeout { await collect(sub, 4) }
            #expect(got.map(\.seq) == (policy == "dropNewest" ? [1, 2, 3, 4] : [7, 8, 9, 10]))
        }
        try await withTimeout { _ = try await producer.value }
        #expect(bus.statistics().published == 10)
        await bus.shutdown()
    }

    @Test func shutdownReleasesBlockedPublishersWithAnError() async throws {
        let bus = InMemoryBus()
        let sub = try await bus.subscribe(["x.*"], options: SubscriptionOptions(policy: .suspend(capacity: 1)))
        let pub = Publisher(bus: bus, source: "test/p")
        try await pub.publish(bar("X", 0), topic: "x.y")
        let blocked = Task { try await pub.publish(bar("X", 1), topic: "x.y") }
        try await withTimeout { while sub.stats.blockedPublishers == 0 { try await Task.sleep(for: .milliseconds(1)) } }
        let consumer = Task { await collect(sub, .max) }
        await bus.shutdown()
        await #expect(throws: BusError.closed) { try await blocked.value }
        let got = try await withTimeout { await consumer.value }
        #expect(got.map(\.seq) == [1])
    }

    @Test func cancellingABlockedPublisherThrowsCancelled() async throws {
        let bus = InMemoryBus()
        let sub = try await bus.subscribe(["x.*"], options: SubscriptionOptions(policy: .suspend(capacity: 1)))
        let pub = Publisher(bus: bus, source: "test/p")
        try await pub.publish(bar("X", 0), topic: "x.y")
        let blocked = Task { _ = try await pub.publish(bar("X", 1), topic: "x.y") }
        try await withTimeout { while sub.stats.blockedPublishers == 0 { try await Task.sleep(for: .milliseconds(1)) } }
        blocked.cancel()
        do {
            try await withTimeout { try await blocked.value }
            Issue.record("expected a cancellation error")
        } catch let e as BusError {
            #expect(e.code == .cancelled)
        }
        #expect(sub.stats.blockedPublishers == 0)
        await bus.shutdown()
    }

    @Test func unsubscribeReleasesBlockedPublishers() async throws {
        let bus = InMemoryBus()
        let sub = try await bus.subscribe(["x.*"], options: SubscriptionOptions(policy: .suspend(capacity: 1)))
        let pub = Publisher(bus: bus, source: "test/p")
        try await pub.publish(bar("X", 0), topic: "x.y")
        let blocked = Task { try await pub.publish(bar("X", 1), topic: "x.y") }
        try await withTimeout { while sub.stats.blockedPublishers == 0 { try await Task.sleep(for: .milliseconds(1)) } }
        sub.cancel()
        _ = try await withTimeout { try await blocked.value }
        await bus.shutdown()
    }

    @Test func cancellingTheConsumerEndsItsStream() async throws {
        let bus = InMemoryBus()
        let sub = try await bus.subscribe("x.*")
        let consumer = Task { await collect(sub, .max) }
        try await Task.sleep(for: .milliseconds(20))
        consumer.cancel()
        let got = try await withTimeout { await consumer.value }
        #expect(got.isEmpty)
        await bus.shutdown()
    }

    @Test func waitUntilIdleMeansEverythingWasHandled() async throws {
        let bus = InMemoryBus()
        let first = try await bus.subscribe("a.*")
        let second = try await bus.subscribe("b.*")
        let relay = Publisher(bus: bus, source: "test/relay")
        let handled = Atomic<Int>(0)
        // a.* → relays to b.* → counted. Idle means both hops are done.
        let t1 = Task {
            for await e in first {
                _ = try? await relay.publish(payload: e.payload, topic: "b.x", time: e.time)
            }
        }
        let t2 = Task {
            for await _ in second {
                try? await Task.sleep(for: .microseconds(50))
                handled.add(1, ordering: .relaxed)
            }
        }
        let pub = Publisher(bus: bus, source: "test/p")
        // Quiescence counts a subscription once its consumer has started: make sure both
        // have (one event through both hops) before the burst, or a slow machine sees an
        // "idle" bus whose consumers have not begun.
        try await pub.publish(bar("X", 0), topic: "a.x")
        try await withTimeout { while handled.load(ordering: .relaxed) < 1 { try await Task.sleep(for: .milliseconds(1)) } }
        for i in 1..<200 { try await pub.publish(bar("X", i), topic: "a.x") }
        try await withTimeout { await bus.waitUntilIdle() }
        #expect(handled.load(ordering: .relaxed) == 200)
        await bus.shutdown()
        _ = await (t1.value, t2.value)
    }

    @Test func manyPublishersAndSubscribersUnderConcurrency() async throws {
        let bus = InMemoryBus()
        let subscribers = 6, publishers = 6, events = 5_000
        var subs: [Subscription] = []
        for i in 0..<subscribers {
            let policy: OverflowPolicy = i % 2 == 0 ? .suspend(capacity: 16) : .suspend(capacity: 4096)
            subs.append(try await bus.subscribe(["m.*"], options: SubscriptionOptions(policy: policy)))
        }
        let allSubs = subs
        let counts = try await withTimeout {
            try await withThrowingTaskGroup(of: Int?.self) { group in
                for s in allSubs { group.addTask { await collect(s, publishers * events).count } }
                for p in 0..<publishers {
                    group.addTask {
                        let pub = Publisher(bus: bus, source: "p\(p)")
                        for i in 0..<events { try await pub.publish(bar("X", i), topic: "m.x") }
                        return nil
                    }
                }
                var counts: [Int] = []
                for try await c in group { if let c { counts.append(c) } }
                return counts
            }
        }
        #expect(counts == Array(repeating: publishers * events, count: subscribers))
        #expect(bus.statistics().published == UInt64(publishers * events))
        await bus.shutdown()
    }
}
