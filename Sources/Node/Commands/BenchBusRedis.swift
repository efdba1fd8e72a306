import Agents
import Bus
import Foundation
import Synchronization

/// `agora bench bus --redis URL`: the Redis transport from a publisher process to a
/// subscriber process (a child `agora bench bus-peer`), with typed events, against the raw
/// ceiling of the same bytes published and received with hiredis alone.
enum RedisBusBench {
    struct Row {
        var scenario: String
        var published: Int
        var peer: PeerResult
        var start: UInt64

        var seconds: Double { Double(max(peer.lastNanos, start) - start) / 1e9 }
        var rate: Double { seconds > 0 ? Double(peer.received) / seconds : 0 }
    }

    static func run(url: String, events: Int, rate: Int, seconds: Double, repeats: Int, json: Bool) async throws -> Int32 {
        warnIfDebug()
        let prefix = "agora-bench.\(getpid())."
        let config: RedisConfiguration
        do {
            config = try RedisConfiguration(url: url, prefix: prefix)
        } catch {
            throw UsageError("agora bench bus: --redis: \(error.message)")
        }
        let bus: RedisBus
        do {
            bus = try await RedisBus.connect(config)
        } catch {
            throw CommandError("\(error)")
        }
        let publisher = Publisher(bus: bus, source: "bench/publisher")
        let sample = BenchBusCommand.sampleBar
        let wire = RedisRawBench.wireMessage(Envelope(
            sample, source: "bench/publisher", seq: 1, published: SystemClock().now()))

        var rows: [Row] = []
        // Warm-up: connections, page faults, the server's own buffers.
        _ = try await typed(config, bus: bus, publisher: publisher, events: min(events, 20_000), interval: nil, scenario: "warm-up")
        // Raw and typed bursts alternate, `repeats` times each; the best of each is compared,
        // which filters out the other work a shared machine runs meanwhile.
        var raws: [Row] = [], typeds: [Row] = []
        for _ in 0..<repeats {
            raws.append(try await raw(config, message: wire, events: events))
            typeds.append(try await typed(config, bus: bus, publisher: publisher, events: events, interval: nil, scenario: "typed burst"))
        }
        rows.append(raws.max { $0.rate < $1.rate }!)
        rows.append(typeds.max { $0.rate < $1.rate }!)
        let steadyEvents = max(1, Int(Double(rate) * seconds))
        rows.append(try await typed(
            config, bus: bus, publisher: publisher, events: steadyEvents, interval: 1e9 / Double(rate),
            scenario: "typed steady \(rateString(Double(rate)))/s"))
        rows.append(try await rawSteady(
            config, message: wire, events: steadyEvents, interval: 1e9 / Double(rate),
            scenario: "raw steady \(rateString(Double(rate)))/s (hiredis)"))
        await bus.shutdown()

        let ceiling = rows[0].rate
        let burst = rows[1].rate
        let ratio = ceiling > 0 ? burst / ceiling : 0
        let steadyP99 = rows[2].peer.p99
        let rawSteadyP99 = rows[3].peer.p99
        let lossless = (raws + typeds + rows).allSatisfy { $0.peer.received == $0.published }

        if json {
            var j = BenchJSON(bench: "bus")
            j.w.field("transport", "redis")
            j.w.field("server", config.url.description)
            j.w.field("message_bytes", wire.count)
            j.w.field("repeats", repeats)
            j.w.key("raw_runs_events_per_s")
            j.w.beginArray()
            for r in raws { j.w.value(r.rate) }
            j.w.endArray()
            j.w.key("typed_runs_events_per_s")
            j.w.beginArray()
            for r in typeds { j.w.value(r.rate) }
            j.w.endArray()
            j.w.key("results")
            j.w.beginArray()
            for r in rows {
                j.w.beginObject()
                j.w.field("scenario", r.scenario)
                j.w.field("published", r.published)
                j.w.field("received", r.peer.received)
                j.w.field("gaps", r.peer.gaps)
                j.w.field("seconds", r.seconds)
                j.w.field("events_per_s", r.rate)
                if r.peer.timed {
                    j.w.field("latency_p50_ns", r.peer.p50)
                    j.w.field("latency_p99_ns", r.peer.p99)
                    j.w.field("latency_max_ns", r.peer.max)
                }
                if let why = r.peer.stopped { j.w.field("stopped", why) }
                j.w.endObject()
            }
            j.w.endArray()
            j.w.key("goals")
            j.w.beginObject()
            j.w.field("raw_ceiling_events_per_s", ceiling)
            j.w.field("typed_events_per_s", burst)
            j.w.field("ratio_to_ceiling", ratio)
            j.w.field("ratio_to_goal", ratio / 0.7)
            j.w.field("steady_p99_ns", steadyP99)
            j.w.field("steady_p99_ratio_to_goal", steadyP99 / 200_000)
            j.w.field("raw_steady_p99_ns", rawSteadyP99)
            j.w.endObject()
            Console.out(j.finish())
            return 0
        }
        var t = TextTable(["scenario", "published", "received", "gaps", "events/s", "p50", "p99", "max"])
        for r in rows {
            let lat = r.peer.timed
            t.add([r.scenario, Fmt.grouped(Double(r.published)), Fmt.grouped(Double(r.peer.received)), String(r.peer.gaps),
                   rateString(r.rate), lat ? Fmt.nanos(r.peer.p50) : "-", lat ? Fmt.nanos(r.peer.p99) : "-", lat ? Fmt.nanos(r.peer.max) : "-"])
        }
        Console.out("""
            Redis bus, publisher process → subscriber process (\(config.url)), Bar events of \(wire.count) bytes on the wire
            raw ceiling: the same bytes published pipelined and received with hiredis alone, no decoding
            latency: publish call → subscriber's handler (wall clock, same machine); raw steady: send → hiredis
            has parsed the message (the floor: what Redis and this machine's scheduling cost alone)


            """)
        Console.out(t.rendered)
        if repeats > 1 {
            Console.out("bursts: best of \(repeats) alternating runs; raw \(raws.map { rateString($0.rate) }.joined(separator: ", ")), typed \(typeds.map { rateString($0.rate) }.joined(separator: ", ")) events/s\n")
        }
        for r in rows where r.peer.stopped != nil { Console.out("note: \(r.scenario): the subscriber stopped early: \(r.peer.stopped!)\n") }
        if !lossless { Console.out("note: some events were lost (a subscriber too slow for Redis' output-buffer limit is disconnected); see gaps\n") }
        Console.out("""

            goal  typed ≥ 70% of the raw ceiling:  \(rateString(burst))/s of \(rateString(ceiling))/s = \(Fmt.fixed(ratio * 100, 1))%  \(verdict(ratio >= 0.7))
            goal  p99 < 200 µs at \(rateString(Double(rate)))/s:          \(Fmt.nanos(steadyP99))  \(verdict(steadyP99 < 200_000))  (raw hiredis floor: p99 \(Fmt.nanos(rawSteadyP99)))

            """)
        return 0
    }

