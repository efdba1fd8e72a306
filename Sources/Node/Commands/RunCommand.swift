import Agents
import Bus
import Foundation

extension CommandSpec {
    /// `--log-level` and `--log-format`, read by `RunFlags.logging`.
    func loggingOptions() -> CommandSpec {
        option("log-level", "LEVEL", "trace, debug, info (default; or AGORA_LOG_LEVEL), notice, warning, error.")
            .option("log-format", "FMT", "logfmt (default) or json.")
    }
}

/// Options shared by the commands that run a society.
enum RunFlags {
    static func logging(_ args: Arguments) throws -> Logger {
        let level: Logger.Level
        if let s = args.string("log-level") {
            guard let l = Logger.Level(name: s) else {
                throw UsageError("agora \(args.spec.path): --log-level: expected one of \(Logger.Level.allCases.map(\.description).joined(separator: ", ")), got '\(s)'")
            }
            level = l
        } else {
            level = LogSink.environmentLevel
        }
        let format = Logger.Format(rawValue: try args.choice("log-format", ["logfmt", "json"], default: "logfmt"))!
        return Logger(label: "agora", sink: LogSink(format: format, level: level))
    }

    static func tap(_ args: Arguments) throws -> (TapFilter, TapFormat) {
        let format = TapFormat(rawValue: try args.choice("format", ["line", "json"], default: "line"))!
        return (TapFilter(types: Set(args.strings("type")), symbols: Set(args.strings("symbol"))), format)
    }

