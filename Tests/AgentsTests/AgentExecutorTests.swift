import Synchronization
import Testing
import TestSupport
@testable import Agents
import Bus

actor Counter {
    nonisolated let unownedExecutor: UnownedSerialExecutor
    var value = 0
    init(_ e: AgentExecutor) { unownedExecutor = e.asUnownedSerialExecutor() }
    func bump() -> Int {
        value += 1
        return value
    }
}

@Suite struct AgentExecutorTests {
    @Test func actorsSharingTheExecutorRunSerially() async {
        let e = AgentExecutor(name: "test")
        let a = Counter(e), b = Counter(e)
        await withTaskGroup(of: Void.self) { g in
            for _ in 0..<100 {
                g.addTask { _ = await a.bump() }
                g.addTask { _ = await b.bump() }
            }
        }
        #expect(await a.value == 100)
        #expect(await b.value == 100)
        e.stop()
    }
}

/// Publishes from a task of its own, isolated to an actor on the executor (not a handler).
actor LoopSidePublisher {
    nonisolated let unownedExecutor: UnownedSerialExecutor
    init(_ e: AgentExecutor) { unownedExecutor = e.asUnownedSerialExecutor() }
    func publish(_ p: Publisher, count: Int) async throws {
        for i in 1...count {
            try await p.publish(Bar(symbol: "T", time: Timestamp(seconds: Int64(i)), open: 1, high: 1, low: 1, close: 1, volume: Double(i)))
        }
    }
}

/// What a handler saw, written only on the loop's thread.
final class Seen: @unchecked Sendable {
    var volumes: [Double] = []
}

@Suite struct EventLoopBackPressureTests {
    /// A task on the loop's executor that is not one of its handlers waits for room like
    /// any publisher: the queue stays bounded and nothing is lost or reordered.
    @Test func aPublisherOnTheLoopsExecutorWaitsForRoom() async throws {
        let e = AgentExecutor(name: "test-bp")
        defer { e.stop() }
        let bus = InMemoryBus()
        let sub = try await bus.subscribe(["market.bar.*"], options: SubscriptionOptions(name: "s", policy: .suspend(capacity: 8), endsOnTaskCancellation: false))
        let seen = Seen()
        let consumer = Task { await sub.deliver(on: e.eventLoop) { _, env in seen.volumes.append(env.event(as: Bar.self)!.volume) } }
        try await LoopSidePublisher(e).publish(Publisher(bus: bus, source: "t/p"), count: 1000)
        sub.cancel()
        try await withTimeout { await consumer.value }
        #expect(seen.volumes == (1...1000).map(Double.init))
        #expect(sub.stats.maxDepth <= 8)
        #expect(sub.stats.delivered == 1000)
    }

    /// A loop whose handler of `market.bar.IN` echoes `count` bars to `market.bar.OUT`, a
    /// subscription with room for 2 whose consumer (on the same loop) starts when the
    /// test says.
    struct EchoFixture {
        let executor: AgentExecutor
        let bus = InMemoryBus()
        let out: Subscription
        final class Count: Sendable { let value = Atomic<Int>(0) }
        /// Echoes published so far.
        let published = Count()
        let seen = Seen()
        let echoing: Task<Void, Never>
        let trigger: Subscription

        init(_ name: String, count: Int) async throws {
            executor = AgentExecutor(name: name)
            trigger = try await bus.subscribe(["market.bar.IN"], options: SubscriptionOptions(name: "in", endsOnTaskCancellation: false))
            out = try await bus.subscribe(["market.bar.OUT"], options: SubscriptionOptions(name: "out", policy: .suspend(capacity: 2), endsOnTaskCancellation: false))
            let echo = Publisher(bus: bus, source: "t/echo")
            let (trigger, loop, published) = (trigger, executor.eventLoop, published)
            echoing = Task {
                await trigger.deliver(on: loop) { _, _ in
                    for i in 1...count {
                        _ = try? await echo.publish(EventLoopBatchTests.bar(i), topic: "market.bar.OUT")
                        published.value.add(1, ordering: .relaxed)
                    }
                }
            }
        }

        /// Starts `out`'s consumer on the loop.
        func consume() -> Task<Void, Never> {
            let seen = seen
            return Task { await out.deliver(on: executor.eventLoop) { _, env in seen.volumes.append(env.event(as: Bar.self)!.volume) } }
        }

        func fire() async throws {
            try await Publisher(bus: bus, source: "t/in").publish(EventLoopBatchTests.bar(1), topic: "market.bar.IN")
        }

        /// Waits (bounded) for `n` deliveries, then ends both subscriptions and their tasks.
        func finish(after n: Int, _ consumer: Task<Void, Never>) async throws {
            _ = await eventually { out.stats.delivered >= UInt64(n) }
            trigger.cancel()
            out.cancel()
            try await withTimeout { await echoing.value }
            try await withTimeout { await consumer.value }
            executor.stop()
        }
    }

