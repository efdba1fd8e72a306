import Bus

/// MACD signal-line cross: buy on the bar where the MACD line crosses above its signal
/// line (previous histogram < 0, current > 0), sell where it crosses below; score ±1,
/// confidence 1. Other bars: hold with confidence 0.
public struct MACDCross: Strategy {
    public struct Config: Sendable, Equatable, Codable {
        public var enabled = true
        public var weight = 1.0
        public var fast = 12
        public var slow = 26
        public var signal = 9

        public init(enabled: Bool = true, weight: Double = 1, fast: Int = 12, slow: Int = 26, signal: Int = 9) {
            self.enabled = enabled
            self.weight = weight
            self.fast = fast
            self.slow = slow
            self.signal = signal
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case enabled, weight, fast, slow, signal }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue), in: "technical.macd")
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Config()
            enabled = try c.value(.enabled, or: d.enabled)
            weight = try c.value(.weight, or: d.weight)
            fast = try c.value(.fast, or: d.fast)
            slow = try c.value(.slow, or: d.slow)
            signal = try c.value(.signal, or: d.signal)
        }

        public func problem() -> String? {
            if fast < 1 || signal < 1 { return "macd periods must be at least 1" }
            if fast >= slow { return "macd.fast (\(fast)) must be shorter than macd.slow (\(slow))" }
            if slow > TechnicalConfig.maxPeriod || signal > TechnicalConfig.maxPeriod {
                return "macd periods must be at most \(TechnicalConfig.maxPeriod), got slow \(slow) and signal \(signal)"
            }
            if !(weight.isFinite && weight >= 0) { return "macd.weight must be a non-negative number, got \(weight)" }
            return nil
        }
    }

    public let name = "macd"
    public let config: Config
    public private(set) var macd: MACD
    private var previousHistogram: Double?
    private var bars = 0

    public init(_ config: Config = Config()) {
        self.config = config
        macd = MACD(fast: config.fast, slow: config.slow, signal: config.signal)
    }

    /// One bar past MACD's lookback: a cross needs two histogram values.
    public var warmUpBars: Int { macd.lookback + 2 }
    public var isReady: Bool { bars >= warmUpBars }

    public mutating func update(_ bar: Bar) -> VoteComponent {
        bars += 1
        let out = macd.update(bar.close)
        defer { previousHistogram = out?.histogram }
        guard let out, let prev = previousHistogram else { return .warmingUp(name, have: bars, need: warmUpBars) }
        return vote(previousHistogram: prev, current: out)
    }

    public func vote(previousHistogram prev: Double, current out: MACD.Output) -> VoteComponent {
        // The values are only shown on a cross: no formatting on the other bars.
        if prev < 0 && out.histogram > 0 {
            return VoteComponent(name: name, action: .buy, score: 1, confidence: 1, reason: "MACD crossed above signal \(values(out))")
        }
        if prev > 0 && out.histogram < 0 {
            return VoteComponent(name: name, action: .sell, score: -1, confidence: 1, reason: "MACD crossed below signal \(values(out))")
        }
        return .none(name, "MACD \(out.histogram > 0 ? "above" : out.histogram < 0 ? "below" : "on") signal, no cross")
    }

    private func values(_ out: MACD.Output) -> String {
        "(\(ReasonFormat.number(out.macd, decimals: 3)) vs \(ReasonFormat.number(out.signal, decimals: 3)))"
    }
}
