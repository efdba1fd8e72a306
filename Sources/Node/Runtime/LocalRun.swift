import Orchestrator
import Agents
import Bus
import Foundation
import Orchestrator

/// Collects what the reports need while a run goes on.
actor RunCollector {
    nonisolated let unownedExecutor: UnownedSerialExecutor
    private let executor: AgentExecutor
    private let subscription: Subscription
    private(set) var recorder: RunRecorder
    private(set) var events: [Envelope] = []
    private let keepAll: Bool

    static let patterns = ["market.bar.*", "portfolio.snapshot", "trade.closed.*", "decision.*", "order.denied.*", "order.filled.*", "system.halt"]

    init(bus: any EventBus, executor: AgentExecutor, initialCash: Double, keepAll: Bool) async throws {
        unownedExecutor = executor.asUnownedSerialExecutor()
        self.executor = executor
        recorder = RunRecorder(initialCash: initialCash)
        self.keepAll = keepAll
        subscription = try await bus.subscribe(keepAll ? ["*"] : RunCollector.patterns, options: SubscriptionOptions(name: "reports", policy: .suspend(capacity: 65_536), endsOnTaskCancellation: false))
    }

    /// Collects on the agents' event loop (no task wake-up per event), a batch per call.
    func run() async {
        await subscription.deliverBatches(on: executor.eventLoop) { [self] _, batch in await self.record(&batch) }
    }

    private func record(_ batch: inout EnvelopeBatch) {
        batch.forEach { e in
            recorder.record(e)
            if keepAll { events.append(copy e) }
        }
    }
}

/// Prints events as they flow (`--tap` inside one process).
actor LocalTap {
    private let subscription: Subscription
    private let filter: TapFilter
    private let format: TapFormat

    init(bus: any EventBus, patterns: [String], filter: TapFilter, format: TapFormat) async throws {
        subscription = try await bus.subscribe(patterns, options: SubscriptionOptions(name: "tap", policy: .suspend(capacity: 65_536)))
        self.filter = filter
        self.format = format
    }

    func run() async {
        for await e in subscription where filter.accepts(e) {
            switch format {
            case .line: Console.out(TapFormat.line(e) + "\n")
            case .json: Console.out(EventCodec.encodeString(e) + "\n")
            }
        }
    }
}

/// Which cycles `--explain` prints.
enum ExplainSelection: Equatable {
    /// Cycles that produced an order (the default for a bare `--explain`).
    case trades
    case all
    case cycle(String)

    init(parsing s: String?) {
        switch s {
        case nil, "trades"?: self = .trades
        case "all"?: self = .all
        case let c?: self = .cycle(c)
        }
    }

    func includes(_ events: [Envelope]) -> Bool {
        switch self {
        case .all: return true
        case .trades: return events.contains { if case .orderRequest = $0.payload { return true } else { return false } }
        case .cycle: return true
        }
    }
}

/// `agora run` and `agora backtest`: the whole society in one process on the in-memory bus.
enum LocalRun {
    struct Options {
        var topology: Topology
        var tap: [String] = []
        var tapFilter = TapFilter()
        var tapFormat = TapFormat.line
        var record: String?
        var explain: ExplainSelection?
        /// Output paths; nil keeps the topology's (relative to its `outputs.dir`).
        var trades: String?
        var equity: String?
        var stats: String?
        var report: String?
        var journal: String?
        /// Replaces the topology's `outputs.dir`.
        var outputsDir: String?
        /// Serve Prometheus metrics at this HOST:PORT while the run goes on.
        var metrics: String?
        /// Add up each agent's handler time here (`bench backtest --breakdown`).
        var handlerTimes: HandlerTimes?
        /// Stop on SIGINT/SIGTERM (finish the cycle in flight, write the reports).
        var handleSignals = false
        var writeDefaults = true
        var title = "Agora backtest"
        var logger = Logger(label: "agora")
        var quiet = false
    }

    struct Result {
        var stats: BacktestStats
        var recorder: RunRecorder
        var summary: MarketReplaySummary?
        var written: [String]
        var seconds: Double
        var finished: RunFinished?
        /// The bus's counters at the end of the run (events published, per subscription delivered).
        var bus: BusStatistics
    }

    static func inputs(_ t: Topology) throws -> MarketInputs {
        var news: [MarketInputs.NewsInput] = []
        if let n = t.market.news {
            do {
                news.append(.items(try NewsFile.read(path: t.resolve(n)), name: n))
            } catch {
                throw CommandError(error.description)
            }
        }
        return MarketInputs(bars: t.market.data.map { .csv(path: t.resolve($0.file), symbol: $0.symbol) }, news: news, skipBadRows: t.market.skipBadRows)
    }

