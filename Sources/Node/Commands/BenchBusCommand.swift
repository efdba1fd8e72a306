import Agents
import Bus

/// `agora bench bus`: events/s and publish-to-handler latency on the in-memory bus.
enum BenchBusCommand: AgoraCommand {
    static let spec = CommandSpec("bench bus", summary: "Measure bus throughput and latency (release build).")
        .option("subscribers", "N", "Subscribers in the fan-out scenario (default 6).")
        .option("events", "N", "Events per burst scenario (default 2M).")
        .option("rate", "N", "Events/s in the steady scenario (default 100k).")
        .option("seconds", "S", "Length of the steady scenario (default 2).")
        .option("redis", "URL", "Measure the Redis transport between two processes instead (redis://[user:password@]host:port[/db]).")
        .option("repeat", "N", "With --redis: raw and typed bursts alternate N times; the best of each is compared (default 3).")
        .flag("json", "Print one JSON object instead of a table.")
        .detail("""
            Scenarios: a burst of events to 1 subscriber and to N subscribers (events/s per
            subscriber, end to end), then a steady rate to 1 and to N subscribers (latency).
            Latency is measured from the publish timestamp to the handler, per event.
            Each scenario runs on five delivery paths: "event loop" (the agents' path: the
            subscribers are handlers on one node event loop, one call per event, and the
            publisher is an actor on the same executor; bursts only), "event loop, batches"
            (the same with batch handlers, one call per batch, as the run recorder takes
            events; bursts only), "event loop, other thread" (the per-event loop fed from
            another thread), "iterator, other thread" (a task per subscription), and
            "batches both ways, other thread" (batch handlers, and a publisher on another
            thread that publishes 256 events per call, as a feed or a replay can; bursts
            only).
            Goals: ≥5M events/s to 1 subscriber, ≥1M/s to each of 6, p99 < 50 µs at 100k/s;
            each is judged on its fastest path, which the output names.

            With --redis: a publisher process (this one) and a subscriber process (a child),
            typed Bar events through the Redis bus, against the raw ceiling (the same bytes
            published pipelined and received with hiredis alone). Defaults: --events 100000,
            --rate 10000, --repeat 3 (raw and typed bursts alternate; the best of each is
            compared). Goals: ≥70% of the raw ceiling, p99 < 200 µs at 10k/s.
            """)

    struct Row {
        var delivery = Delivery.eventLoop
        var scenario: String
        var subscribers: Int
        var events: Int
        var seconds: Double
        var latency: LatencySummary
        var perSubscriberRate: Double { Double(events) / seconds }
    }

