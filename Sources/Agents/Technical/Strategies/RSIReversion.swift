import Bus

/// RSI mean reversion: buy when RSI is below `oversold`, sell when above `overbought`.
///
/// Below `oversold`: buy, score = 0.5 + 0.5 · (oversold − RSI) / oversold (0.5 just under
/// the line, 1 at RSI 0), confidence = score. Above `overbought`: the mirror image, sell
/// with score −(0.5 + 0.5 · (RSI − overbought) / (100 − overbought)). Between: hold with
/// confidence 0 ("RSI 48.2: neutral"). A window without any price movement (TA-Lib's RSI
/// is 0 there) is a hold with confidence 0, not an oversold signal.
public struct RSIReversion: Strategy {
    public struct Config: Sendable, Equatable, Codable {
        public var enabled = true
        public var weight = 1.0
        public var period = 14
        public var oversold = 30.0
        public var overbought = 70.0

        public init(enabled: Bool = true, weight: Double = 1, period: Int = 14, oversold: Double = 30, overbought: Double = 70) {
            self.enabled = enabled
            self.weight = weight
            self.period = period
            self.oversold = oversold
            self.overbought = overbought
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case enabled, weight, period, oversold, overbought }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue), in: "technical.rsi")
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Config()
            enabled = try c.value(.enabled, or: d.enabled)
            weight = try c.value(.weight, or: d.weight)
            period = try c.value(.period, or: d.period)
            oversold = try c.value(.oversold, or: d.oversold)
            overbought = try c.value(.overbought, or: d.overbought)
        }

        public func problem() -> String? {
            if period < 1 { return "rsi.period must be at least 1, got \(period)" }
            if period > TechnicalConfig.maxPeriod { return "rsi.period must be at most \(TechnicalConfig.maxPeriod), got \(period)" }
            if !(0 < oversold && oversold < overbought && overbought < 100) {
                return "rsi thresholds must satisfy 0 < oversold < overbought < 100, got \(oversold) and \(overbought)"
            }
            if !(weight.isFinite && weight >= 0) { return "rsi.weight must be a non-negative number, got \(weight)" }
            return nil
        }
    }

    public let name = "rsi"
    public let config: Config
    public private(set) var rsi: RSI
    private var bars = 0

    public init(_ config: Config = Config()) {
        self.config = config
        rsi = RSI(period: config.period)
    }

    public var warmUpBars: Int { config.period + 1 }
    public var isReady: Bool { bars >= warmUpBars }

    public mutating func update(_ bar: Bar) -> VoteComponent {
        bars += 1
        guard let v = rsi.update(bar.close) else { return .warmingUp(name, have: bars, need: warmUpBars) }
        return vote(rsi: v, flat: rsi.isFlat)
    }

    /// The vote for an RSI value (pure; also used by tests).
    public func vote(rsi v: Double, flat: Bool = false) -> VoteComponent {
        if flat { return .none(name, "RSI: no price movement in \(config.period) bars") }
        let shown = ReasonFormat.rsi(v)
        if v < config.oversold {
            let s = 0.5 + 0.5 * (config.oversold - v) / config.oversold
            return VoteComponent(name: name, action: .buy, score: s, confidence: s,
                                 reason: "RSI \(shown) < \(ReasonFormat.number(config.oversold)): oversold")
        }
        if v > config.overbought {
            let s = 0.5 + 0.5 * (v - config.overbought) / (100 - config.overbought)
            return VoteComponent(name: name, action: .sell, score: -s, confidence: s,
                                 reason: "RSI \(shown) > \(ReasonFormat.number(config.overbought)): overbought")
        }
        return .none(name, "RSI \(shown): neutral")
    }
}
