/// Everything the journal analysis can be tuned with: the clock it reads times in, and
/// one rule per behavioural pattern with its thresholds. Every field has a documented
/// default (docs/journal.md); a configuration file may give any subset of them, and
/// unknown keys are refused so that a typo never silently falls back to a default.
public struct JournalConfig: Codable, Sendable, Equatable {
    /// Minutes to add to UTC to get the trader's clock, used for days, weekdays, hours
    /// and session hours. Default 0: times are read as UTC, which is also how times
    /// written without a zone are stored, so a journal kept in local time without
    /// zones is analysed in that local time. (A fixed offset: no daylight saving.)
    public var utcOffsetMinutes: Int = 0
    /// A trade whose net P&L is within ± this amount is breakeven: neither a win nor a
    /// loss, and it ends any streak. Default 0.005 (half a cent).
    public var breakevenTolerance: Double = 0.005
    /// How a position's size is measured when sizes are compared (revenge trading,
    /// size creep): `notional` (quantity × entry price, default) or `quantity`.
    public var sizeBasis: SizeBasis = .notional
    /// SQN is only computed from this many trades (default 30).
    public var sqnMinimumTrades: Int = 30
    public var revenge = RevengeRule()
    public var overtrading = OvertradingRule()
    public var tilt = TiltRule()
    public var disposition = DispositionRule()
    public var stopDiscipline = StopDisciplineRule()
    public var sizeCreep = SizeCreepRule()
    public var session = SessionRule()
    public var severity = SeverityRule()
    public var report = ReportOptions()

    public init() {}

    public enum SizeBasis: String, Codable, Sendable, Equatable {
        case notional, quantity
    }

    /// An entry soon after a losing exit.
    public struct RevengeRule: Codable, Sendable, Equatable {
        public var enabled = true
        /// An entry this many minutes or less after a losing exit, … (default 30)
        public var windowMinutes: Double = 30
        /// … at this multiple or more of the losing trade's size, is revenge (default 1.3).
        public var sizeMultiple: Double = 1.3
        /// Any entry this many minutes or less after a losing exit is revenge (default 10).
        public var anyEntryWithinMinutes: Double = 10
        /// Fewer trades than this give no baseline to compare with (default 20).
        public var minimumTrades = 20
        public init() {}
    }

    /// Days with far more trades than usual.
    public struct OvertradingRule: Codable, Sendable, Equatable {
        public var enabled = true
        /// A day with more than this multiple of the median trades per day (default 2).
        public var multipleOfMedian: Double = 2
        /// Fewer trading days than this give no meaningful median (default 5).
        public var minimumDays = 5
        public init() {}
    }

    /// Trading on after a run of losses.
    public struct TiltRule: Codable, Sendable, Equatable {
        public var enabled = true
        /// Losses in a row (default 3) followed by more trades the same day.
        public var lossStreak = 3
        public init() {}
    }

    /// Holding losers longer than winners.
    public struct DispositionRule: Codable, Sendable, Equatable {
        public var enabled = true
        /// Average loser hold ÷ average winner hold at or above this (default 1.5).
        public var holdRatio: Double = 1.5
        /// Winners closed in less than this fraction of the average winner hold are
        /// "premature" (default 0.5).
        public var prematureFraction: Double = 0.5
        /// At least this many winners and this many losers (default 5 each).
        public var minimumWinners = 5
        public var minimumLosers = 5
        public init() {}
    }

    /// Losses larger than the planned stop.
    public struct StopDisciplineRule: Codable, Sendable, Equatable {
        public var enabled = true
        /// A realised R below this, on a trade with a stop, means the stop was not
        /// honoured (default −1.2).
        public var maximumLossR: Double = -1.2
        public init() {}
    }

    /// Growing size during a win streak.
    public struct SizeCreepRule: Codable, Sendable, Equatable {
        public var enabled = true
        /// Wins in a row that make a streak (default 4).
        public var winStreak = 4
        /// Peak size at or above this multiple of the baseline (median) size (default 1.4).
        public var sizeMultiple: Double = 1.4
        /// Fewer trades than this give no baseline size (default 20).
        public var minimumTrades = 20
        public init() {}
    }

