import Agents
import Bus
import Foundation
import Orchestrator
import Synchronization

/// `agora node NAME`: one node of the topology, over Redis.
enum NodeCommand: AgoraCommand {
    static let spec = CommandSpec("node", summary: "Run one node of the topology over Redis.")
        .positional("NAME", "The node's name in the topology.")
        .option("topology", "FILE", "The topology (default: topology.json).")
        .option("bus", "URL", "Redis URL, replacing the topology's bus.url.")
        .option("prefix", "PREFIX", "Channel prefix, replacing the topology's bus.prefix.")
        .option("outputs", "DIR", "Write the reports in DIR instead of the topology's outputs.dir.")
        .option("record", "FILE", "Write every event this node sees to FILE (JSON Lines).")
        .option("metrics", "HOST:PORT", "Serve Prometheus metrics at /metrics and a health check at /healthz.")
        .option("speed", "X", "Pace the bars at X times real time (live mode); give every node the same.")
        .option("heartbeat", "SECONDS", "Heartbeat interval (default 1); a node silent for 3 intervals is down.")
        .option("startup-timeout", "SECONDS", "Backtests wait this long for every node to come up (default 60).")
        .loggingOptions()
        .detail("""
            Builds the agents the topology places in NAME and connects them to Redis. Every
            node publishes system.heartbeat.NAME; one that stops is reported down and the
            orchestrator decides without its votes. In backtest mode the node with the market
            data waits until every node is up, then replays cycle by cycle. The run ends at
            system.finished: the node with the portfolio writes the reports, the node with the
            journal its report, and every node exits 0. SIGINT or SIGTERM: stop taking new bars,
            finish the cycle in flight, flush, exit 0; a second signal exits at once.
            """)

    static func run(_ args: Arguments) async throws -> Int32 {
        var topology = try RunFlags.loadTopology(args.string("topology") ?? "topology.json")
        try RunFlags.applySpeed(args, to: &topology)
        return try await runNode(args.positional(0)!, topology: topology, args: args)
    }

