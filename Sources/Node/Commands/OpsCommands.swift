import Agents
import Bus
import Foundation
import Orchestrator
import Synchronization

/// `agora check`: validates a topology (and its data files) without running anything.
enum CheckCommand: AgoraCommand {
    static let spec = CommandSpec("check", summary: "Validate a topology and its data files, then exit.")
        .positional("FILE", "The topology (default: topology.json).", required: false)
        .detail("""
            Runs every check that precedes a run: the JSON itself, unknown keys and agents, each
            agent placed in exactly one node, voting weights, the bus URL of a multi-node
            topology, and every bar of the data files (the same validation as a run). Prints one
            line per problem, naming the JSON path or file:line, and exits 1; or a summary and 0.
            """)

    static func run(_ args: Arguments) async throws -> Int32 {
        let path = args.positional(0) ?? "topology.json"
        guard FileManager.default.fileExists(atPath: path) else { throw CommandError("\(path): no such file (usage: agora check [FILE])") }
        let t = try RunFlags.loadTopology(path)
        let inputs = try LocalRun.inputs(t)
        let checked: (census: MarketFeed.Census, skipped: [SkipReport])
        do { checked = try inputs.check() } catch { throw CommandError("\(error)") }
        let summary = (bars: checked.census.bars, news: checked.census.news, skipped: checked.skipped)
        var out = "ok: \(path)\n"
        out += "  bus     \(t.bus.kind.rawValue)" + (t.bus.url.map { " \($0)" } ?? "") + (t.bus.prefix.isEmpty ? "" : " prefix \"\(t.bus.prefix)\"") + "\n"
        out += "  market  \(t.market.mode.rawValue), \(summary.bars) bars, \(summary.news) news items of \(t.market.data.map(\.file).joined(separator: ", "))" + (t.market.news.map { ", news \($0)" } ?? "") + "\n"
        for n in t.nodes { out += "  node    \(n.name): \(n.agents.map(\.rawValue).joined(separator: ", "))\n" }
        for s in summary.skipped where s.count > 0 { out += "  skipped \(s)\n" }
        if let w = MarketInputs.untradedNewsWarning(checked.census) { out += "  warning \(w)\n" }
        Console.out(out)
        return 0
    }
}

/// `agora explain FILE.jsonl`: the decision chains of a recorded run.
enum ExplainCommand: AgoraCommand {
    static let spec = CommandSpec("explain", summary: "Print the decision chains of an event log (from --record).")
        .positional("FILE", "An event log written by run, node or backtest with --record.")
        .positional("WHICH", "trades (default: cycles that produced an order), all, or a cycle id like GOOG@2012-07-02T00:00:00Z.", required: false)
        .detail("""
            Groups the log's events by trading cycle (correlation id: one bar of one symbol) and
            prints, for each cycle chosen, the bar, every vote with its weight and contribution,
            the decision and why, and what became of the order.
            """)

    static func run(_ args: Arguments) async throws -> Int32 {
        let path = args.positional(0)!
        let selection = ExplainSelection(parsing: args.positional(1))
        let events: [Envelope]
        do { events = try EventLog.read(path) } catch { throw CommandError("\(error)") }
        if printChains(events, selection) == 0 {
            if case .cycle(let c) = selection { throw CommandError("\(path): no cycle \"\(c)\" in the log") }
            let decisions = events.count { if case .decision = $0.payload { true } else { false } }
            Console.err(selection == .trades && decisions > 0
                ? "\(path): no cycle produced an order (\(events.count) events, \(decisions) decisions); 'agora explain \(path) all' shows every cycle\n"
                : "\(path): no cycle to explain (\(events.count) events)\n")
        }
        return 0
    }

    /// Prints the decision chain of every cycle `selection` picks; returns how many.
    static func printChains(_ events: [Envelope], _ selection: ExplainSelection) -> Int {
        var printed = 0
        for (id, evs) in Explain.cycles(events) {
            if case .cycle(let c) = selection, c != id { continue }
            if selection.includes(evs) {
                Console.out(Explain.render(cycle: id, events: evs) + "\n")
                printed += 1
            }
        }
        return printed
    }
}

