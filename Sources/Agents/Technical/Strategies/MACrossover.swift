import Bus

/// A simple or exponential moving average, chosen at run time.
public enum MovingAverage: Sendable, Equatable {
    case sma(SMA)
    case ema(EMA)
    case pandas(RollingMean)

    /// `sma` and `ema` follow TA-Lib; `pandas` is the simple average exactly as pandas'
    /// `rolling(n).mean()` computes it (see ``RollingMean``).
    public enum Kind: String, Sendable, Equatable, Codable, CaseIterable { case sma, ema, pandas }

    public init(_ kind: Kind, period: Int) {
        switch kind {
        case .sma: self = .sma(SMA(period: period))
        case .ema: self = .ema(EMA(period: period))
        case .pandas: self = .pandas(RollingMean(period: period))
        }
    }

    public mutating func update(_ x: Double) -> Double? {
        switch self {
        case .sma(var m):
            let v = m.update(x)
            self = .sma(m)
            return v
        case .ema(var m):
            let v = m.update(x)
            self = .ema(m)
            return v
        case .pandas(var m):
            let v = m.update(x)
            self = .pandas(m)
            return v
        }
    }
}

/// Moving-average crossover (default SMA 50 / SMA 200).
///
/// `cross` mode (the default) signals only on the bar where the averages cross, exactly
/// like backtesting.py's `crossover`: buy when the previous fast < previous slow and the
/// current fast > current slow (strict both times), sell on the mirror condition; score
/// ±1, confidence 1. Every other bar is a hold with confidence 0.
///
/// `state` mode votes the trend on every bar instead: score = (fast − slow) / slow
/// divided by `fullScoreSpread` (default 2 %), clamped to [-1, 1]; confidence = |score|.
public struct MACrossover: Strategy {
    public enum Mode: String, Sendable, Equatable, Codable, CaseIterable { case cross, state }

    public struct Config: Sendable, Equatable, Codable {
        public var enabled = true
        public var weight = 1.0
        public var fast = 50
        public var slow = 200
        public var average = MovingAverage.Kind.sma
        public var mode = Mode.cross
        /// `state` mode: the relative spread that earns a full score.
        public var fullScoreSpread = 0.02

        public init(enabled: Bool = true, weight: Double = 1, fast: Int = 50, slow: Int = 200,
                    average: MovingAverage.Kind = .sma, mode: Mode = .cross, fullScoreSpread: Double = 0.02) {
            self.enabled = enabled
            self.weight = weight
            self.fast = fast
            self.slow = slow
            self.average = average
            self.mode = mode
            self.fullScoreSpread = fullScoreSpread
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case enabled, weight, fast, slow, average, mode, fullScoreSpread }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue), in: "technical.maCross")
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Config()
            enabled = try c.value(.enabled, or: d.enabled)
            weight = try c.value(.weight, or: d.weight)
            fast = try c.value(.fast, or: d.fast)
            slow = try c.value(.slow, or: d.slow)
            average = try c.value(.average, or: d.average)
            mode = try c.value(.mode, or: d.mode)
            fullScoreSpread = try c.value(.fullScoreSpread, or: d.fullScoreSpread)
        }

        public func problem() -> String? {
            if fast < 1 { return "maCross.fast must be at least 1, got \(fast)" }
            if fast >= slow { return "maCross.fast (\(fast)) must be shorter than maCross.slow (\(slow))" }
            if slow > TechnicalConfig.maxPeriod { return "maCross.slow must be at most \(TechnicalConfig.maxPeriod), got \(slow)" }
            if !(fullScoreSpread.isFinite && fullScoreSpread > 0) { return "maCross.fullScoreSpread must be positive" }
            if !(weight.isFinite && weight >= 0) { return "maCross.weight must be a non-negative number, got \(weight)" }
            return nil
        }

        var label: String { average == .ema ? "EMA" : "SMA" }
    }

    public let name = "ma_cross"
    public let config: Config
    private var fastMA: MovingAverage
    private var slowMA: MovingAverage
    private var previous: (fast: Double, slow: Double)?
    private var bars = 0

    public init(_ config: Config = Config()) {
        self.config = config
        fastMA = MovingAverage(config.average, period: config.fast)
        slowMA = MovingAverage(config.average, period: config.slow)
        fastLabel = "\(config.label) \(config.fast)"
        slowLabel = "\(config.label) \(config.slow)"
    }

    public var warmUpBars: Int { config.mode == .cross ? config.slow + 1 : config.slow }
    public var isReady: Bool { bars >= warmUpBars }

    public mutating func update(_ bar: Bar) -> VoteComponent {
        bars += 1
        let f = fastMA.update(bar.close)
        let s = slowMA.update(bar.close)
        defer { if let f, let s { previous = (f, s) } else { previous = nil } }
        guard let f, let s else { return .warmingUp(name, have: bars, need: warmUpBars) }
        switch config.mode {
        case .cross:
            guard let p = previous else { return .warmingUp(name, have: bars, need: warmUpBars) }
            return crossVote(previousFast: p.fast, previousSlow: p.slow, fast: f, slow: s)
        case .state:
            return stateVote(fast: f, slow: s)
        }
    }

    /// "SMA 10", "SMA 20": made once (reasons are written for every bar).
    private let fastLabel: String
    private let slowLabel: String

    /// The `cross` vote for two consecutive pairs of averages (pure; tests use it too).
    public func crossVote(previousFast pf: Double, previousSlow ps: Double, fast f: Double, slow s: Double) -> VoteComponent {
        // The values are only shown on a cross: no formatting on the other bars.
        if pf < ps && f > s {
            return VoteComponent(name: name, action: .buy, score: 1, confidence: 1,
                                 reason: "\(fastLabel) crossed above \(slowLabel) (\(ReasonFormat.number(f)) vs \(ReasonFormat.number(s)))")
        }
        if pf > ps && f < s {
            return VoteComponent(name: name, action: .sell, score: -1, confidence: 1,
                                 reason: "\(fastLabel) crossed below \(slowLabel) (\(ReasonFormat.number(f)) vs \(ReasonFormat.number(s)))")
        }
        let where_ = f > s ? "above" : f < s ? "below" : "level with"
        return .none(name, "\(fastLabel) \(where_) \(slowLabel), no cross")
    }

    public func stateVote(fast f: Double, slow s: Double) -> VoteComponent {
        let spread = s != 0 ? (f - s) / Swift.abs(s) : 0
        let score = clamp(spread / config.fullScoreSpread, -1, 1)
        let pct = ReasonFormat.number(Swift.abs(spread) * 100, decimals: 1)
        if score > 0 {
            return VoteComponent(name: name, action: .buy, score: score, confidence: score,
                                 reason: "\(fastLabel) \(pct)% above \(slowLabel): uptrend")
        }
        if score < 0 {
            return VoteComponent(name: name, action: .sell, score: score, confidence: -score,
                                 reason: "\(fastLabel) \(pct)% below \(slowLabel): downtrend")
        }
        return .none(name, "\(fastLabel) level with \(slowLabel)")
    }
}
