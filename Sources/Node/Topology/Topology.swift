import Agents
import Bus
import Foundation
import Orchestrator

/// The agents a topology can place in nodes.
enum AgentKind: String, CaseIterable, Sendable {
    case marketData = "market-data"
    case technical
    case sentiment
    case risk
    case orchestrator
    case portfolio
    case execution
    case journal

    /// Agents every topology must run.
    static let required: [AgentKind] = [.marketData, .orchestrator, .portfolio, .risk, .execution]
    /// Agents that vote on every bar.
    static let voters: [AgentKind] = [.technical, .sentiment, .risk]
}

/// topology.json, validated. See docs/topology.md for the schema.
struct Topology: Sendable {
    struct Bus: Sendable, Equatable {
        enum Kind: String, CaseIterable, Sendable { case memory, redis }
        var kind: Kind = .memory
        var url: String?
        var prefix: String = ""
        /// The Redis connection's other settings (timeouts, whenDisconnected, limits).
        var redis = RedisConfiguration()

        /// Every setting of the Redis connection: the URL and prefix (`url`/`prefix` override).
        func redisConfiguration(url: String, prefix: String) throws(RedisConfigurationError) -> RedisConfiguration {
            var c = redis
            c.url = try RedisURL(parsing: url)
            c.prefix = prefix
            return c
        }
    }

    struct DataFile: Sendable, Equatable {
        var file: String
        /// The symbol of every bar in the file, when the file has no `symbol` column.
        var symbol: String?
    }

    struct Market: Sendable, Equatable {
        enum Mode: String, CaseIterable, Sendable { case backtest, live }
        var mode: Mode = .backtest
        var symbols: [String] = []
        var data: [DataFile] = []
        var news: String?
        /// Replay speed (× real time); nil: as fast as the pipeline allows.
        var speed: Double?
        var skipBadRows = false
        var cycleTimeoutSeconds = 30.0
    }

    struct Node: Sendable, Equatable {
        var name: String
        var agents: [AgentKind]
    }

    struct Outputs: Sendable, Equatable {
        var dir = "out"
        var trades: String? = "trades.csv"
        var equity: String? = "equity.csv"
        var stats: String? = "stats.json"
        var report: String? = "report.html"
        var journal: String? = "journal.json"
        var events: String?
    }

    var file: String
    var bus = Bus()
    var market = Market()
    var voting = VotingConfig()
    var portfolio = PortfolioConfig()
    var risk = RiskLimits()
    var execution = ExecutionConfig()
    var technical = TechnicalConfig()
    var sentiment = SentimentAgentConfig()
    var journal = JournalAgent.Config()
    /// The language model that may rephrase the journal's report (optional).
    var journalLLM: LLMConfig?
    var nodes: [Node] = [Node(name: "main", agents: AgentKind.allCases)]
    var outputs = Outputs()

    /// The reports' title: the run and its data files.
    var runTitle: String { "Agora run — \(market.data.map(\.file).joined(separator: ", "))" }

    /// Every agent placed in some node.
    var placed: Set<AgentKind> { Set(nodes.flatMap(\.agents)) }

    /// The voting agents that run, by name.
    var runningVoters: [String] { AgentKind.voters.filter { placed.contains($0) }.map(\.rawValue).sorted() }

    func node(_ name: String) -> Node? { nodes.first { $0.name == name } }

    /// Resolves a path given in the topology relative to the topology file's folder.
    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        let dir = (file as NSString).deletingLastPathComponent
        return dir.isEmpty ? path : (dir as NSString).appendingPathComponent(path)
    }

    var orchestratorConfig: OrchestratorConfig {
        OrchestratorConfig(
            voting: voting, voters: runningVoters, mode: market.mode == .backtest ? .backtest : .live,
            awaitExecutionReport: placed.contains(.execution))
    }

    var riskConfig: RiskConfig {
        RiskConfig(limits: risk, initialCash: portfolio.initialCash, sectors: portfolio.sectors)
    }
}