    static func run(_ args: Arguments) async throws -> Int32 {
        let fanout = try args.int("subscribers", default: 6, range: 1...256)
        let events = try args.int("events", default: 2_000_000, range: 1...1_000_000_000)
        let rate = try args.int("rate", default: 100_000, range: 1...10_000_000)
        let seconds = try args.double("seconds", default: 2, range: 0.1...3600)
        if args.string("redis") == nil, args.string("repeat") != nil {
            throw UsageError("agora bench bus: --repeat applies only with --redis URL")
        }
        if args.string("redis") != nil, args.string("subscribers") != nil {
            throw UsageError("agora bench bus: --subscribers applies only to the in-memory bus (the Redis bench has one subscriber process)")
        }
        if let url = args.string("redis") {
            // Defaults sized for a network transport: bursts of 100k events (Redis buffers a
            // subscriber's backlog only up to 32 MiB by default: a longer burst measures when
            // Redis drops a slower subscriber, not throughput), 10k/s steady.
            return try await RedisBusBench.run(
                url: url, events: args.string("events") == nil ? 100_000 : events,
                rate: args.string("rate") == nil ? 10_000 : rate, seconds: seconds,
                repeats: try args.int("repeat", default: 3, range: 1...100), json: args.flag("json"))
        }
        warnIfDebug()
        var rows: [Row] = []
        // Warm-up (page faults, lazy allocations) so the first scenario is not penalised.
        _ = try await burst(subscribers: 1, events: min(events, 200_000), delivery: .eventLoop)
        let steadyEvents = Int(Double(rate) * seconds)
        for d in Delivery.allCases {
            rows.append(try await burst(subscribers: 1, events: events, delivery: d))
            rows.append(try await burst(subscribers: fanout, events: events, delivery: d))
            if d.burstsOnly { continue }
            rows.append(try await steady(subscribers: 1, events: steadyEvents, rate: rate, delivery: d))
            rows.append(try await steady(subscribers: fanout, events: steadyEvents, rate: rate, delivery: d))
        }

        // Each goal is judged on the fastest delivery path for it (named in the output).
        let bursts1 = rows.filter { $0.scenario == "burst" && $0.subscribers == 1 }
        let burstsN = rows.filter { $0.scenario == "burst" && $0.subscribers == fanout }
        let best1 = bursts1.max { $0.perSubscriberRate < $1.perSubscriberRate }!
        let bestN = burstsN.max { $0.perSubscriberRate < $1.perSubscriberRate }!
        let steadyByPath = Dictionary(grouping: rows.filter { $0.scenario != "burst" }, by: \.delivery)
            .mapValues { rs in rs.map(\.latency.p99).max() ?? 0 }
        let bestSteady = steadyByPath.min { $0.value < $1.value }!
        let oneSub = best1.perSubscriberRate
        let fan = bestN.perSubscriberRate
        let steadyP99 = bestSteady.value
        if args.flag("json") {
            var j = BenchJSON(bench: "bus")
            j.w.field("transport", "memory")
            j.w.key("results")
            j.w.beginArray()
            for r in rows {
                j.w.beginObject()
                j.w.field("delivery", r.delivery.rawValue)
                j.w.field("scenario", r.scenario)
                j.w.field("subscribers", r.subscribers)
                j.w.field("events", r.events)
                j.w.field("seconds", r.seconds)
                j.w.field("events_per_s", r.perSubscriberRate)
                j.w.field("latency_p50_ns", r.latency.p50)
                j.w.field("latency_p99_ns", r.latency.p99)
                j.w.field("latency_max_ns", r.latency.max)
                j.w.endObject()
            }
            j.w.endArray()
            j.w.key("goals")
            j.w.beginObject()
            j.w.field("one_subscriber_delivery", best1.delivery.rawValue)
            j.w.field("one_subscriber_events_per_s", oneSub)
            j.w.field("one_subscriber_ratio_to_goal", oneSub / 5e6)
            j.w.field("fanout_delivery", bestN.delivery.rawValue)
            j.w.field("fanout_events_per_s_each", fan)
            j.w.field("fanout_ratio_to_goal", fan / 1e6)
            j.w.field("steady_delivery", bestSteady.key.rawValue)
            j.w.field("steady_p99_ns", steadyP99)
            j.w.field("steady_p99_ratio_to_goal", steadyP99 / 50_000)
            j.w.endObject()
            Console.out(j.finish())
            return 0
        }
        var t = TextTable(["delivery", "scenario", "subs", "events", "events/s per sub", "p50", "p99", "max"])
        for r in rows {
            t.add([r.delivery.rawValue, r.scenario, String(r.subscribers), Fmt.grouped(Double(r.events)), rateString(r.perSubscriberRate),
                   Fmt.nanos(r.latency.p50), Fmt.nanos(r.latency.p99), Fmt.nanos(r.latency.max)])
        }
        Console.out("In-memory bus, Bar events, one publisher (latency = publish → handler)\n\n")
        Console.out(t.rendered)
        Console.out("""

            goal  ≥5M events/s to 1 subscriber:      \(rateString(oneSub))/s  (\(Fmt.fixed(oneSub / 5e6, 2))× goal, \(best1.delivery.rawValue)) \(verdict(oneSub >= 5e6))
            goal  ≥1M events/s to each of \(fanout):         \(rateString(fan))/s  (\(Fmt.fixed(fan / 1e6, 2))× goal, \(bestN.delivery.rawValue)) \(verdict(fan >= 1e6))
            goal  p99 < 50 µs at \(rateString(Double(rate)))/s:           \(Fmt.nanos(steadyP99))  (\(bestSteady.key.rawValue), 1 and \(fanout) subscribers) \(verdict(steadyP99 < 50_000))

            """)
        return 0
    }

    static let sampleBar = Bar(symbol: "AAPL", time: Timestamp(seconds: 1_704_205_800), open: 187.15, high: 188.44, low: 183.89, close: 185.64, volume: 82_488_700)