/// Where the Redis-facing commands connect: --bus, else the topology's bus.url, else
/// AGORA_REDIS_URL.
enum BusTarget {
    static func redis(_ args: Arguments) throws -> (url: String, prefix: String, configuration: RedisConfiguration) {
        var prefix = args.string("prefix")
        var url = args.string("bus")
        var settings = Topology.Bus()
        let path = args.string("topology") ?? "topology.json"
        if args.string("topology") != nil || FileManager.default.fileExists(atPath: path) {
            if let t = try? RunFlags.loadTopology(path) {
                if url == nil { url = t.bus.url }
                if prefix == nil { prefix = t.bus.prefix }
                settings = t.bus
            } else if args.string("topology") != nil {
                _ = try RunFlags.loadTopology(path)  // reports why
            }
        }
        if url == nil { url = ProcessInfo.processInfo.environment["AGORA_REDIS_URL"] }
        guard let url else {
            throw CommandError("no Redis URL: pass --bus redis://host:port, set bus.url in the topology, or set AGORA_REDIS_URL", exitCode: 64)
        }
        do {
            return (url, prefix ?? "", try settings.redisConfiguration(url: url, prefix: prefix ?? ""))
        } catch {
            throw CommandError("--bus: \(error)", exitCode: 64)
        }
    }

    static func connect(_ configuration: RedisConfiguration, logger: Logger) async throws -> RedisBus {
        do {
            return try await RedisBus.connect(configuration, logger: logger.labeled("bus.redis"))
        } catch {
            throw CommandError("\(error)")
        }
    }
}

/// The `--stats` table, shared by the reader and the once-a-second renderer.
final class TapState: Sendable {
    let table = Mutex(TapStats())
}

/// `agora tap`: what flows on a Redis bus, live.
enum TapCommand: AgoraCommand {
    static let spec = CommandSpec("tap", summary: "Show live what flows on a Redis bus (the event tap).")
        .variadic("PATTERN", "Topic patterns, Redis PSUBSCRIBE syntax (default: *).")
        .option("bus", "URL", "redis://[user:password@]host:port[/db] (default: the topology's bus.url, or AGORA_REDIS_URL).")
        .option("prefix", "PREFIX", "Channel prefix (default: the topology's bus.prefix).")
        .option("topology", "FILE", "Read the bus settings from this topology (default: topology.json when present).")
        .option("type", "TYPE", "Only events of this type (e.g. decision, order_filled).", repeatable: true)
        .option("symbol", "SYM", "Only events about this symbol.", repeatable: true)
        .option("format", "line|json", "One readable line per event (default), or JSON Lines for jq.")
        .option("count", "N", "Exit 0 after N events.")
        .flag("stats", "Instead of events, a table of events/s per topic and per source, refreshed every second.")
        .option("log-level", "LEVEL", "trace, debug, info, notice, warning (default here), error.")
        .detail("""
            Subscribes to the patterns on Redis and prints every event that passes the filters,
            including events of types this build does not know. Malformed messages and sequence
            gaps are counted (shown with --stats, and on exit). Ctrl-C exits 0.
            """)