/// Loads and validates topology.json, reporting one line per problem.
enum TopologyLoader {
    struct Failure: Error, CustomStringConvertible {
        let file: String
        let problems: [ConfigProblem]
        var description: String { problems.map { "\(file): \($0)" }.joined(separator: "\n") }
    }

    /// `requireData: false` when the data files come from elsewhere (`backtest --data`): then
    /// `market.data` may be empty, and its files need not exist.
    static func load(_ file: String, requireData: Bool = true) throws -> Topology {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw Failure(file: file, problems: [ConfigProblem(path: "", message: "cannot read the file")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw Failure(file: file, problems: [ConfigProblem(path: "", message: "not UTF-8 text")])
        }
        let json: JSONValue
        do {
            json = try ConfigReader.parse(text, file: file)
        } catch let p as ConfigProblem {
            throw Failure(file: file, problems: [ConfigProblem(path: "", message: p.path == file ? p.message : "\(p.path.dropFirst(file.count + 1)): \(p.message)")])
        }
        let (topology, problems) = decode(json, file: file, requireData: requireData)
        if !problems.isEmpty { throw Failure(file: file, problems: problems) }
        return topology
    }

    /// The Redis settings a topology's `bus` may carry besides kind, url and prefix.
    static let redisKeys = ["connectTimeout", "readTimeout", "healthCheckInterval", "whenDisconnected", "publishQueueCapacity",
                            "publishQueueBytes", "maxMessageBytes", "reconnectInitialDelay", "reconnectMaxDelay", "shutdownTimeout", "clientName"]

    static let topKeys = ["bus", "market", "agents", "nodes", "outputs", "$comment"]

    static func decode(_ json: JSONValue, file: String, checkFiles: Bool = true, requireData: Bool = true) -> (Topology, [ConfigProblem]) {
        let r = ConfigReader()
        var t = Topology(file: file)
        guard let top = r.object(json, at: "", allowed: topKeys) else {
            r.problem("", "the topology must be a JSON object")
            return (t, r.problems)
        }

        if let bus = r.object(top["bus"], at: "bus", allowed: ["kind", "url", "prefix"] + Self.redisKeys) {
            t.bus.kind = r.choice(bus, "kind", at: "bus", default: .memory)
            t.bus.url = r.string(bus, "url", at: "bus")
            t.bus.prefix = r.string(bus, "prefix", at: "bus") ?? ""
            let settings = bus.filter { Self.redisKeys.contains($0.key) }
            if !settings.isEmpty, let c = decodeCodable(RedisConfiguration.self, .object(settings.sorted { $0.key < $1.key }.map { JSONValue.Member($0.key, $0.value) }), at: "bus", r) {
                t.bus.redis = c
                do { try c.validate() } catch { r.problem("bus", error.message) }
            }
            if let url = t.bus.url, !url.hasPrefix("redis://") {
                r.problem("bus.url", "expected a redis://[user:password@]host:port[/db] URL, found \"\(url)\"")
            } else if let url = t.bus.url {
                // What `agora node` will parse: checked here too, so check says what node would.
                do { _ = try t.bus.redisConfiguration(url: url, prefix: t.bus.prefix) } catch { r.problem("bus.url", error.message) }
            }
            if t.bus.kind == .redis || t.bus.url != nil {
                var c = t.bus.redis
                c.prefix = t.bus.prefix
                do { try c.validate() } catch where error.message.contains("prefix") { r.problem("bus.prefix", error.message) } catch {}
            }
        }

        if let m = r.object(top["market"], at: "market", allowed: ["mode", "symbols", "data", "news", "speed", "skipBadRows", "cycleTimeoutSeconds"]) {
            t.market.mode = r.choice(m, "mode", at: "market", default: .backtest)
            t.market.symbols = r.strings(m, "symbols", at: "market") ?? []
            t.market.news = r.string(m, "news", at: "market")
            t.market.speed = r.optionalDouble(m, "speed", at: "market", default: nil, range: 0.000001...1e9)
            t.market.skipBadRows = r.bool(m, "skipBadRows", at: "market", default: false)
            t.market.cycleTimeoutSeconds = r.double(m, "cycleTimeoutSeconds", at: "market", default: 30, range: 0.001...86_400)
            if let d = m["data"] {
                if case .array(let items) = d {
                    for (i, item) in items.enumerated() {
                        let p = "market.data[\(i)]"
                        switch item {
                        case .string(let f): t.market.data.append(.init(file: f, symbol: nil))
                        default:
                            if let o = r.object(item, at: p, allowed: ["file", "symbol"]) {
                                if let f = r.string(o, "file", at: p) {
                                    t.market.data.append(.init(file: f, symbol: r.string(o, "symbol", at: p)))
                                } else {
                                    r.problem(p, "missing \"file\"")
                                }
                            }
                        }
                    }
                } else {
                    r.problem("market.data", "expected an array of files, found \(d.kindName)")
                }
            }
        }

        let agentKeys = AgentKind.allCases.map(\.rawValue)
        let agents = r.object(top["agents"], at: "agents", allowed: agentKeys)
        // The market-data agent's settings live under `market` (mode, speed, cycleTimeoutSeconds).
        if let md = agents?["market-data"] {
            if case .object(let m) = md, m.isEmpty {} else {
                r.problem("agents.market-data", "the market-data agent's settings are under \"market\" (mode, speed, cycleTimeoutSeconds); leave this out or {}")
            }
        }
        if let agents {
            decodeOrchestrator(agents["orchestrator"], r, &t)
            // Shorts the orchestrator would decide and the portfolio would refuse every time
            // (`long_only`): a setting at odds with itself.
            let orchestratorShorts = t.voting.allowShort
            decodePortfolio(agents["portfolio"], r, &t)
            if orchestratorShorts && !t.portfolio.allowShort {
                r.problem("agents.orchestrator.allowShort", "true while agents.portfolio.allowShort is false: the portfolio would deny every short entry; set agents.portfolio.allowShort (it enables both)")
            }
            decodeRisk(agents["risk"], r, &t)
            decodeExecution(agents["execution"], r, &t)
            if let v = agents["technical"], let c = decodeCodable(TechnicalConfig.self, v, at: "agents.technical", r) { t.technical = c }
            if case .object(var members)? = agents["journal"] {
                if let i = members.firstIndex(where: { $0.key == "llm" }) {
                    let llm = members.remove(at: i).value
                    t.journalLLM = decodeCodable(LLMConfig.self, llm, at: "agents.journal.llm", r)
                    for p in t.journalLLM?.problems() ?? [] { r.problem("agents.journal.llm", p) }
                    if let f = t.journalLLM?.cacheFile {
                        let resolved = t.resolve(f)
                        t.journalLLM?.cacheFile = resolved
                    }
                }
                if let c = decodeCodable(JournalAgent.Config.self, .object(members), at: "agents.journal", r) {
                    t.journal = c
                    if c.reportEvery < 0 { r.problem("agents.journal.reportEvery", "\(c.reportEvery) must be ≥ 0 (0: only at the end of the run)") }
                    if !(c.reportGrowth >= 0 && c.reportGrowth.isFinite) {
                        r.problem("agents.journal.reportGrowth", "\(c.reportGrowth) must be a finite number ≥ 0 (0: every reportEvery trades)")
                    }
                }
            } else if let v = agents["journal"] {
                r.problem("agents.journal", "expected an object, found \(v.kindName)")
            }
            if let v = agents["sentiment"], let c = decodeCodable(SentimentAgentConfig.self, v, at: "agents.sentiment", r) {
                t.sentiment = c
                for p in c.problems() { r.problem("agents.sentiment", p) }
                // Files named in the topology are relative to its folder, like the data files.
                if let path = c.lexicon?.path {
                    let resolved = t.resolve(path)
                    t.sentiment.lexicon?.path = resolved
                }
                if let f = c.llm?.cacheFile {
                    let resolved = t.resolve(f)
                    t.sentiment.llm?.cacheFile = resolved
                }
            }
        }

        if let nodes = top["nodes"] {
            t.nodes = []
            if case .array(let items) = nodes {
                var seenNames: [String: Int] = [:]
                var placedAt: [AgentKind: String] = [:]
                for (i, item) in items.enumerated() {
                    let p = "nodes[\(i)]"
                    guard let o = r.object(item, at: p, allowed: ["name", "agents"]) else { continue }
                    guard let name = r.string(o, "name", at: p), !name.isEmpty else {
                        if case .string? = o["name"] { r.problem("\(p).name", "empty: a node needs a name") } else { r.problem(p, "missing \"name\"") }
                        continue
                    }
                    if Topic.validate("system.heartbeat.\(name)") != nil || name.contains("/") {
                        r.problem("\(p).name", "\"\(name)\" is not a valid node name (letters, digits, - and _)")
                    }
                    if let j = seenNames[name] { r.problem("\(p).name", "node name \"\(name)\" is already used by nodes[\(j)]") }
                    seenNames[name] = i
                    var kinds: [AgentKind] = []
                    for (k, a) in (r.strings(o, "agents", at: p) ?? []).enumerated() {
                        let ap = "\(p).agents[\(k)]"
                        guard let kind = AgentKind(rawValue: a) else {
                            let hint = Arguments.closest(a, among: agentKeys).map { " (did you mean \"\($0)\"?)" } ?? ""
                            r.problem(ap, "unknown agent \"\(a)\"\(hint)")
                            continue
                        }
                        if let other = placedAt[kind] {
                            r.problem(ap, "agent \"\(a)\" is already placed in node \"\(other)\"; every agent runs in exactly one node")
                            continue
                        }
                        placedAt[kind] = name
                        kinds.append(kind)
                    }
                    t.nodes.append(Topology.Node(name: name, agents: kinds))
                }
                if items.isEmpty { r.problem("nodes", "at least one node is needed") }
                for kind in AgentKind.required where placedAt[kind] == nil {
                    r.problem("nodes", "agent \"\(kind.rawValue)\" is placed in no node")
                }
            } else {
                r.problem("nodes", "expected an array of nodes, found \(nodes.kindName)")
            }
        }

        if let o = r.object(top["outputs"], at: "outputs", allowed: ["dir", "trades", "equity", "stats", "report", "journal", "events"]) {
            func out(_ key: String, _ d: String?) -> String? {
                if case .null? = o[key] { return nil }
                return r.string(o, key, at: "outputs") ?? d
            }
            t.outputs.dir = r.string(o, "dir", at: "outputs") ?? t.outputs.dir
            t.outputs.trades = out("trades", t.outputs.trades)
            t.outputs.equity = out("equity", t.outputs.equity)
            t.outputs.stats = out("stats", t.outputs.stats)
            t.outputs.report = out("report", t.outputs.report)
            t.outputs.journal = out("journal", t.outputs.journal)
            t.outputs.events = out("events", nil)
            // Each output its own file (an empty name would be the folder itself), checked
            // as a run checks its resolved paths before it starts.
            var named = true
            for (key, name) in [("trades", t.outputs.trades), ("equity", t.outputs.equity), ("stats", t.outputs.stats),
                                ("report", t.outputs.report), ("journal", t.outputs.journal), ("events", t.outputs.events)] {
                guard let name, name.trimmingCharacters(in: .whitespaces).isEmpty || name.hasSuffix("/") else { continue }
                r.problem("outputs.\(key)", "\"\(name)\" is not a file name (null writes no \(key) file)")
                named = false
            }
            if named, let clash = RunOutputs.Paths(topology: t, dir: nil).collision(record: nil) { r.problem("outputs", clash) }
        }

        // Cross-field checks.
        for key in (agents?.keys.sorted() ?? []) {
            if let kind = AgentKind(rawValue: key), !t.placed.contains(kind) {
                r.problem("agents.\(key)", "configured, but no node runs \"\(key)\"")
            }
        }
        // Default weights only cover the voters the topology places; explicit ones are checked.
        let explicitWeights = json["agents"]?["orchestrator"]?["weights"] != nil
        if !explicitWeights {
            t.voting.weights = t.voting.weights.filter { AgentKind(rawValue: $0.key).map(t.placed.contains) ?? false }
        }
        for (name, _) in t.voting.weights.sorted(by: { $0.key < $1.key }) {
            if let kind = AgentKind(rawValue: name), AgentKind.voters.contains(kind) {
                if !t.placed.contains(kind) {
                    r.problem("agents.orchestrator.weights.\(name)", "\(name) runs in no node, so it cannot vote")
                }
            } else {
                let hint = Arguments.closest(name, among: AgentKind.voters.map(\.rawValue)).map { " (did you mean \"\($0)\"?)" } ?? ""
                r.problem("agents.orchestrator.weights.\(name)", "\"\(name)\" is not a voting agent\(hint); voters are technical, sentiment and risk")
            }
        }
        for p in t.voting.problems() { r.problem("agents.orchestrator.\(p.field)", p.message) }
        if t.nodes.count > 1 {
            if t.bus.kind != .redis {
                r.problem("bus.kind", "\(t.nodes.count) nodes need the redis bus to talk to each other")
            } else if t.bus.url == nil {
                r.problem("bus.url", "missing: a topology with \(t.nodes.count) nodes needs the Redis URL")
            }
        }
        if requireData && t.market.data.isEmpty && t.placed.contains(.marketData) {
            r.problem("market.data", "market-data runs but has no data file: add market.data [{\"file\": …, \"symbol\": …}]")
        }
        if !t.market.symbols.isEmpty {
            let listed = Set(t.market.symbols)
            for (i, d) in t.market.data.enumerated() {
                if let sym = d.symbol, !listed.contains(sym) {
                    r.problem("market.data[\(i)].symbol", "\"\(sym)\" is not in market.symbols (\(t.market.symbols.joined(separator: ", ")))")
                }
            }
            let given = Set(t.market.data.compactMap(\.symbol))
            let hasSymbolColumns = t.market.data.contains { $0.symbol == nil }
            for (i, sym) in t.market.symbols.enumerated() where !given.contains(sym) && !hasSymbolColumns {
                r.problem("market.symbols[\(i)]", "no data file for \"\(sym)\"")
            }
        }
        if checkFiles {
            // Data files replaced by others (`backtest --data`) are not read: not checked.
            for (i, d) in t.market.data.enumerated() where requireData && !FileManager.default.isReadableFile(atPath: t.resolve(d.file)) {
                r.problem("market.data[\(i)].file", "cannot read \"\(d.file)\" (resolved to \(t.resolve(d.file)))")
            }
            if let n = t.market.news, !FileManager.default.isReadableFile(atPath: t.resolve(n)) {
                r.problem("market.news", "cannot read \"\(n)\" (resolved to \(t.resolve(n)))")
            }
        }
        return (t, r.problems)
    }

    /// Decodes an agent's own `Codable` configuration, turning a decoding error into a
    /// problem named by its JSON path.
    static func decodeCodable<T: Decodable>(_ type: T.Type, _ v: JSONValue, at path: String, _ r: ConfigReader) -> T? {
        do {
            return try JSONDecoder().decode(T.self, from: Data(v.description.utf8))
        } catch let e as DecodingError where NumberDiagnosis.isUnlocated(e) {
            let found = NumberDiagnosis.locate(T.self, in: v, at: path)
            r.problem(found?.path ?? path, found?.message ?? "a number does not fit its field")
        } catch let DecodingError.dataCorrupted(c) {
            r.problem(join(path, c.codingPath), c.debugDescription)
        } catch let DecodingError.typeMismatch(_, c) {
            r.problem(join(path, c.codingPath), c.debugDescription)
        } catch let DecodingError.valueNotFound(_, c) {
            r.problem(join(path, c.codingPath), c.debugDescription)
        } catch let DecodingError.keyNotFound(k, c) {
            r.problem(join(path, c.codingPath + [k]), "missing")
        } catch {
            r.problem(path, "\(error)")
        }
        return nil
    }

    static func join(_ path: String, _ keys: [any CodingKey]) -> String {
        var p = path
        for k in keys {
            if let i = k.intValue { p += "[\(i)]" } else { p = ConfigReader.join(p, k.stringValue) }
        }
        return p
    }

    static func decodeOrchestrator(_ v: JSONValue?, _ r: ConfigReader, _ t: inout Topology) {
        let p = "agents.orchestrator"
        guard let o = r.object(v, at: p, allowed: ["weights", "entryThreshold", "exitThreshold", "voteTimeoutSeconds", "allowShort"]) else { return }
        if let w = r.numberMap(o, "weights", at: p) { t.voting.weights = w }
        t.voting.entryThreshold = r.double(o, "entryThreshold", at: p, default: t.voting.entryThreshold)
        t.voting.exitThreshold = r.double(o, "exitThreshold", at: p, default: t.voting.exitThreshold)
        t.voting.voteTimeoutSeconds = r.double(o, "voteTimeoutSeconds", at: p, default: t.voting.voteTimeoutSeconds, range: 0.001...3600)
        t.voting.allowShort = r.bool(o, "allowShort", at: p, default: t.voting.allowShort)
    }

    static func decodePortfolio(_ v: JSONValue?, _ r: ConfigReader, _ t: inout Topology) {
        let p = "agents.portfolio"
        guard let o = r.object(v, at: p, allowed: ["initialCash", "sizing", "allowShort", "sectors", "closeAtEnd"]) else { return }
        t.portfolio.initialCash = r.double(o, "initialCash", at: p, default: t.portfolio.initialCash, range: 0.01...1e15)
        t.portfolio.allowShort = r.bool(o, "allowShort", at: p, default: t.portfolio.allowShort)
        t.portfolio.closeAtEnd = r.bool(o, "closeAtEnd", at: p, default: t.portfolio.closeAtEnd)
        t.portfolio.sectors = r.stringMap(o, "sectors", at: p)
        let sp = "\(p).sizing"
        if let s = r.object(o["sizing"], at: sp, allowed: ["mode", "fraction", "riskPerTrade", "atrMultiple", "atrPeriod", "kellyFraction", "kellyCap", "kellyMinTrades"]) {
            var z = t.portfolio.sizing
            z.mode = r.choice(s, "mode", at: sp, default: z.mode)
            z.fraction = r.double(s, "fraction", at: sp, default: z.fraction, range: 0.000001...1)
            z.riskPerTrade = r.double(s, "riskPerTrade", at: sp, default: z.riskPerTrade, range: 0.000001...1)
            z.atrMultiple = r.double(s, "atrMultiple", at: sp, default: z.atrMultiple, range: 0.000001...1000)
            z.atrPeriod = r.int(s, "atrPeriod", at: sp, default: z.atrPeriod, range: 1...10_000)
            z.kellyFraction = r.double(s, "kellyFraction", at: sp, default: z.kellyFraction, range: 0.000001...1)
            z.kellyCap = r.double(s, "kellyCap", at: sp, default: z.kellyCap, range: 0.000001...1)
            z.kellyMinTrades = r.int(s, "kellyMinTrades", at: sp, default: z.kellyMinTrades, range: 1...1_000_000)
            t.portfolio.sizing = z
        }
        t.voting.allowShort = t.voting.allowShort || t.portfolio.allowShort
    }

    static let riskKeys = [
        "maxPositionPct", "maxSectorPct", "maxPositions", "minCashReservePct", "requireCash", "maxCorrelation", "correlationWindow",
        "maxOrdersPerMinute", "adjustOrders", "stopLossPct", "takeProfitPct", "dailyLossPct", "maxDrawdownPct", "resumeDrawdownPct",
        "haltCooldownBars", "volatilityShortWindow", "volatilityLongWindow", "limits",
    ]

    static func decodeRisk(_ v: JSONValue?, _ r: ConfigReader, _ t: inout Topology) {
        let p = "agents.risk"
        guard let o = r.object(v, at: p, allowed: riskKeys) else { return }
        var l = RiskLimits()
        if let preset = r.string(o, "limits", at: p) {
            switch preset {
            case "default": break
            case "none": l = .none
            default: r.problem("\(p).limits", "unknown preset \"\(preset)\"; expected \"default\" or \"none\"")
            }
        }
        let frac = 0.000001...1.0
        l.maxPositionPct = r.optionalDouble(o, "maxPositionPct", at: p, default: l.maxPositionPct, range: frac)
        l.maxSectorPct = r.optionalDouble(o, "maxSectorPct", at: p, default: l.maxSectorPct, range: frac)
        l.maxPositions = r.optionalInt(o, "maxPositions", at: p, default: l.maxPositions, range: 1...1_000_000)
        l.minCashReservePct = r.optionalDouble(o, "minCashReservePct", at: p, default: l.minCashReservePct, range: frac)
        l.requireCash = r.bool(o, "requireCash", at: p, default: l.requireCash)
        l.maxCorrelation = r.optionalDouble(o, "maxCorrelation", at: p, default: l.maxCorrelation, range: frac)
        l.correlationWindow = r.int(o, "correlationWindow", at: p, default: l.correlationWindow, range: 3...100_000)
        l.maxOrdersPerMinute = r.optionalInt(o, "maxOrdersPerMinute", at: p, default: l.maxOrdersPerMinute, range: 1...1_000_000)
        l.adjustOrders = r.bool(o, "adjustOrders", at: p, default: l.adjustOrders)
        l.stopLossPct = r.optionalDouble(o, "stopLossPct", at: p, default: l.stopLossPct, range: frac)
        l.takeProfitPct = r.optionalDouble(o, "takeProfitPct", at: p, default: l.takeProfitPct, range: 0.000001...100)
        l.dailyLossPct = r.optionalDouble(o, "dailyLossPct", at: p, default: l.dailyLossPct, range: frac)
        l.maxDrawdownPct = r.optionalDouble(o, "maxDrawdownPct", at: p, default: l.maxDrawdownPct, range: frac)
        l.resumeDrawdownPct = r.optionalDouble(o, "resumeDrawdownPct", at: p, default: l.resumeDrawdownPct, range: frac)
        l.haltCooldownBars = r.optionalInt(o, "haltCooldownBars", at: p, default: l.haltCooldownBars, range: 1...10_000_000)
        l.volatilityShortWindow = r.int(o, "volatilityShortWindow", at: p, default: l.volatilityShortWindow, range: 2...100_000)
        l.volatilityLongWindow = r.int(o, "volatilityLongWindow", at: p, default: l.volatilityLongWindow, range: 3...1_000_000)
        for problem in l.problems() { r.problem(p, problem) }
        t.risk = l
    }

    static func decodeExecution(_ v: JSONValue?, _ r: ConfigReader, _ t: inout Topology) {
        let p = "agents.execution"
        guard let o = r.object(v, at: p, allowed: ["marketFill", "slippageBps", "commission", "endOfDataFill"]) else { return }
        var e = t.execution
        e.marketFill = r.choice(o, "marketFill", at: p, default: e.marketFill)
        e.endOfDataFill = r.choice(o, "endOfDataFill", at: p, default: e.endOfDataFill)
        e.costs.slippageBps = r.double(o, "slippageBps", at: p, default: 0, range: 0...10_000)
        let cp = "\(p).commission"
        if let c = r.object(o["commission"], at: cp, allowed: ["kind", "rate", "minimum"]) {
            e.costs.commission = r.choice(c, "kind", at: cp, default: .none)
            e.costs.rate = r.double(c, "rate", at: cp, default: 0, range: 0...1e9)
            e.costs.minimum = r.double(c, "minimum", at: cp, default: 0, range: 0...1e9)
            // Numbers the chosen kind never uses: a commission the user meant to charge.
            if e.costs.commission == .none && (c["rate"] != nil || c["minimum"] != nil) {
                r.problem("\(cp).kind", "missing or none, so the rate and minimum given are not charged: set kind to percent, per-share or fixed")
            }
            if e.costs.commission == .fixed && c["minimum"] != nil {
                r.problem("\(cp).minimum", "not used by the fixed kind (the fee is the rate per fill): remove it, or choose percent or per-share")
            }
        }
        t.execution = e
    }
}