    /// The hours the trader plans to trade, on the trader's clock (`utcOffsetMinutes`).
    public struct SessionRule: Codable, Sendable, Equatable {
        public var enabled = true
        /// `HH:MM`, inclusive (default `09:30`).
        public var start = "09:30"
        /// `HH:MM`, exclusive (default `16:00`).
        public var end = "16:00"
        /// Whether Saturday and Sunday are planned trading days (default false).
        public var weekends = false
        public init() {}
    }

    /// How severe a finding is, from the share of the journal's gross loss that its
    /// money effect accounts for (findings that made money are `low`).
    public struct SeverityRule: Codable, Sendable, Equatable {
        /// At or above this share: `high` (default 0.25).
        public var highShareOfLosses: Double = 0.25
        /// At or above this share: `medium` (default 0.10); below: `low`.
        public var mediumShareOfLosses: Double = 0.10
        public init() {}
    }

    public struct ReportOptions: Codable, Sendable, Equatable {
        /// Trade ids listed per finding in the report (all are counted; default 50).
        public var maxEvidenceIds = 50
        /// Breakdown buckets with fewer trades are not turned into opportunities (default 10).
        public var minimumBucketTrades = 10
        /// Opportunities listed (default 5).
        public var maxOpportunities = 5
        /// A bucket is a strength when its expectancy beats the journal's by this
        /// fraction of the journal's (absolute) expectancy, and it made money (default 0.25).
        public var strengthMargin: Double = 0.25
        /// Items in the action plan (default 5).
        public var maxActions = 5
        public init() {}
    }

    /// The session start and end in minutes after midnight, or the problem with them.
    public func sessionMinutes() -> (start: Int, end: Int)? {
        guard let s = JournalConfig.parseClock(session.start), let e = JournalConfig.parseClock(session.end), s < e else { return nil }
        return (s, e)
    }

    /// `HH:MM` → minutes after midnight.
    public static func parseClock(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count <= 2, parts[1].count == 2,
              let h = Int(parts[0]), let m = Int(parts[1]), (0...24).contains(h), (0..<60).contains(m), h * 60 + m <= 1440
        else { return nil }
        return h * 60 + m
    }

    /// Problems a person can fix, as `field: message` lines (empty when valid).
    public func problems() -> [String] {
        var out: [String] = []
        func check(_ ok: Bool, _ field: String, _ message: String) { if !ok { out.append("\(field): \(message)") } }
        check((-1440...1440).contains(utcOffsetMinutes), "utcOffsetMinutes", "must be within ±1440, got \(utcOffsetMinutes)")
        check(breakevenTolerance >= 0 && breakevenTolerance.isFinite, "breakevenTolerance", "must be ≥ 0")
        check(sqnMinimumTrades >= 2, "sqnMinimumTrades", "must be at least 2")
        check(revenge.windowMinutes >= 0, "revenge.windowMinutes", "must be ≥ 0")
        check(revenge.anyEntryWithinMinutes >= 0, "revenge.anyEntryWithinMinutes", "must be ≥ 0")
        check(revenge.sizeMultiple > 0, "revenge.sizeMultiple", "must be > 0")
        check(revenge.minimumTrades >= 1, "revenge.minimumTrades", "must be at least 1")
        check(overtrading.multipleOfMedian > 0, "overtrading.multipleOfMedian", "must be > 0")
        check(overtrading.minimumDays >= 1, "overtrading.minimumDays", "must be at least 1")
        check(tilt.lossStreak >= 1, "tilt.lossStreak", "must be at least 1")
        check(disposition.holdRatio > 0, "disposition.holdRatio", "must be > 0")
        check(disposition.prematureFraction > 0 && disposition.prematureFraction <= 1, "disposition.prematureFraction", "must be in (0, 1]")
        check(disposition.minimumWinners >= 1, "disposition.minimumWinners", "must be at least 1")
        check(disposition.minimumLosers >= 1, "disposition.minimumLosers", "must be at least 1")
        check(stopDiscipline.maximumLossR < 0, "stopDiscipline.maximumLossR", "must be negative")
        check(sizeCreep.winStreak >= 1, "sizeCreep.winStreak", "must be at least 1")
        check(sizeCreep.sizeMultiple > 0, "sizeCreep.sizeMultiple", "must be > 0")
        check(sizeCreep.minimumTrades >= 1, "sizeCreep.minimumTrades", "must be at least 1")
        if JournalConfig.parseClock(session.start) == nil {
            out.append("session.start: expected HH:MM, got \"\(session.start)\"")
        } else if JournalConfig.parseClock(session.end) == nil {
            out.append("session.end: expected HH:MM, got \"\(session.end)\"")
        } else if sessionMinutes() == nil {
            out.append("session: start \(session.start) must be before end \(session.end)")
        }
        check(severity.mediumShareOfLosses >= 0 && severity.mediumShareOfLosses <= severity.highShareOfLosses,
              "severity", "need 0 ≤ mediumShareOfLosses ≤ highShareOfLosses")
        check(report.maxEvidenceIds >= 0, "report.maxEvidenceIds", "must be ≥ 0")
        check(report.minimumBucketTrades >= 1, "report.minimumBucketTrades", "must be at least 1")
        check(report.maxOpportunities >= 0, "report.maxOpportunities", "must be ≥ 0")
        check(report.maxActions >= 0, "report.maxActions", "must be ≥ 0")
        check(report.strengthMargin >= 0, "report.strengthMargin", "must be ≥ 0")
        return out
    }
}