    static func run(_ args: Arguments) async throws -> Int32 {
        let (url, prefix, configuration) = try BusTarget.redis(args)
        let patterns = args.positionals.isEmpty ? ["*"] : args.positionals
        let (filter, format) = try RunFlags.tap(args)
        for (t, hint) in RunFlags.unknownTapTypes(filter) {
            Console.err("agora tap: warning: --type \(t) is not a type this build knows\(hint); showing it if it appears\n")
        }
        let count = try args.int("count", default: 0, range: 0...Int.max)
        let stats = args.flag("stats")
        let logger = args.string("log-level") != nil ? try RunFlags.logging(args) : Logger(label: "agora", sink: LogSink(format: .logfmt, level: .warning))
        let bus = try await BusTarget.connect(configuration, logger: logger)
        let sub: Subscription
        do {
            sub = try await bus.subscribe(patterns, options: SubscriptionOptions(name: "tap", policy: .dropOldest(capacity: 1 << 16)))
        } catch {
            throw CommandError("\(error)", exitCode: 64)
        }
        let stop = StopFlag()
        let signals = SignalHandler { _ in
            stop.set()
            sub.cancel()
        }
        defer { signals.cancel() }
        if !stats { Console.err("tap: \(url) prefix \"\(prefix)\" patterns \(patterns.joined(separator: " ")) (Ctrl-C to stop)\n") }

        // A live view: each line (and each table) goes out as it is made, also into a pipe
        // or a file (buffered, they showed nothing until exit).
        Console.stdout.autoflush = true
        let state = TapState()
        let ticker: Task<Void, Never>? = stats ? Task {
            let clock = ContinuousClock()
            var last = clock.now
            while !Task.isCancelled && !stop.isSet {
                try? await Task.sleep(for: .seconds(1))
                let now = clock.now
                let (sec, atto) = (now - last).components
                last = now
                let s = sub.stats
                let text = state.table.withLock { $0.render(seconds: Double(sec) + Double(atto) / 1e18, gaps: s.gaps, malformed: s.malformed, dropped: s.dropped) }
                Console.out("\u{1B}[H\u{1B}[2J" + "agora tap --stats  \(url) prefix \"\(prefix)\"  (Ctrl-C to stop)\n\n" + text)
            }
        } : nil
        defer { ticker?.cancel() }
        var shown = 0
        var it = sub.makeAsyncIterator()
        while !stop.isSet, let e = await it.next(isolation: nil) {
            guard filter.accepts(e) else { continue }
            shown += 1
            if stats {
                state.table.withLock { $0.record(e) }
            } else {
                switch format {
                case .line: Console.out(TapFormat.line(e) + "\n")
                case .json: Console.out(EventCodec.encodeString(e) + "\n")
                }
            }
            if count > 0 && shown >= count { break }
        }
        let s = sub.stats
        sub.cancel()
        await bus.shutdown()
        Console.err("tap: \(shown) events shown; gaps \(s.gaps), malformed \(s.malformed), dropped \(s.dropped)\n")
        return 0
    }
}

/// `agora replay`: a recorded event log, published again.
enum ReplayCommand: AgoraCommand {
    static let spec = CommandSpec("replay", summary: "Replay a recorded event log (from --record), in one process or on Redis.")
        .positional("FILE", "An event log written with --record.")
        .option("topology", "FILE", "The agents and their settings (default: topology.json).")
        .option("bus", "URL", "Replay on this Redis instead of in one process (or set the topology's bus.url).")
        .option("prefix", "PREFIX", "Channel prefix, replacing the topology's bus.prefix.")
        .option("speed", "X", "Pace by event time, X times real time (default: as fast as the pipeline allows).")
        .flag("verbatim", "Publish every recorded event as it is (ids, sources, times) instead of re-running the agents.")
        .option("outputs", "DIR", "Write the reports in DIR instead of the topology's outputs.dir.")
        .option("record", "FILE", "Write every event of the replay to FILE.")
        .option("explain", "WHICH", "In one process: print the decision chains (trades, all, or a cycle id).")
        .loggingOptions()
        .detail("""
            By default the log's bars and news become the market data of the topology's agents,
            which decide again: in one process on the in-memory bus, or, with --bus (or a redis
            bus in the topology), as the topology's market-data node, while `agora node` runs
            the others. In backtest mode the replay reproduces the recorded decisions exactly.
            With --verbatim every recorded event is published unchanged to Redis (for taps,
            dashboards and consumers of your own), paced by --speed on event time.
            """)