    /// The raw ceiling: hiredis publisher here, hiredis subscriber in the child.
    static func raw(_ config: RedisConfiguration, message: [UInt8], events: Int) async throws -> Row {
        let peer = try await Peer.start(config, mode: "raw", events: events)
        let channel = config.prefix + "market.bar.AAPL"
        let start = Monotonic.nanoseconds()
        _ = try await onThread("agora-bench-raw") {
            try RedisRawBench.publish(config, channel: channel, message: message, count: events)
        }
        let result = try await peer.finish()
        return Row(scenario: "raw ceiling (hiredis)", published: events, peer: result, start: start)
    }

    /// The latency floor: the same rate, bytes stamped with their send time, published one
    /// by one and received with hiredis alone (no codec, queue or task hop).
    static func rawSteady(_ config: RedisConfiguration, message: [UInt8], events: Int, interval: Double, scenario: String) async throws -> Row {
        let peer = try await Peer.start(config, mode: "raw-steady", events: events)
        let channel = config.prefix + "market.bar.AAPL"
        let start = Monotonic.nanoseconds()
        _ = try await onThread("agora-bench-raw") {
            try RedisRawBench.publishPaced(config, channel: channel, message: message, count: events, intervalNanos: UInt64(interval))
        }
        let result = try await peer.finish()
        return Row(scenario: scenario, published: events, peer: result, start: start)
    }