    /// A handler cannot wait for its own loop: publishing into a full mailbox of that loop
    /// queues beyond the capacity instead of deadlocking, and everything arrives.
    @Test func aHandlerPublishingIntoItsOwnLoopDoesNotDeadlock() async throws {
        let f = try await EchoFixture("test-self", count: 20)
        let consumer = f.consume()
        try await f.fire()
        // Until the echoes are through (the consumers attach asynchronously, so quiescence
        // is no proof here), with a deadline that a deadlock would hit.
        try await f.finish(after: 20, consumer)
        #expect(f.seen.volumes == (1...20).map(Double.init))
        #expect(f.out.stats.maxDepth > 2)
    }

    /// Nor does a handler wait for a full mailbox that nobody consumes yet (its consumer
    /// might be about to attach to this very loop): it queues beyond the capacity, and the
    /// consumer that attaches later gets everything in order.
    @Test func aHandlerDoesNotWaitForAMailboxNobodyConsumesYet() async throws {
        let f = try await EchoFixture("test-unattached", count: 5)
        try await f.fire()
        #expect(await eventually { f.published.value.load(ordering: .relaxed) == 5 }, "the handler waited for a mailbox nobody consumes")
        #expect(f.out.stats.depth == 5 && f.out.stats.blockedPublishers == 0)
        try await f.finish(after: 5, f.consume())
        #expect(f.seen.volumes == [1, 2, 3, 4, 5])
    }
}

/// What a batch handler saw, written only on the loop's thread.
final class SeenBatches: @unchecked Sendable {
    var volumes: [Double] = []
    var calls = 0
    var largest = 0
}

@Suite struct EventLoopBatchTests {
    static func bar(_ i: Int) -> Bar {
        Bar(symbol: "T", time: Timestamp(seconds: Int64(i)), open: 1, high: 1, low: 1, close: 1, volume: Double(i))
    }

    /// An executor, a bus, a subscription to `market.bar.*` on it, and `queued` bars
    /// (volumes 1…queued) already waiting in the subscription's queue.
    struct Fixture {
        let executor = AgentExecutor(name: "test-batch")
        let bus = InMemoryBus()
        let sub: Subscription
        let publisher: Publisher

        init(queued: Int) async throws {
            sub = try await bus.subscribe(["market.bar.*"], options: SubscriptionOptions(name: "b", endsOnTaskCancellation: false))
            publisher = Publisher(bus: bus, source: "t/p")
            try await publish(1...queued)
        }

        func publish(_ volumes: ClosedRange<Int>) async throws {
            for i in volumes { try await publisher.publish(EventLoopBatchTests.bar(i)) }
        }

        /// Takes the subscription's batches on the executor's loop with `handler`, counting
        /// the calls in `seen`, until the subscription ends.
        func consume(into seen: SeenBatches, _ handler: @escaping @Sendable (inout EnvelopeBatch) -> Void) -> Task<Void, Never> {
            let sub = self.sub, loop = executor.eventLoop
            return Task {
                await sub.deliverBatches(on: loop) { _, batch in
                    seen.calls += 1
                    handler(&batch)
                }
            }
        }

        /// Ends the subscription and waits (bounded) for its consumer to finish.
        func end(_ consumer: Task<Void, Never>) async throws {
            sub.cancel()
            try await withTimeout { await consumer.value }
        }
    }

    /// Events queued before the loop attaches arrive as one batch, in order, and later
    /// ones too; the subscription's counters agree.
    @Test func batchesKeepOrderAndLoseNothing() async throws {
        let f = try await Fixture(queued: 100)
        defer { f.executor.stop() }
        let seen = SeenBatches()
        let sub = f.sub
        let consumer = f.consume(into: seen) { batch in
            seen.largest = max(seen.largest, batch.count)
            while let env = batch.next() { seen.volumes.append(env.event(as: Bar.self)!.volume) }
        }
        _ = await eventually { sub.stats.delivered >= 100 }
        try await f.publish(101...250)
        try await f.end(consumer)
        #expect(seen.volumes == (1...250).map(Double.init))
        #expect(seen.largest >= 100)
        #expect(seen.calls < 250)
        #expect(sub.stats.delivered == 250)
        #expect(sub.stats.depth == 0)
    }

    /// A handler that takes only part of a batch is called again with the rest.
    @Test func whatAHandlerLeavesIsHandedToItAgain() async throws {
        let f = try await Fixture(queued: 10)
        defer { f.executor.stop() }
        let seen = SeenBatches()
        let consumer = f.consume(into: seen) { batch in
            if let env = batch.next() { seen.volumes.append(env.event(as: Bar.self)!.volume) }
        }
        try await f.end(consumer)
        #expect(seen.volumes == (1...10).map(Double.init))
        #expect(seen.calls == 10)
    }

    struct Stop: Error {}