    /// In one process every event type is this build's: an unknown `--type` is a mistake
    /// (`agora tap` on Redis only warns: other builds may publish types this one lacks).
    static func checkLocalTapTypes(_ filter: TapFilter, command: String) throws {
        if let (t, hint) = unknownTapTypes(filter).first {
            throw UsageError("agora \(command): --type: \"\(t)\" is not an event type\(hint); types: \(EventType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    /// The filter's types this build does not know, sorted, each with a suggestion (or "").
    static func unknownTapTypes(_ filter: TapFilter) -> [(type: String, hint: String)] {
        let known = EventType.allCases.map(\.rawValue)
        return filter.types.sorted().filter { !known.contains($0) }.map { t in
            (t, Arguments.closest(t, among: known).map { " (did you mean \"\($0)\"?)" } ?? "")
        }
    }

    /// `--speed X`: live mode, bars paced at X times real time.
    static func applySpeed(_ args: Arguments, to t: inout Topology) throws {
        guard args.string("speed") != nil else { return }
        t.market.speed = try args.double("speed", default: 1, range: 1e-6...1e9)
        t.market.mode = .live
    }

    static func loadTopology(_ path: String, flag: String = "--topology", requireData: Bool = true) throws -> Topology {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandError("\(path): no such file (give the topology with \(flag) FILE)")
        }
        do {
            return try TopologyLoader.load(path, requireData: requireData)
        } catch let f as TopologyLoader.Failure {
            throw CommandError(f.description.split(separator: "\n").map { "invalid topology: \($0)" }.joined(separator: "\n"))
        }
    }
}

/// `agora run`: the main job.
enum RunCommand: AgoraCommand {
    static let spec = CommandSpec("run", summary: "Run the whole agent society in one process (in-memory bus).")
        .option("topology", "FILE", "The topology (default: topology.json).")
        .option("tap", "PATTERN", "Print events matching PATTERN as they flow.", repeatable: true)
        .option("type", "TYPE", "With --tap: only events of this type.", repeatable: true)
        .option("symbol", "SYM", "With --tap: only events about this symbol.", repeatable: true)
        .option("format", "line|json", "With --tap: one readable line, or JSON Lines (default line).")
        .option("record", "FILE", "Write every event to FILE in the wire format (JSON Lines).")
        .option("outputs", "DIR", "Write the reports in DIR instead of the topology's outputs.dir.")
        .option("explain", "WHICH", "Print the decision chain of cycles: trades, all, or a cycle id like GOOG@2012-07-02T00:00:00Z.")
        .option("metrics", "HOST:PORT", "Serve Prometheus metrics at /metrics and a health check at /healthz while the run goes on.")
        .option("speed", "X", "Pace the bars at X times real time (live mode: votes have a timeout); default: the topology's market.mode.")
        .loggingOptions()
        .detail("""
            Runs every node of the topology in this process on the in-memory bus, replays the
            market data (cycle by cycle in backtest mode), then prints the statistics and the
            trades and writes the reports listed under "outputs" (by default in out/).
            """)

    static func run(_ args: Arguments) async throws -> Int32 {
        var topology = try RunFlags.loadTopology(args.string("topology") ?? "topology.json")
        try RunFlags.applySpeed(args, to: &topology)
        return try await runLocally(topology, args: args, title: topology.runTitle)
    }

    /// Runs `topology` in this process with the options `args` carries (those its command
    /// declares: tap, record, outputs, metrics, explain, logging), prints the summary.
    /// `inputs` replaces the topology's market data (replay).
    static func runLocally(_ topology: Topology, args: Arguments, title: String, inputs: MarketInputs? = nil) async throws -> Int32 {
        var options = LocalRun.Options(topology: topology)
        options.logger = try RunFlags.logging(args)
        options.tap = args.strings("tap")
        (options.tapFilter, options.tapFormat) = try RunFlags.tap(args)
        try RunFlags.checkLocalTapTypes(options.tapFilter, command: args.spec.path)
        options.record = args.string("record")
        options.outputsDir = args.string("outputs")
        options.metrics = args.string("metrics")
        options.handleSignals = true
        options.explain = args.string("explain").map { ExplainSelection(parsing: $0) }
        options.title = title
        let result = try await LocalRun.execute(options, inputs: inputs)
        Console.out(LocalRun.summary(result, bars: result.summary?.bars ?? 0))
        return 0
    }
}

/// `agora backtest`: a backtest of the data files given, with the agents of a topology.
enum BacktestCommand: AgoraCommand {
    static let spec = CommandSpec("backtest", summary: "Backtest data files with the whole agent society.")
        .option("data", "FILE", "A bar CSV file (Yahoo or time,open,high,low,close,volume).", repeatable: true)
        .option("symbol", "SYM", "Symbol of the data file(s) without a symbol column (default: the file name).")
        .option("news", "FILE", "A JSON Lines news file replayed with the bars.")
        .option("config", "FILE", "Agent settings from this topology (default: built-in defaults).")
        .option("trades", "FILE", "Write the trades as CSV.")
        .option("equity", "FILE", "Write the equity curve as CSV.")
        .option("json", "FILE", "Write the statistics as JSON.")
        .option("report", "FILE", "Write a self-contained HTML report.")
        .option("explain", "WHICH", "Print the decision chain of cycles: trades, all, or a cycle id.")
        .option("record", "FILE", "Write every event to FILE (JSON Lines).")
        .flag("skip-bad-rows", "Skip (and count) bad rows instead of refusing the file.")
        .loggingOptions()

    static func run(_ args: Arguments) async throws -> Int32 {
        var topology: Topology
        if let c = args.string("config") {
            // --data replaces market.data: a settings file without any is fine then.
            topology = try RunFlags.loadTopology(c, flag: "--config", requireData: args.strings("data").isEmpty)
        } else {
            topology = Topology(file: "")
        }
        let files = args.strings("data")
        guard !files.isEmpty || !topology.market.data.isEmpty else {
            throw UsageError("agora backtest: give at least one --data FILE (see --help)")
        }
        if !files.isEmpty {
            topology.market.data = files.map { Topology.DataFile(file: absolute($0), symbol: args.string("symbol")) }
        }
        if let n = args.string("news") { topology.market.news = absolute(n) }
        if args.flag("skip-bad-rows") { topology.market.skipBadRows = true }
        topology.market.mode = .backtest
        topology.nodes = [Topology.Node(name: "main", agents: Array(topology.placed).sorted { $0.rawValue < $1.rawValue })]
        for (i, d) in topology.market.data.enumerated() where !FileManager.default.isReadableFile(atPath: topology.resolve(d.file)) {
            throw CommandError("--data \(files.isEmpty ? "market.data[\(i)]" : d.file): cannot read the file")
        }
        var options = LocalRun.Options(topology: topology)
        options.logger = try RunFlags.logging(args)
        options.writeDefaults = false
        options.trades = args.string("trades")
        options.equity = args.string("equity")
        options.stats = args.string("json")
        options.report = args.string("report")
        options.record = args.string("record")
        options.explain = args.string("explain").map { ExplainSelection(parsing: $0) }
        options.title = "Agora backtest — \(topology.market.data.map { ($0.file as NSString).lastPathComponent }.joined(separator: ", "))"
        let result = try await LocalRun.execute(options)
        Console.out(LocalRun.summary(result, bars: result.summary?.bars ?? 0))
        return 0
    }

    static func absolute(_ p: String) -> String {
        p.hasPrefix("/") ? p : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(p)
    }
}