    /// Typed events through `RedisBus` on both sides.
    static func typed(
        _ config: RedisConfiguration, bus: RedisBus, publisher: Publisher, events: Int, interval: Double?, scenario: String
    ) async throws -> Row {
        let peer = try await Peer.start(config, mode: "typed", events: events)
        let bar = BenchBusCommand.sampleBar
        let start = Monotonic.nanoseconds()
        if let interval {
            // Sleep (never spin: on a small machine a spinning publisher takes the CPU the
            // server and the subscriber need) until each event is due; a late wake-up
            // publishes what is due at once, so the average rate holds.
            let clock = ContinuousClock()
            let t0 = clock.now
            for i in 0..<events {
                let due = t0 + .nanoseconds(Int64(Double(i) * interval))
                if clock.now < due { try await Task.sleep(until: due, tolerance: .microseconds(20), clock: clock) }
                try await publisher.publish(bar)
            }
        } else {
            for _ in 0..<events { try await publisher.publish(bar) }
        }
        let result = try await peer.finish()
        return Row(scenario: scenario, published: events, peer: result, start: start)
    }
}

/// What the subscriber process reports.
struct PeerResult {
    /// The subscriber timed each event (typed events, or raw ones stamped with their send time).
    var timed = false
    var received = 0
    var firstNanos: UInt64 = 0
    var lastNanos: UInt64 = 0
    var p50 = 0.0
    var p99 = 0.0
    var max = 0.0
    var gaps: UInt64 = 0
    var stopped: String?

    init() {}

    init(json text: String) throws {
        let v: JSONValue
        do { v = try JSONValue(parsing: text) } catch { throw CommandError("bench peer sent an unreadable result: \(text)") }
        func n(_ k: String) -> Double { v[k]?.doubleValue ?? 0 }
        timed = v["latency_p99_ns"] != nil
        received = Int(n("received"))
        firstNanos = UInt64(n("first_ns"))
        lastNanos = UInt64(n("last_ns"))
        p50 = n("latency_p50_ns")
        p99 = n("latency_p99_ns")
        max = n("latency_max_ns")
        gaps = UInt64(n("gaps"))
        stopped = v["stopped"]?.stringValue
    }
}

/// The child process `agora bench bus-peer`, talking through its standard output: `ready`
/// once subscribed, then one JSON line with its figures.
final class Peer: @unchecked Sendable {
    private let process = Process()
    private let lines = Mutex<[String]>([])

    static func start(_ config: RedisConfiguration, mode: String, events: Int) async throws -> Peer {
        let peer = Peer()
        try peer.launch(config, mode: mode, events: events)
        try await peer.waitForLine(timeout: 10, waitingFor: "before it was ready") { $0 == "ready" }
        return peer
    }

    private func launch(_ config: RedisConfiguration, mode: String, events: Int) throws {
        let me = CommandLine.arguments[0].contains("/") ? CommandLine.arguments[0] : "/proc/self/exe"
        process.executableURL = URL(fileURLWithPath: me)
        process.arguments = ["bench", "bus-peer", "--redis", config.url.urlString, "--prefix", config.prefix, "--mode", mode, "--events", String(events)]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let handle = pipe.fileHandleForReading
        let t = Thread { [self] in
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { return }
                pending.append(chunk)
                while let nl = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[pending.startIndex..<nl], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...nl)
                    lines.withLock { $0.append(line) }
                }
            }
        }
        t.start()
    }

    private func waitForLine(timeout: Double, waitingFor what: String, _ match: (String) -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if lines.withLock({ $0.contains(where: match) }) { return }
            if !process.isRunning && !lines.withLock({ $0.contains(where: match) }) {
                throw CommandError("the bench subscriber process exited (status \(process.terminationStatus)) \(what)")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        kill(process.processIdentifier, SIGKILL)
        throw CommandError("the bench subscriber process did not answer within \(Int(timeout)) s (\(what))")
    }

    /// Waits for the child's figures (it stops by itself after its events, or when idle).
    func finish() async throws -> PeerResult {
        try await waitForLine(timeout: 600, waitingFor: "without reporting its figures") { $0.hasPrefix("{") }
        process.waitUntilExit()
        let line = lines.withLock { $0.first { $0.hasPrefix("{") } } ?? ""
        return try PeerResult(json: line)
    }
}

/// Runs blocking work on a dedicated thread (never on the cooperative pool).
func onThread<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
        let t = Thread {
            do { c.resume(returning: try body()) } catch { c.resume(throwing: error) }
        }
        t.name = name
        t.start()
    }
}