    /// `forEach` lends every event in order and leaves the batch empty; when its body throws,
    /// the events up to the one it threw at are taken and the handler gets the rest next.
    @Test func forEachTakesEveryEventInOrderAndAThrowLeavesTheRest() async throws {
        let f = try await Fixture(queued: 10)
        defer { f.executor.stop() }
        let seen = SeenBatches()
        let consumer = f.consume(into: seen) { batch in
            do {
                try batch.forEach { env in
                    let v = env.event(as: Bar.self)!.volume
                    seen.volumes.append(v)
                    if v == 4 { throw Stop() }
                }
                let empty = batch.isEmpty
                #expect(empty)
            } catch {
                let left = batch.count
                #expect(left == 6)
            }
        }
        try await f.end(consumer)
        #expect(seen.volumes == (1...10).map(Double.init))
        #expect(seen.calls == 2)
    }
}

/// Quiescence holds while a handler is suspended in the middle of its event, even though
/// the emptied mailbox has already left the loop's ready list.
@Suite struct EventLoopQuiescenceTests {
    @Test func waitUntilIdleWaitsForASuspendedHandler() async throws {
        let e = AgentExecutor(name: "test-idle")
        defer { e.stop() }
        let bus = InMemoryBus()
        let sub = try await bus.subscribe(["market.bar.*"], options: SubscriptionOptions(name: "s", endsOnTaskCancellation: false))
        let gate = AsyncGate()
        let flags = Flags()
        let consumer = Task {
            await sub.deliver(on: e.eventLoop) { _, _ in
                flags.entered.add(1, ordering: .sequentiallyConsistent)
                await gate.wait()
                flags.finished.add(1, ordering: .sequentiallyConsistent)
            }
        }
        try await Publisher(bus: bus, source: "t/p").publish(EventLoopBatchTests.bar(1))
        _ = await eventually { flags.entered.load(ordering: .sequentiallyConsistent) > 0 }
        let idle = Task {
            await bus.waitUntilIdle()
            flags.returned.store(true, ordering: .sequentiallyConsistent)
            return flags.finished.load(ordering: .sequentiallyConsistent)
        }
        try await Task.sleep(for: .milliseconds(50))
        let returnedEarly = flags.returned.load(ordering: .sequentiallyConsistent)
        #expect(!returnedEarly, "idle while a handler was still inside its event")
        await gate.open()
        // Bounded: a quiescence that never comes fails the test instead of hanging it.
        _ = await eventually { flags.returned.load(ordering: .sequentiallyConsistent) }
        idle.cancel()
        let returned = flags.returned.load(ordering: .sequentiallyConsistent)
        #expect(returned, "never idle after the handler finished")
        #expect(await idle.value == 1)
        sub.cancel()
        try await withTimeout { await consumer.value }
    }
}

/// Counters shared between a handler, a waiting task and the test.
final class Flags: Sendable {
    let entered = Atomic<Int>(0)
    let finished = Atomic<Int>(0)
    let returned = Atomic<Bool>(false)
}

/// A one-shot gate: `wait()` returns once `open()` was called.
actor AsyncGate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }
    func open() {
        isOpen = true
        for w in waiters { w.resume() }
        waiters = []
    }
}

/// An agent whose handler fails on one event: the failure is logged with the event's type,
/// topic and cycle, and the agent goes on with the next events.
actor FailingOnce {
    nonisolated let unownedExecutor: UnownedSerialExecutor
    var volumes: [Double] = []
    init(_ e: AgentExecutor) { unownedExecutor = e.asUnownedSerialExecutor() }
    struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
    func handle(_ e: Envelope) throws {
        let v = e.event(as: Bar.self)!.volume
        if v == 2 { throw Boom() }
        volumes.append(v)
    }
}

@Suite struct AgentHandlerErrorTests {
    @Test(arguments: [false, true])
    func aFailingEventIsLoggedAndTheAgentGoesOn(withMetrics: Bool) async throws {
        let e = AgentExecutor(name: "test-fail")
        defer { e.stop() }
        let bus = InMemoryBus()
        let sink = LogSink(fd: -1, format: .logfmt, level: .debug, capture: true)
        let context = AgentContext(bus: bus, executor: e, logger: Logger(label: "t", sink: sink), metrics: withMetrics ? Metrics() : nil)
        let sub = try await context.subscribe("failing", ["market.bar.*"])
        let agent = FailingOnce(e)
        let consumer = Task { await context.consume(sub, agent: "failing") { _, env in try await agent.handle(env) } }
        let p = Publisher(bus: bus, source: "t/p")
        for i in 1...3 {
            try await p.publish(EventLoopBatchTests.bar(i), correlation: "T@\(i)")
        }
        sub.cancel()
        try await withTimeout { await consumer.value }
        #expect(await agent.volumes == [1, 3])
        let lines = sink.lines ?? []
        #expect(lines.count == 1)
        #expect(lines.first?.contains("failed to handle bar on market.bar.T: boom") == true)
        #expect(lines.first?.contains("T@2") == true)
        if withMetrics { #expect(context.metrics?.render().contains("agora_handler_errors_total{agent=\"failing\"} 1") == true) }
    }
}
