import Bus

/// Where the trades came from, for the report's `metrics.journal`.
public struct JournalSource: Sendable, Equatable {
    /// A file path, or `bus` for the pipeline's closed trades.
    public var name: String
    /// `journal`, `executions`, `capture` or `bus`.
    public var format: String
    /// Data rows (or fills) read; nil when not from a file.
    public var rows: Int?
    /// Bad rows skipped with `--skip-bad-rows`.
    public var skippedRows: Int
    /// Positions an execution export left open (not analysed).
    public var openPositions: Int

    public init(name: String, format: String, rows: Int? = nil, skippedRows: Int = 0, openPositions: Int = 0) {
        self.name = name
        self.format = format
        self.rows = rows
        self.skippedRows = skippedRows
        self.openPositions = openPositions
    }

    public static let bus = JournalSource(name: "bus", format: "bus")
}

/// The computed facts of a journal: its table, metrics and pattern findings.
public struct JournalAnalysis: Sendable {
    public let table: TradeTable
    public let metrics: JournalMetrics
    public let findings: [PatternFinding]

    public init(_ trades: [JournalTrade], config: JournalConfig = JournalConfig()) {
        table = TradeTable(trades, config: config)
        metrics = JournalMetrics(table)
        findings = PatternDetector.detectAll(table, metrics)
    }

    public var config: JournalConfig { table.config }

    public func finding(_ kind: PatternKind) -> PatternFinding {
        findings.first { $0.kind == kind }!
    }

    /// The full report, from templates.
    public func report(source: JournalSource = .bus) -> CoachingReport {
        CoachingReport(self, source: source)
    }
}