    static func run(_ args: Arguments) async throws -> Int32 {
        let path = args.positional(0)!
        let speed: Double? = args.string("speed") != nil ? try args.double("speed", default: 1, range: 1e-6...1e9) : nil
        if args.flag("verbatim") { return try await verbatim(path, args: args, speed: speed) }

        var topology = try RunFlags.loadTopology(args.string("topology") ?? "topology.json")
        let log: (inputs: MarketInputs, bars: Int, news: Int)
        do { log = try EventLog.marketInputs(path) } catch { throw CommandError("\(error)") }
        try RunFlags.applySpeed(args, to: &topology)
        if let url = args.string("bus") { topology.bus.url = url; topology.bus.kind = .redis }
        if let p = args.string("prefix") { topology.bus.prefix = p }
        let logger = try RunFlags.logging(args)
        logger.info("replaying \(log.bars) bars and \(log.news) news items from \(path)")

        if topology.bus.kind == .redis {
            guard let node = topology.nodes.first(where: { $0.agents.contains(.marketData) }) else {
                throw CommandError("\(topology.file): no node runs market-data")
            }
            return try await NodeCommand.runNode(node.name, topology: topology, args: args, inputs: log.inputs)
        }
        return try await RunCommand.runLocally(topology, args: args, title: "Agora replay — \(path)", inputs: log.inputs)
    }

    /// The log's events, each checked first, by line, as the bus would check it: nothing is
    /// published from a log that cannot be published whole.
    static func publishable(_ path: String, configuration: RedisConfiguration) throws(CommandError) -> [Envelope] {
        var events: [Envelope] = []
        // Each (source, topic) stream's next topicSeq, for the exact size on the wire.
        var streams: [String: UInt64] = [:]
        do {
            try EventLog.forEachLine(path) { e, line in
                let key = e.source + " " + e.topic
                let seq = (streams[key] ?? 0) + 1
                streams[key] = seq
                let bytes = RedisRawBench.wireMessage(e, topicSeq: seq).count
                if let p = configuration.publishProblem(type: e.type, topic: e.topic, bytes: bytes) {
                    throw EventLog.Failure(description: "\(path):\(line): \(p)")
                }
                events.append(e)
            }
        } catch {
            throw CommandError("\(error)")
        }
        return events
    }

    /// Publishes every event of the log unchanged, paced by event time when `speed` is set.
    static func verbatim(_ path: String, args: Arguments, speed: Double?) async throws -> Int32 {
        let (url, prefix, configuration) = try BusTarget.redis(args)
        let logger = try RunFlags.logging(args)
        let events = try publishable(path, configuration: configuration)
        let bus = try await BusTarget.connect(configuration, logger: logger)
        let stop = StopFlag()
        let signals = SignalHandler { _ in stop.set() }
        defer { signals.cancel() }
        let clock = ContinuousClock()
        let start = clock.now
        let firstTime = events.first?.time
        var sent = 0
        if let speed, let t0 = firstTime {
            for e in events {
                if stop.isSet { break }
                let due = start + .nanoseconds(Int64(Double(e.time.nanoseconds - t0.nanoseconds) / speed))
                if due > clock.now { try? await Task.sleep(until: due, clock: clock) }
                do { try await bus.publish(e) } catch { throw CommandError("\(url): \(error)") }
                sent += 1
            }
        } else {
            // Unpaced: in batches (one lock and one writer wake-up per batch).
            while sent < events.count && !stop.isSet {
                let chunk = Array(events[sent..<min(sent + 256, events.count)])
                do { try await bus.publish(contentsOf: chunk) } catch { throw CommandError("\(url): \(error)") }
                sent += chunk.count
            }
        }
        await bus.shutdown()
        Console.err("replay: published \(sent) of \(events.count) events from \(path) to \(url) prefix \"\(prefix)\"\n")
        let lost = bus.redisStatistics().abandoned
        if lost > 0 { throw CommandError("\(url): \(lost) of the published events could not be sent before the end, and were lost") }
        return 0
    }
}