    /// Publishes `events` bars as fast as possible; every subscriber records the latency of each.
    static func burst(subscribers: Int, events: Int, delivery: Delivery) async throws -> Row {
        var r = try await measure(scenario: "burst", subscribers: subscribers, events: events, interval: nil, delivery: delivery)
        r.delivery = delivery
        return r
    }

    static func steady(subscribers: Int, events: Int, rate: Int, delivery: Delivery) async throws -> Row {
        var r = try await measure(
            scenario: "steady \(rateString(Double(rate)))/s", subscribers: subscribers, events: events, interval: 1e9 / Double(rate), delivery: delivery)
        r.delivery = delivery
        return r
    }

    /// How the subscribers take their events.
    enum Delivery: String, CaseIterable {
        /// The agents' path: every subscription on one node event loop (`AgentExecutor`),
        /// handlers called in turn on its thread, and the publisher an actor on the same
        /// executor (as agents publish to each other).
        case eventLoop = "event loop"
        /// The same, with batch handlers: one call per batch (`deliverBatches`).
        case eventLoopBatches = "event loop, batches"
        /// The same loop, fed by a publisher on another thread (a Redis reader, a tap's feed).
        case eventLoopCrossThread = "event loop, other thread"
        /// One task per subscription iterating it (`for await e in subscription`), as a tap
        /// does; the publisher is another task.
        case iterator = "iterator, other thread"
        /// Batch handlers, and the publisher hands over batches too
        /// (`Publisher.publish(contentsOf:)`, 256 events each) from another thread, as a
        /// feed or a replay can.
        case batchesBothWays = "batches both ways, other thread"

        /// The publisher runs on the loop's executor.
        var colocated: Bool { self == .eventLoop || self == .eventLoopBatches }
        /// Events per `publish(contentsOf:)` call; 0 publishes one by one.
        var publisherBatch: Int { self == .batchesBothWays ? 256 : 0 }
        var batchHandlers: Bool { self == .eventLoopBatches || self == .batchesBothWays }
        /// A co-located publisher cannot pace itself without blocking the loop, and a batch
        /// publisher has no steady rate per event: bursts only.
        var burstsOnly: Bool { colocated || publisherBatch > 0 }
    }

    /// A publisher that is an actor on the node's executor, like an agent.
    actor LoopPublisher {
        nonisolated let unownedExecutor: UnownedSerialExecutor
        init(_ executor: AgentExecutor) { unownedExecutor = executor.asUnownedSerialExecutor() }

        func run(_ publisher: Publisher, events: Int, interval: Double?) async throws {
            // Bursts only: a paced publisher on this thread would have to wait without
            // blocking the loop, and every way to wait costs a thread wake-up.
            precondition(interval == nil, "the co-located publisher only bursts")
            let bar = BenchBusCommand.sampleBar
            for _ in 0..<events { try await publisher.publish(bar) }
        }
    }

    /// Publishes `events` bars; every subscriber's handler records the latency of each.
    static func measure(scenario: String, subscribers: Int, events: Int, interval: Double?, delivery: Delivery) async throws -> Row {
        switch delivery {
        case .iterator: try await measureIterator(scenario: scenario, subscribers: subscribers, events: events, interval: interval)
        case .eventLoop, .eventLoopBatches, .eventLoopCrossThread, .batchesBothWays:
            try await measureEventLoop(scenario: scenario, subscribers: subscribers, events: events, interval: interval, delivery: delivery)
        }
    }

    /// Latencies of one subscriber, written only by the handler on the event loop's thread.
    final class Recorder: @unchecked Sendable {
        var latencies: [UInt64]
        var n = 0
        var finished: UInt64 = 0
        init(events: Int) { latencies = [UInt64](repeating: 0, count: events) }

        @inline(__always) func record(_ e: Envelope) {
            if n < latencies.count { latencies[n] = UInt64(max(0, SystemClock().now().nanoseconds - e.published.nanoseconds)) }
            n += 1
            if n == latencies.count { finished = Monotonic.nanoseconds() }
        }

        @inline(__always) func record(_ batch: inout EnvelopeBatch) {
            batch.forEach { record($0) }
        }
    }