    /// Runs node `name` of `topology`; `inputs` replaces the topology's market data (replay).
    static func runNode(_ name: String, topology given: Topology, args: Arguments, inputs replayed: MarketInputs? = nil) async throws -> Int32 {
        var topology = given
        guard let node = topology.node(name) else {
            let names = topology.nodes.map(\.name)
            let hint = Arguments.closest(name, among: names).map { " (did you mean \"\($0)\"?)" } ?? ""
            throw CommandError("no node \"\(name)\" in \(topology.file)\(hint); nodes: \(names.joined(separator: ", "))")
        }
        if let p = args.string("prefix") { topology.bus.prefix = p }
        guard let url = args.string("bus") ?? topology.bus.url else {
            throw CommandError("no Redis URL: set bus.url in \(topology.file) or pass --bus redis://host:port")
        }
        let interval = try args.double("heartbeat", default: 1, range: 0.01...3600)
        let startupTimeout = try args.double("startup-timeout", default: 60, range: 0.1...86_400)
        let logger = try RunFlags.logging(args).labeled("node/\(name)")
        let metrics = args.string("metrics") != nil ? Metrics() : nil
        let clock = SystemClock()

        let bus: RedisBus
        do {
            bus = try await RedisBus.connect(try topology.bus.redisConfiguration(url: url, prefix: topology.bus.prefix), logger: logger.labeled("bus.redis"))
        } catch {
            throw CommandError("\(error)")
        }
        let executor = AgentExecutor(name: "agora-\(name)")
        defer { executor.stop() }

        var feed: MarketFeed?
        if node.agents.contains(.marketData) {
            let inputs = try replayed ?? LocalRun.inputs(topology)
            if replayed == nil {
                do {
                    if let w = MarketInputs.untradedNewsWarning(try inputs.check().census) { logger.warning(w) }
                } catch { throw CommandError(error.description) }
            }
            do { feed = try inputs.open() } catch { throw CommandError(error.description) }
        }
        let collector = node.agents.contains(.portfolio)
            ? try await RunCollector(bus: bus, executor: executor, initialCash: topology.portfolio.initialCash, keepAll: false) : nil
        // --record, else the topology's outputs.events with the node's name: events.jsonl → events.NAME.jsonl.
        let eventLog = args.string("record") ?? RunOutputs.Paths(topology: topology, dir: args.string("outputs")).events.map { p in
            let ext = (p as NSString).pathExtension
            return (p as NSString).deletingPathExtension + ".\(name)" + (ext.isEmpty ? "" : ".\(ext)")
        }
        let recorder = try eventLog.map { try EventRecorderBox(bus: bus, path: $0) }
        let society = try await Society.build(
            topology: topology, nodes: [node], bus: bus, executor: executor, clock: clock, logger: logger,
            metrics: metrics, market: feed)

        let heartbeat = HeartbeatPublisher(node: name, agents: node.agents.map(\.rawValue), bus: bus, clock: clock, interval: .seconds(interval))
        var voterNodes: [String: String] = [:]
        for n in topology.nodes { for a in n.agents where AgentKind.voters.contains(a) { voterNodes[a.rawValue] = n.name } }
        let watch = try await NodeWatch(
            bus: bus, nodes: topology.nodes.map(\.name), voterNodes: voterNodes, clock: clock, interval: interval,
            logger: logger, metrics: metrics, orchestrator: society.orchestrator, own: (name, heartbeat))
        var server: MetricsServer?
        if let address = args.string("metrics"), let metrics {
            let s = try MetricsServer(
                address: address,
                render: { NodeMetrics.render(metrics, bus: bus, node: name) },
                health: {
                    let r = bus.redisStatistics()
                    if r.publisherConnected && r.subscriberConnected { return (true, "ok: node \(name) connected to Redis") }
                    return (false, "unhealthy: node \(name): Redis " + (r.publisherConnected ? "subscriber" : "publisher") + " connection is down")
                })
            s.start()
            server = s
            logger.info("metrics at http://\(s.host):\(s.port)/metrics")
        }
        defer { server?.stop() }

        let stop = StopFlag()
        let marketData = society.marketData
        // In a backtest another node's market data is the run's clock (`feedNode`). A node
        // other than the feed stays after a signal for the run to wind down: its heartbeat
        // says `stopping`, the feed then ends the data as at its own signal, and the run
        // finishes normally (complete reports, every node exits 0).
        let feedNode = topology.market.mode == .backtest && marketData == nil
            ? topology.nodes.first { $0.agents.contains(.marketData) }?.name : nil
        let signals = SignalHandler { sig in
            stop.set()
            logger.info("signal \(sig): stopping\(feedNode != nil ? ": the run ends after the cycle in flight" : "") (a second signal exits at once)")
            if let md = marketData { Task { await md.requestStop() } }
            Task { await heartbeat.set(status: "stopping") }
        }
        defer { signals.cancel() }

        var side: [Task<Void, Never>] = []
        if let collector { side.append(Task { await collector.run() }) }
        if let r = try await recorder?.make() { side.append(executor.start { await r.run() }) }
        var observer: MetricsObserver?
        if let metrics {
            let o = try await MetricsObserver(bus: bus, executor: executor, metrics: metrics, localNodes: [name])
            side.append(Task { await o.run() })
            observer = o
        }
        let beats = Task { await heartbeat.run() }
        let watching = Task { await watch.run() }
        // One process per node name: a process already running this node beats within an
        // interval. If one does, this one refuses to start (its agents would trade twice).
        if let rival = await watch.claim(within: max(0.1, interval * 1.5), stopped: { stop.isSet }) {
            beats.cancel()
            watching.cancel()
            throw CommandError(rival.status == "starting"
                ? "node \(name): another process is starting node \(name) on the same bus at the same time; node names must be unique: start one of them"
                : "node \(name) already runs in another process on the same bus (up \(Fmt.fixed(rival.uptimeSeconds, 1)) s); node names must be unique: stop that process or run this one under another name")
        }
        if !stop.isSet { await heartbeat.set(status: "up") }
        society.start()
        logger.info("node \(name) up with \(node.agents.map(\.rawValue).joined(separator: ", ")) on \(bus.transport)")

        var dataEnded: ContinuousClock.Instant?
        if society.marketData != nil {
            var ready = true
            if topology.market.mode == .backtest {
                // A signal while waiting for the other nodes stops this one (exit 0), at once.
                let missing = await watch.waitForAll(timeout: startupTimeout, stopped: { stop.isSet })
                ready = !stop.isSet
                if ready && !missing.isEmpty {
                    throw CommandError("nodes \(missing.joined(separator: ", ")) did not come up within \(Fmt.fixed(startupTimeout, 0)) s (no heartbeat)")
                }
            }
            if ready {
                // In a backtest, another node told to stop asks the run to end: the data
                // ends after the cycle in flight, as at a signal to this node.
                let peers = topology.market.mode == .backtest ? Task { [md = society.marketData!] in
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(100))
                        if let n = await watch.stoppingNode() {
                            logger.warning("node \(n) is stopping: the backtest ends after the cycle in flight")
                            await md.requestStop()
                            return
                        }
                    }
                } : nil
                defer { peers?.cancel() }
                let summary: MarketReplaySummary?
                do {
                    summary = try await society.runMarket()
                } catch let e as CommandError {
                    // Which nodes are down says more than the guess in a cycle timeout.
                    let down = await watch.down.sorted()
                    throw down.isEmpty ? e : CommandError(e.message + " (nodes down: \(down.joined(separator: ", ")))", exitCode: e.exitCode)
                }
                logger.info("market data replayed: \(summary?.bars ?? 0) bars")
                dataEnded = .now
            }
        }
        // Until the run is over, or a signal asks this node to stop. If the feed is down for
        // longer than a cycle may take, the run cannot finish, and this node says so instead
        // of waiting on.
        let feedLimit = topology.market.cycleTimeoutSeconds
        let abandoned = StopFlag()
        // After the end of the data the run ends when the portfolio has no order pending.
        // An order nobody answers (the node running risk or execution is gone) would keep
        // every node waiting: the node that replayed the data gives it one cycle's time.
        let unfinished = StopFlag()
        let ended = dataEnded
        let finished: RunFinished? = await withTaskGroup(of: RunFinished?.self) { g in
            g.addTask { await society.waitForFinish() }
            g.addTask {
                var ticks = 0
                var windingDownUntil: ContinuousClock.Instant?
                while !Task.isCancelled {
                    if stop.isSet {
                        // Only while the feed is there to end the run.
                        guard let feedNode, await watch.isUp(feedNode) else { break }
                        let until = windingDownUntil ?? .now + .seconds(2 * feedLimit + 5)
                        windingDownUntil = until
                        if ContinuousClock.now > until {
                            logger.warning("the run did not end within \(Fmt.fixed(2 * feedLimit + 5, 0)) s of the signal: stopping anyway")
                            break
                        }
                    }
                    try? await Task.sleep(for: .milliseconds(50))
                    ticks += 1
                    if let feedNode, ticks % 10 == 0, let silent = await watch.silentSeconds(feedNode), silent > feedLimit {
                        logger.error("node \(feedNode), which replays the market data, has been down for \(Fmt.fixed(silent, 0)) s (over cycleTimeoutSeconds \(Fmt.fixed(feedLimit, 0))): the backtest cannot finish; stopping")
                        abandoned.set()
                        break
                    }
                    if let ended, ContinuousClock.now - ended > .seconds(feedLimit) {
                        unfinished.set()
                        break
                    }
                }
                return nil
            }
            let first = await g.next() ?? nil
            g.cancelAll()
            return first
        }
        if let f = finished { logger.info("run finished: \(f.trades) trades, equity \(Fmt.fixed(f.equity, 2))") }
        // Let what this node accepted be handled before it leaves.
        await drain(bus)
        await heartbeat.set(status: "stopping")
        var written: [String] = []
        // Reports of a run that failed (no system.finished, no signal asking to stop) would
        // replace an earlier run's with partial figures that nothing marks: not written.
        let complete = finished != nil || stop.isSet
        if (collector != nil || society.journal != nil) && !complete {
            logger.warning("reports not written: the run did not finish (earlier reports in the outputs are left as they were)")
        }
        if (collector != nil || society.journal != nil) && complete {
            let rec = await collector?.recorder
            written = try RunOutputs.write(
                RunOutputs.Paths(topology: topology, dir: args.string("outputs")), recorder: rec,
                stats: rec.map { BacktestStatistics.compute($0.inputs) }, title: topology.runTitle, journal: await society.journal?.currentReport())
        }
        beats.cancel()
        watching.cancel()
        await observer?.stop()
        await society.shutdown()
        for s in side { await s.value }
        if !written.isEmpty { logger.info("wrote \(written.joined(separator: ", "))") }
        if unfinished.isSet {
            let down = await watch.down.sorted()
            throw CommandError("node \(name): the run did not finish within \(Fmt.fixed(feedLimit, 0)) s (cycleTimeoutSeconds) of the end of the data: an order is still unanswered"
                + (down.isEmpty ? " (are the nodes running risk and execution up?)" : "; nodes down: \(down.joined(separator: ", "))"))
        }
        if abandoned.isSet, let feedNode {
            throw CommandError("node \(name): stopped because node \(feedNode) (the market data) went down before the backtest finished (its log says why)")
        }
        // Events this node accepted but could not hand to Redis before it stopped are lost:
        // said in one line, and the exit status says so too.
        let lost = bus.redisStatistics().abandoned
        if lost > 0 {
            throw CommandError("node \(name): \(lost) accepted event\(lost == 1 ? "" : "s") could not be sent to \(topology.bus.url ?? "redis") before it stopped, and \(lost == 1 ? "was" : "were") lost")
        }
        return 0
    }

    /// Waits until this process's queues are empty and stay so for a moment.
    static func drain(_ bus: any EventBus) async {
        var quiet = 0
        for _ in 0..<400 {
            if bus.statistics().queueDepth == 0 { quiet += 1 } else { quiet = 0 }
            if quiet >= 4 { return }
            try? await Task.sleep(for: .milliseconds(25))
        }
    }
}