// MARK: decoding with defaults (any subset of keys; unknown keys refused)

struct JournalConfigKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

extension KeyedDecodingContainer where K == JournalConfigKey {
    func value<T: Decodable>(_ key: String, _ fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: JournalConfigKey(key)) ?? fallback
    }

    func refuseUnknown(_ known: [String]) throws {
        for k in allKeys where !known.contains(k.stringValue) {
            let hint = known.min { journalEditDistance($0, k.stringValue) < journalEditDistance($1, k.stringValue) }
                .flatMap { journalEditDistance($0, k.stringValue) <= max(2, $0.count / 3) ? " (did you mean \"\($0)\"?)" : nil } ?? ""
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [k], debugDescription: "unknown key \"\(k.stringValue)\"\(hint)"))
        }
    }
}

func journalEditDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.utf8), b = Array(b.utf8)
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count { cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)) }
        swap(&prev, &cur)
    }
    return prev[b.count]
}

extension JournalConfig {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JournalConfigKey.self)
        try c.refuseUnknown(["utcOffsetMinutes", "breakevenTolerance", "sizeBasis", "sqnMinimumTrades", "revenge", "overtrading",
                             "tilt", "disposition", "stopDiscipline", "sizeCreep", "session", "severity", "report"])
        let d = JournalConfig()
        utcOffsetMinutes = try c.value("utcOffsetMinutes", d.utcOffsetMinutes)
        breakevenTolerance = try c.value("breakevenTolerance", d.breakevenTolerance)
        sizeBasis = try c.value("sizeBasis", d.sizeBasis)
        sqnMinimumTrades = try c.value("sqnMinimumTrades", d.sqnMinimumTrades)
        revenge = try c.value("revenge", d.revenge)
        overtrading = try c.value("overtrading", d.overtrading)
        tilt = try c.value("tilt", d.tilt)
        disposition = try c.value("disposition", d.disposition)
        stopDiscipline = try c.value("stopDiscipline", d.stopDiscipline)
        sizeCreep = try c.value("sizeCreep", d.sizeCreep)
        session = try c.value("session", d.session)
        severity = try c.value("severity", d.severity)
        report = try c.value("report", d.report)
    }
}