/// `agora bench bus-peer`: the subscriber side of `agora bench bus --redis` (hidden).
enum BenchBusPeerCommand: AgoraCommand {
    static let spec = CommandSpec("bench bus-peer", summary: "Subscriber process of `agora bench bus --redis` (internal).")
        .option("redis", "URL", "The server.")
        .option("prefix", "P", "Channel prefix of the run.")
        .option("mode", "raw|typed", "hiredis alone, or the Redis bus with typed events.")
        .option("events", "N", "Stop after this many events.")
        .option("idle", "S", "Stop when nothing arrived for this long (default 3).")
        .hide()

    static func run(_ args: Arguments) async throws -> Int32 {
        guard let url = args.string("redis") else { throw UsageError("agora bench bus-peer: --redis URL is required") }
        let mode = try args.choice("mode", ["raw", "raw-steady", "typed"], default: "typed")
        let events = try args.int("events", default: 100_000, range: 1...1_000_000_000)
        let idle = try args.double("idle", default: 3, range: 0.1...600)
        let config: RedisConfiguration
        do {
            config = try RedisConfiguration(url: url, prefix: args.string("prefix") ?? "")
        } catch {
            throw UsageError("agora bench bus-peer: --redis: \(error.message)")
        }
        var j = JSONWriter(capacity: 256)
        j.beginObject()
        j.field("mode", mode)
        if mode != "typed" {
            let pattern = config.redisPattern(for: "market.bar.*")
            let timed = mode == "raw-steady"
            let receipt = try await onThread("agora-bench-sub") {
                try RedisRawBench.receive(config, pattern: pattern, count: events, idleTimeout: idle, latencies: timed) {
                    Console.out("ready\n")
                    Console.flush()
                }
            }
            j.field("received", receipt.received)
            j.field("first_ns", receipt.firstNanos)
            j.field("last_ns", receipt.lastNanos)
            if timed {
                var sample = receipt.latencies
                let summary = LatencySummary(&sample)
                j.field("latency_p50_ns", summary.p50)
                j.field("latency_p99_ns", summary.p99)
                j.field("latency_max_ns", summary.max)
            }
            if let why = receipt.stoppedBecause { j.field("stopped", why) }
        } else {
            try await typedPeer(config, events: events, idle: idle, into: &j)
        }
        j.endObject()
        Console.out(j.string + "\n")
        Console.flush()
        return 0
    }

    static func typedPeer(_ config: RedisConfiguration, events: Int, idle: Double, into j: inout JSONWriter) async throws {
        let bus = try await RedisBus.connect(config)
        // As agents consume: one subscription (here filtered to bars), typed events taken
        // from each envelope.
        let sub = try await bus.subscribe(["market.bar.*"], options: SubscriptionOptions(name: "bench-peer", types: [.bar]))
        let progress = Atomic<Int>(0)
        let stoppedIdle = Atomic<Bool>(false)
        Console.out("ready\n")
        Console.flush()
        let watchdog = Task {
            var last = -1
            var since = Monotonic.nanoseconds()
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(50))
                let now = progress.load(ordering: .relaxed)
                if now != last {
                    last = now
                    since = Monotonic.nanoseconds()
                } else if Double(Monotonic.nanoseconds() - since) / 1e9 >= idle {
                    stoppedIdle.store(true, ordering: .relaxed)
                    sub.cancel()
                    return
                }
            }
        }
        let clock = SystemClock()
        var latencies = [UInt64](repeating: 0, count: events)
        var n = 0
        var first: UInt64 = 0, last: UInt64 = 0
        for await envelope in sub {
            guard let bar = envelope.event(as: Bar.self), bar.volume > 0 else { continue }
            let now = clock.now().nanoseconds
            last = Monotonic.nanoseconds()
            if n == 0 { first = last }
            latencies[n] = UInt64(max(0, now - envelope.published.nanoseconds))
            n += 1
            progress.store(n, ordering: .relaxed)
            if n == events { break }
        }
        watchdog.cancel()
        let stats = sub.stats
        var sample = Array(latencies[0..<n])
        let summary = LatencySummary(&sample)
        j.field("received", n)
        j.field("first_ns", first)
        j.field("last_ns", last)
        j.field("latency_p50_ns", summary.p50)
        j.field("latency_p99_ns", summary.p99)
        j.field("latency_max_ns", summary.max)
        j.field("gaps", stats.gaps)
        j.field("malformed", stats.malformed)
        j.field("reconnects", bus.redisStatistics().subscriberReconnects)
        if stoppedIdle.load(ordering: .relaxed) { j.field("stopped", "nothing arrived for \(Fmt.fixed(idle, 1)) s") }
        await bus.shutdown()
    }
}