    static func publishAll(_ publisher: Publisher, events: Int, interval: Double?, batch: Int = 0) async throws {
        let bar = sampleBar
        if batch > 0 {
            precondition(interval == nil, "batches are published in bursts only")
            let full = [Bar](repeating: bar, count: batch)
            var left = events
            while left > 0 {
                try await publisher.publish(contentsOf: left >= batch ? full : Array(full.prefix(left)))
                left -= batch
            }
        } else if let interval {
            let t0 = Monotonic.nanoseconds()
            for i in 0..<events {
                let due = t0 + UInt64(Double(i) * interval)
                while Monotonic.nanoseconds() < due {}
                try await publisher.publish(bar)
            }
        } else {
            for _ in 0..<events { try await publisher.publish(bar) }
        }
    }

    static func measureEventLoop(scenario: String, subscribers: Int, events: Int, interval: Double?, delivery: Delivery) async throws -> Row {
        let bus = InMemoryBus()
        let executor = AgentExecutor(name: "bench-loop")
        defer { executor.stop() }
        var subs: [Subscription] = []
        for i in 0..<subscribers {
            subs.append(try await bus.subscribe(["market.bar.*"], options: SubscriptionOptions(name: "bench-\(i)", endsOnTaskCancellation: false)))
        }
        let recorders = subs.map { _ in Recorder(events: events) }
        let publisher = Publisher(bus: bus, source: "bench/publisher")
        let all = subs
        let start = Monotonic.nanoseconds()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (s, r) in zip(all, recorders) {
                if delivery.batchHandlers {
                    group.addTask { await s.deliverBatches(on: executor.eventLoop) { _, batch in r.record(&batch) } }
                } else {
                    group.addTask { await s.deliver(on: executor.eventLoop) { _, e in r.record(e) } }
                }
            }
            group.addTask {
                if delivery.colocated {
                    try await LoopPublisher(executor).run(publisher, events: events, interval: interval)
                } else {
                    try await publishAll(publisher, events: events, interval: interval, batch: delivery.publisherBatch)
                }
                // Queued events are still delivered; then each delivery ends.
                for s in all { s.cancel() }
            }
            try await group.waitForAll()
        }
        let end = recorders.map(\.finished).max() ?? start
        var merged: [UInt64] = []
        merged.reserveCapacity(events * subscribers)
        for r in recorders {
            precondition(r.n == events, "subscriber got \(r.n) of \(events) events")
            merged.append(contentsOf: r.latencies)
        }
        return Row(scenario: scenario, subscribers: subscribers, events: events, seconds: Double(end - start) / 1e9, latency: LatencySummary(&merged))
    }

    static func measureIterator(scenario: String, subscribers: Int, events: Int, interval: Double?) async throws -> Row {
        let bus = InMemoryBus()
        var subs: [Subscription] = []
        for i in 0..<subscribers {
            subs.append(try await bus.subscribe(["market.bar.*"], options: SubscriptionOptions(name: "bench-\(i)")))
        }
        let publisher = Publisher(bus: bus, source: "bench/publisher")
        let start = Monotonic.nanoseconds()
        let results = try await withThrowingTaskGroup(of: ([UInt64], UInt64)?.self) { group in
            for s in subs {
                group.addTask {
                    let clock = SystemClock()
                    var latencies = [UInt64](repeating: 0, count: events)
                    var n = 0
                    for await e in s {
                        latencies[n] = UInt64(max(0, clock.now().nanoseconds - e.published.nanoseconds))
                        n += 1
                        if n == events { break }
                    }
                    return (latencies, Monotonic.nanoseconds())
                }
            }
            group.addTask {
                try await publishAll(publisher, events: events, interval: interval)
                return nil
            }
            var all: [([UInt64], UInt64)] = []
            for try await r in group { if let r { all.append(r) } }
            return all
        }
        let end = results.map(\.1).max() ?? start
        var merged: [UInt64] = []
        merged.reserveCapacity(events * subscribers)
        for r in results { merged.append(contentsOf: r.0) }
        withExtendedLifetime(subs) {}
        return Row(scenario: scenario, subscribers: subscribers, events: events, seconds: Double(end - start) / 1e9, latency: LatencySummary(&merged))
    }
}