    static func execute(_ o: Options, inputs given: MarketInputs? = nil) async throws -> Result {
        let t = o.topology
        // Refused before anything runs: a run's outputs each need a file of their own.
        let paths = RunOutputs.Paths(topology: t, dir: o.outputsDir, writeDefaults: o.writeDefaults,
                                     trades: o.trades, equity: o.equity, stats: o.stats, report: o.report, journal: o.journal)
        if let clash = paths.collision(record: o.record) { throw CommandError(clash) }
        let inputs = try given ?? inputs(t)
        // A bad file is refused before trading starts (unless bad rows are skipped).
        if given == nil {
            let checked: MarketFeed.Census
            do { checked = try inputs.check().census } catch { throw CommandError(error.description) }
            if let w = MarketInputs.untradedNewsWarning(checked) { o.logger.warning(w) }
            if checked.bars == 0 && t.placed.contains(.marketData) {
                throw CommandError("\(t.market.data.map(\.file).joined(separator: ", ")): no bars to trade (only a header, or every row skipped)")
            }
        }
        let feed: MarketFeed
        do { feed = try inputs.open() } catch { throw CommandError(error.description) }

        let bus = InMemoryBus()
        let executor = AgentExecutor(name: "agora-agents")
        defer { executor.stop() }
        let collector = try await RunCollector(bus: bus, executor: executor, initialCash: t.portfolio.initialCash, keepAll: o.explain != nil)
        let tap = o.tap.isEmpty ? nil : try await LocalTap(bus: bus, patterns: o.tap, filter: o.tapFilter, format: o.tapFormat)
        let eventLog = o.record ?? (o.writeDefaults ? RunOutputs.Paths(topology: t, dir: o.outputsDir).events : nil)
        let recorder = try eventLog.map { path in try EventRecorderBox(bus: bus, path: path) }
        let metrics = o.metrics != nil ? Metrics() : nil
        let society = try await Society.build(
            topology: t, nodes: t.nodes, bus: bus, executor: executor, clock: SystemClock(), logger: o.logger,
            metrics: metrics, handlerTimes: o.handlerTimes, market: feed)
        var side: [Task<Void, Never>] = [Task { await collector.run() }]
        var observer: MetricsObserver?
        var server: MetricsServer?
        if let metrics, let address = o.metrics {
            let obs = try await MetricsObserver(bus: bus, executor: executor, metrics: metrics, localNodes: t.nodes.map(\.name))
            side.append(Task { await obs.run() })
            observer = obs
            let srv = try MetricsServer(
                address: address,
                render: { NodeMetrics.render(metrics, bus: bus, node: "local") },
                health: { (true, "ok: agora run") })
            srv.start()
            server = srv
            o.logger.info("metrics at http://\(srv.host):\(srv.port)/metrics")
        }
        defer { server?.stop() }
        var signals: SignalHandler?
        if o.handleSignals, let md = society.marketData {
            let logger = o.logger
            signals = SignalHandler { sig in
                logger.info("signal \(sig): stopping after the cycle in flight (a second signal exits at once)")
                Task { await md.requestStop() }
            }
        }
        defer { signals?.cancel() }
        if let tap { side.append(executor.start { await tap.run() }) }
        if let r = try await recorder?.make() { side.append(executor.start { await r.run() }) }
        society.start()
        let t0 = Monotonic.nanoseconds()
        let summary: MarketReplaySummary?
        do {
            summary = try await society.runMarket()
        } catch {
            await society.shutdown()
            for s in side { await s.value }
            throw error
        }
        let finished = await withTaskGroup(of: RunFinished?.self) { g in
            g.addTask { await society.waitForFinish() }
            g.addTask {
                // A topology without a portfolio never finishes by itself: quiescence ends it.
                await bus.waitUntilIdle()
                try? await Task.sleep(for: .milliseconds(t.placed.contains(.portfolio) ? 60_000 : 0))
                return nil
            }
            let first = await g.next() ?? nil
            g.cancelAll()
            return first
        }
        await bus.waitUntilIdle()
        let seconds = Double(Monotonic.nanoseconds() - t0) / 1e9
        let busStats = bus.statistics()
        await observer?.stop()
        await society.shutdown()
        for s in side { await s.value }

        let rec = await collector.recorder
        let stats = BacktestStatistics.compute(rec.inputs)
        var written = try RunOutputs.write(paths, recorder: rec, stats: stats, title: o.title, journal: await society.journal?.currentReport())
        if let eventLog { written.append(eventLog) }
        if let sel = o.explain {
            let events = await collector.events
            if ExplainCommand.printChains(events, sel) == 0, case .cycle(let c) = sel {
                let first = Explain.cycles(events).first?.id ?? "none"
                throw CommandError("--explain: no cycle \"\(c)\" in this run (cycle ids look like \(first); or use trades, all)")
            }
        }
        return Result(stats: stats, recorder: rec, summary: summary, written: written, seconds: seconds, finished: finished, bus: busStats)
    }