/// The node's metrics, with the bus counters read at scrape time.
enum NodeMetrics {
    static let families: [(String, Metrics.Kind, String)] = [
        ("agora_events_published_total", .counter, "Events this process published on the bus."),
        ("agora_reconnects_total", .counter, "Reconnections of this process's bus connections."),
        ("agora_queue_depth", .gauge, "Events waiting in a subscription's queue."),
        ("agora_dropped_total", .counter, "Events a subscription dropped (drop-oldest/newest policies)."),
        ("agora_gaps_total", .counter, "Events a subscription missed, from per-publisher sequence gaps."),
        ("agora_malformed_total", .counter, "Messages a subscription refused as malformed."),
        ("agora_delivered_total", .counter, "Events delivered to a subscription's consumer."),
    ]

    static func render(_ m: Metrics, bus: any EventBus, node: String) -> String {
        for (name, kind, help) in families { m.describe(name, kind, help) }
        let s = bus.statistics()
        m.set("agora_events_published_total", ["node": node], Double(s.published))
        m.set("agora_reconnects_total", ["node": node], Double(s.reconnects))
        for sub in s.subscriptions {
            m.set("agora_queue_depth", ["subscription": sub.name], Double(sub.depth))
            m.set("agora_dropped_total", ["subscription": sub.name], Double(sub.dropped))
            m.set("agora_gaps_total", ["subscription": sub.name], Double(sub.gaps))
            m.set("agora_malformed_total", ["subscription": sub.name], Double(sub.malformed))
            m.set("agora_delivered_total", ["subscription": sub.name], Double(sub.delivered))
        }
        return m.render()
    }
}

/// A flag set once (by a signal) and read from anywhere.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
}