extension JournalConfig.RevengeRule {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JournalConfigKey.self)
        try c.refuseUnknown(["enabled", "windowMinutes", "sizeMultiple", "anyEntryWithinMinutes", "minimumTrades"])
        let d = Self()
        enabled = try c.value("enabled", d.enabled)
        windowMinutes = try c.value("windowMinutes", d.windowMinutes)
        sizeMultiple = try c.value("sizeMultiple", d.sizeMultiple)
        anyEntryWithinMinutes = try c.value("anyEntryWithinMinutes", d.anyEntryWithinMinutes)
        minimumTrades = try c.value("minimumTrades", d.minimumTrades)
    }
}

extension JournalConfig.OvertradingRule {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JournalConfigKey.self)
        try c.refuseUnknown(["enabled", "multipleOfMedian", "minimumDays"])
        let d = Self()
        enabled = try c.value("enabled", d.enabled)
        multipleOfMedian = try c.value("multipleOfMedian", d.multipleOfMedian)
        minimumDays = try c.value("minimumDays", d.minimumDays)
    }
}

extension JournalConfig.TiltRule {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JournalConfigKey.self)
        try c.refuseUnknown(["enabled", "lossStreak"])
        let d = Self()
        enabled = try c.value("enabled", d.enabled)
        lossStreak = try c.value("lossStreak", d.lossStreak)
    }
}

extension JournalConfig.DispositionRule {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JournalConfigKey.self)
        try c.refuseUnknown(["enabled", "holdRatio", "prematureFraction", "minimumWinners", "minimumLosers"])
        let d = Self()
        enabled = try c.value("enabled", d.enabled)
        holdRatio = try c.value("holdRatio", d.holdRatio)
        prematureFraction = try c.value("prematureFraction", d.prematureFraction)
        minimumWinners = try c.value("minimumWinners", d.minimumWinners)
        minimumLosers = try c.value("minimumLosers", d.minimumLosers)
    }
}

extension JournalConfig.StopDisciplineRule {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JournalConfigKey.self)
        try c.refuseUnknown(["enabled", "maximumLossR"])
        let d = Self()
        enabled = try c.value("enabled", d.enabled)
        maximumLossR = try c.value("maximumLossR", d.maximumLossR)
    }
}

extension JournalConfig.SizeCreepRule {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JournalConfigKey.self)
        try c.refuseUnknown(["enabled", "winStreak", "sizeMultiple", "minimumTrades"])
        let d = Self()
        enabled = try c.value("enabled", d.enabled)
        winStreak = try c.value("winStreak", d.winStreak)
        sizeMultiple = try c.value("sizeMultiple", d.sizeMultiple)
        minimumTrades = try c.value("minimumTrades", d.minimumTrades)
    }
}

extension JournalConfig.SessionRule {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JournalConfigKey.self)
        try c.refuseUnknown(["enabled", "start", "end", "weekends"])
        let d = Self()
        enabled = try c.value("enabled", d.enabled)
        start = try c.value("start", d.start)
        end = try c.value("end", d.end)
        weekends = try c.value("weekends", d.weekends)
    }
}

extension JournalConfig.SeverityRule {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JournalConfigKey.self)
        try c.refuseUnknown(["highShareOfLosses", "mediumShareOfLosses"])
        let d = Self()
        highShareOfLosses = try c.value("highShareOfLosses", d.highShareOfLosses)
        mediumShareOfLosses = try c.value("mediumShareOfLosses", d.mediumShareOfLosses)
    }
}

extension JournalConfig.ReportOptions {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JournalConfigKey.self)
        try c.refuseUnknown(["maxEvidenceIds", "minimumBucketTrades", "maxOpportunities", "strengthMargin", "maxActions"])
        let d = Self()
        maxEvidenceIds = try c.value("maxEvidenceIds", d.maxEvidenceIds)
        minimumBucketTrades = try c.value("minimumBucketTrades", d.minimumBucketTrades)
        maxOpportunities = try c.value("maxOpportunities", d.maxOpportunities)
        strengthMargin = try c.value("strengthMargin", d.strengthMargin)
        maxActions = try c.value("maxActions", d.maxActions)
    }
}
