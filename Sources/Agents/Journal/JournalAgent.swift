import Bus

/// The journal agent: collects the pipeline's closed trades and publishes a coaching
/// report (`journal.report`) every `reportEvery` closed trades (less often once the journal
/// is large: `reportGrowth`), at the end of a run
/// (`market.end`, and the final report on `system.finished`, which follows the trades the
/// portfolio closes when the data ends), and whenever asked (`journal.request`).
///
/// A thin shell: the analysis is ``JournalAnalysis`` and the report ``CoachingReport``.
public actor JournalAgent {
    public struct Config: Codable, Sendable, Equatable {
        /// Publish a report after every this many closed trades; 0 turns it off (default 50).
        public var reportEvery: Int = 50
        /// Once the journal is large, report only when it has grown by this fraction since the
        /// last periodic report (default 0.1: every 50 trades up to 500, then every 10%), so
        /// that reports cost linear, not quadratic, time; 0 keeps every `reportEvery` trades.
        public var reportGrowth: Double = 0.1
        /// The analysis settings. The pipeline's bars carry exchange-agnostic times, so
        /// by default the agent checks no session hours.
        public var analysis: JournalConfig = JournalAgent.Config.defaultAnalysis

        public init(reportEvery: Int = 50, reportGrowth: Double = 0.1, analysis: JournalConfig = JournalAgent.Config.defaultAnalysis) {
            self.reportEvery = reportEvery
            self.reportGrowth = reportGrowth
            self.analysis = analysis
        }

        public var cadence: ReportCadence { ReportCadence(every: reportEvery, growth: reportGrowth) }

        public static var defaultAnalysis: JournalConfig {
            var c = JournalConfig()
            c.session.enabled = false
            return c
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: JournalConfigKey.self)
            try c.refuseUnknown(["reportEvery", "reportGrowth", "analysis"])
            reportEvery = try c.value("reportEvery", 50)
            reportGrowth = try c.value("reportGrowth", 0.1)
            analysis = try c.value("analysis", Config.defaultAnalysis)
            // A partial `analysis` starts from the agent's defaults: no session unless given.
            if c.contains(JournalConfigKey("analysis")),
               !(try c.nestedContainer(keyedBy: JournalConfigKey.self, forKey: JournalConfigKey("analysis"))).contains(JournalConfigKey("session")) {
                analysis.session.enabled = false
            }
        }
    }

    public static let name = "journal"
    public static let patterns = ["trade.closed.*", "market.end", "system.finished", "journal.request"]

    nonisolated public let unownedExecutor: UnownedSerialExecutor
    public let config: Config
    private let context: AgentContext
    private let subscription: Subscription
    private let publisher: Publisher
    private let rephraser: (any ReportRephraser)?
    private var trades: [JournalTrade] = []
    /// Trades at the last periodic report.
    private var lastPeriodic = 0
    /// Reports published so far.
    public private(set) var reportsPublished = 0
    /// Reports that could not be published (the bus was closed).
    public private(set) var publishFailures = 0

    /// Subscribes at once, so no trade published after this returns is missed.
    public init(context: AgentContext, config: Config = Config(), rephraser: (any ReportRephraser)? = nil) async throws(BusError) {
        unownedExecutor = context.executor.asUnownedSerialExecutor()
        self.config = config
        self.context = context
        self.rephraser = rephraser
        publisher = context.publisher(for: JournalAgent.name)
        subscription = try await context.subscribe(JournalAgent.name, JournalAgent.patterns)
    }

    /// Consumes events until the subscription ends.
    public func run() async {
        await context.consume(subscription, agent: Self.name) { [self] _, e in try await self.handle(e) }
    }

    /// Trades collected so far.
    public var tradeCount: Int { trades.count }

    func handle(_ envelope: Envelope) async throws {
        switch envelope.payload {
        case .tradeClosed(let t):
            trades.append(JournalTrade(closed: t))
            if config.cadence.isDue(trades: trades.count, last: lastPeriodic) {
                lastPeriodic = trades.count
                try await publishReport(time: t.exitTime, cause: envelope)
            }
        case .marketEnd(let e):
            try await publishReport(time: e.time, cause: envelope)
        case .runFinished(let e):
            try await publishReport(time: e.time, cause: envelope)
        case .journalRequest(let r):
            try await publishReport(time: r.time, cause: envelope)
        default:
            break
        }
    }

    /// The report on the trades collected so far.
    public func currentReport() async -> CoachingReport {
        var report = JournalAnalysis(trades, config: config.analysis).report(source: .bus)
        if let rephraser { _ = await report.rephrase(with: rephraser) }
        return report
    }

    /// A failure to publish is counted and passed on (logged by the event loop; a closed
    /// bus ends it).
    private func publishReport(time: Timestamp, cause: Envelope) async throws {
        let report = await currentReport()
        let event = JournalReport(time: time, trades: report.trades, summary: report.headline, report: report.json)
        do {
            try await publisher.publish(event, correlation: cause.correlation, causation: cause.id)
            reportsPublished += 1
        } catch {
            publishFailures += 1
            throw error
        }
    }
}