    /// The end-of-run summary: the stats table, the last trades, where reports went.
    static func summary(_ r: Result, bars: Int) -> String {
        var out = "\n" + RunReports.statsTable(r.stats)
        let trades = r.recorder.trades
        if !trades.isEmpty {
            out += "\nTrades (\(trades.count)\(trades.count > 10 ? ", last 10" : "")):\n"
            var table = TextTable(["#", "symbol", "side", "qty", "entry", "price", "exit", "price", "P&L", "reason"])
            for t in trades.suffix(10) {
                table.add([t.tradeId, t.symbol, t.side.rawValue, Fmt.grouped(t.quantity), Fmt.when(t.entryTime), Fmt.price(t.entryPrice),
                           Fmt.when(t.exitTime), Fmt.price(t.exitPrice), Fmt.fixed(t.pnl, 2), t.exitReason])
            }
            out += table.rendered
        }
        if !r.recorder.openPositions.isEmpty {
            out += "\nOpen at the end (not in the trades; valued in the equity at the last price):\n"
                + r.recorder.openPositions.map { "  " + RunReports.describe($0) + "\n" }.joined()
        }
        if let s = r.summary, s.skippedCount > 0 {
            out += "\n" + s.skipped.map(\.description).joined(separator: "\n") + "\n"
        }
        out += "\n\(bars) bars in \(Fmt.fixed(r.seconds, 2)) s (\(Fmt.grouped(Double(bars) / max(r.seconds, 1e-9))) bars/s)\n"
        if !r.written.isEmpty { out += "Wrote: " + r.written.joined(separator: ", ") + "\n" }
        return out
    }
}

/// Creates the `--record` writer after the bus exists (the file is opened first, so a bad
/// path fails before the run starts).
struct EventRecorderBox {
    let bus: any EventBus
    let path: String
    init(bus: any EventBus, path: String) throws {
        self.bus = bus
        self.path = path
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CommandError("cannot write \(path)")
        }
    }
    func make() async throws -> EventRecorder { try await EventRecorder(bus: bus, path: path) }
}

/// Writes a run's reports: stats JSON, trades and equity CSVs, the HTML report, the journal.
enum RunOutputs {
    struct Paths {
        var trades: String?
        var equity: String?
        var stats: String?
        var report: String?
        var journal: String?
        /// The event log (`outputs.events`), when the topology asks for one.
        var events: String?

        /// Explicit paths win; otherwise (with `writeDefaults`) the topology's outputs,
        /// in `dir` or the topology's `outputs.dir`.
        init(topology t: Topology, dir: String?, writeDefaults: Bool = true, trades: String? = nil, equity: String? = nil,
             stats: String? = nil, report: String? = nil, journal: String? = nil) {
            func path(_ override: String?, _ configured: String?) -> String? {
                if let override { return override }
                guard writeDefaults, let configured else { return nil }
                if let dir { return (dir as NSString).appendingPathComponent(configured) }
                return t.resolve((t.outputs.dir as NSString).appendingPathComponent(configured))
            }
            self.trades = path(trades, t.outputs.trades)
            self.equity = path(equity, t.outputs.equity)
            self.stats = path(stats, t.outputs.stats)
            self.report = path(report, t.outputs.report)
            self.journal = path(journal, t.outputs.journal)
            self.events = path(nil, t.outputs.events)
        }

        /// Two outputs that would write one file (the later would silently replace the
        /// earlier): the first such pair, as a one-line problem. `record` is the event log
        /// asked for on the command line.
        func collision(record: String?) -> String? {
            var taken: [String: String] = [:]
            var outputs = [("trades", trades), ("equity", equity), ("stats", stats), ("report", report), ("journal", journal),
                           ("events", record ?? events)]
            if let journal { outputs.append(("journal's Markdown", (journal as NSString).deletingPathExtension + ".md")) }
            for (name, path) in outputs {
                guard let path else { continue }
                let file = URL(fileURLWithPath: path).standardizedFileURL.path
                if let other = taken[file] { return "the \(other) and \(name) outputs would both write \(file)" }
                taken[file] = name
            }
            return nil
        }
    }

    /// Writes what `paths` asks for; returns the files written.
    static func write(_ paths: Paths, recorder rec: RunRecorder?, stats: BacktestStats?, title: String, journal: CoachingReport?) throws -> [String] {
        var written: [String] = []
        if let rec, let stats {
            if let p = paths.trades { try RunReports.write(RunReports.tradesCSV(rec.trades), to: p); written.append(p) }
            if let p = paths.equity { try RunReports.write(RunReports.equityCSV(rec), to: p); written.append(p) }
            if let p = paths.stats { try RunReports.write(RunReports.statsJSON(stats), to: p); written.append(p) }
            if let p = paths.report { try RunReports.write(HTMLReport.render(title: title, stats: stats, recorder: rec), to: p); written.append(p) }
        }
        if let journal, let p = paths.journal {
            try RunReports.write(journal.jsonText(), to: p)
            let md = (p as NSString).deletingPathExtension + ".md"
            try RunReports.write(journal.markdown, to: md)
            written += [p, md]
        }
        return written
    }
}
