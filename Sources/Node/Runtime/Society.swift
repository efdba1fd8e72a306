import Agents
import Bus
import Foundation
import Orchestrator

/// The agents that a topology places in some nodes, built on one bus and one executor.
///
/// `agora run` builds every node in one process on the in-memory bus; `agora node NAME`
/// builds one node on Redis. Each agent publishes as `node/agent`, so both give the same
/// event ids.
final class Society: @unchecked Sendable {
    let topology: Topology
    let nodes: [Topology.Node]
    let bus: any EventBus
    let executor: AgentExecutor
    let logger: Logger
    let metrics: Metrics?
    private(set) var tasks: [Task<Void, Never>] = []
    private(set) var marketData: MarketDataAgent?
    private(set) var portfolio: PortfolioAgent?
    private(set) var orchestrator: OrchestratorAgent?
    private(set) var sentiment: SentimentAgent?
    private(set) var journal: JournalAgent?
    private var starters: [() -> Task<Void, Never>] = []
    /// Ends when `system.finished` arrives.
    private let finished: Subscription

    var agents: [AgentKind] { nodes.flatMap(\.agents) }

    private init(topology: Topology, nodes: [Topology.Node], bus: any EventBus, executor: AgentExecutor, logger: Logger,
                 metrics: Metrics?, finished: Subscription) {
        self.topology = topology
        self.nodes = nodes
        self.bus = bus
        self.executor = executor
        self.logger = logger
        self.metrics = metrics
        self.finished = finished
    }

    /// Builds (and subscribes) every agent of `nodes`. Nothing runs until `start()`.
    static func build(
        topology: Topology, nodes: [Topology.Node], bus: any EventBus, executor: AgentExecutor, clock: any WallClock,
        logger: Logger, metrics: Metrics?, handlerTimes: HandlerTimes? = nil, market: sending MarketFeed?
    ) async throws -> Society {
        let finished = try await bus.subscribe(["system.finished"], options: SubscriptionOptions(name: "society/finished", types: [.runFinished]))
        var feed = market
        let s = Society(topology: topology, nodes: nodes, bus: bus, executor: executor, logger: logger, metrics: metrics, finished: finished)
        for node in nodes {
            let context = AgentContext(
                bus: bus, node: node.name, executor: executor, clock: clock, logger: logger, metrics: metrics, handlerTimes: handlerTimes)
            for kind in node.agents {
                switch kind {
                case .marketData:
                    // The feed is handed over once: only the market-data agent reads it from now on.
                    guard let taken = feed.take() else { throw CommandError("node \(node.name) runs market-data but no market data was given") }
                    nonisolated(unsafe) let market = taken
                    let config = MarketDataConfig(
                        mode: topology.market.mode == .backtest ? .backtest : (topology.market.speed == nil ? .fast : .paced),
                        speed: topology.market.speed ?? 60, cycleTimeoutSeconds: topology.market.cycleTimeoutSeconds)
                    s.marketData = try await MarketDataAgent(context: context, feed: market, config: config)
                case .technical:
                    let a = try await TechnicalAgent(context: context, config: topology.technical)
                    s.starters.append { Task { try? await a.run() } }
                case .sentiment:
                    let a = try await SentimentAgent(context: context, config: topology.sentiment)
                    s.sentiment = a
                    s.starters.append { Task { await a.run() } }
                case .risk:
                    let a = try await RiskAgent(context: context, config: topology.riskConfig)
                    s.starters.append { Task { await a.run() } }
                case .orchestrator:
                    let a = try await OrchestratorAgent(context: context, config: topology.orchestratorConfig)
                    s.orchestrator = a
                    s.starters.append { Task { await a.run() } }
                case .portfolio:
                    let a = try await PortfolioAgent(context: context, config: topology.portfolio, stopLossPct: topology.risk.stopLossPct)
                    s.portfolio = a
                    s.starters.append { Task { await a.run() } }
                case .execution:
                    let a = try await ExecutionAgent(context: context, broker: PaperBroker(config: topology.execution))
                    s.starters.append { Task { await a.run() } }
                case .journal:
                    let rephraser: (any ReportRephraser)?
                    do {
                        rephraser = try topology.journalLLM.map { try LLMReportRephraser(config: $0) }
                    } catch {
                        throw CommandError("agents.journal.llm: \(error)")
                    }
                    let a = try await JournalAgent(context: context, config: topology.journal, rephraser: rephraser)
                    s.journal = a
                    s.starters.append { Task { await a.run() } }
                }
            }
        }
        return s
    }

    /// Starts every agent's loop (the market data is run separately, by `runMarket()`).
    func start() {
        tasks = starters.map { $0() }
        starters = []
    }

    /// Replays the market data (cycle by cycle in backtests) and publishes `market.end`.
    func runMarket() async throws -> MarketReplaySummary? {
        guard let md = marketData else { return nil }
        do {
            return try await executor.start(returning: { try await md.run() })
        } catch let e as MarketDataError {
            throw CommandError(e.description)
        }
    }

    /// Waits for `system.finished` (the portfolio's: data ended, no order pending).
    func waitForFinish() async -> RunFinished? {
        for await e in finished {
            if case .runFinished(let f) = e.payload {
                // A subscription whose reader stops would keep the bus busy forever.
                finished.cancel()
                return f
            }
        }
        return nil
    }

    /// Stops every agent: shuts the bus down (delivering what was accepted) and waits for
    /// their loops to end.
    func shutdown() async {
        finished.cancel()
        await bus.shutdown()
        for t in tasks { await t.value }
    }
}

extension AgentExecutor {
    /// Runs `body` as a task preferring this executor and returns its result.
    func start<T: Sendable>(returning body: sending @escaping @isolated(any) () async throws -> T) async throws -> T {
        try await Task(executorPreference: self, operation: body).value
    }
}
