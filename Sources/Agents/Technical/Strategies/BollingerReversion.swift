import Bus

/// Bollinger band reversion: buy when the close is below the lower band, sell when above
/// the upper band. Score = ±min(1, 0.5 + distance beyond the band / band width),
/// confidence = |score|. Inside the bands (or with zero-width bands): hold, confidence 0.
public struct BollingerReversion: Strategy {
    public struct Config: Sendable, Equatable, Codable {
        public var enabled = true
        public var weight = 1.0
        public var period = 20
        public var deviations = 2.0

        public init(enabled: Bool = true, weight: Double = 1, period: Int = 20, deviations: Double = 2) {
            self.enabled = enabled
            self.weight = weight
            self.period = period
            self.deviations = deviations
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case enabled, weight, period, deviations }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue), in: "technical.bollinger")
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Config()
            enabled = try c.value(.enabled, or: d.enabled)
            weight = try c.value(.weight, or: d.weight)
            period = try c.value(.period, or: d.period)
            deviations = try c.value(.deviations, or: d.deviations)
        }

        public func problem() -> String? {
            if period < 1 { return "bollinger.period must be at least 1, got \(period)" }
            if period > TechnicalConfig.maxPeriod { return "bollinger.period must be at most \(TechnicalConfig.maxPeriod), got \(period)" }
            if !(deviations.isFinite && deviations > 0) { return "bollinger.deviations must be a positive number, got \(deviations)" }
            if !(weight.isFinite && weight >= 0) { return "bollinger.weight must be a non-negative number, got \(weight)" }
            return nil
        }
    }

    public let name = "bollinger"
    public let config: Config
    public private(set) var bands: BollingerBands
    private var bars = 0

    public init(_ config: Config = Config()) {
        self.config = config
        bands = BollingerBands(period: config.period, deviations: config.deviations)
    }

    public var warmUpBars: Int { config.period }
    public var isReady: Bool { bars >= warmUpBars }

    public mutating func update(_ bar: Bar) -> VoteComponent {
        bars += 1
        guard let b = bands.update(bar.close) else { return .warmingUp(name, have: bars, need: warmUpBars) }
        return vote(close: bar.close, bands: b)
    }

    public func vote(close: Double, bands b: BollingerBands.Output) -> VoteComponent {
        let width = b.upper - b.lower
        guard width > 0 else { return .none(name, "Bollinger bands have zero width") }
        let c = ReasonFormat.number(close)
        if close < b.lower {
            let s = min(1, 0.5 + (b.lower - close) / width)
            return VoteComponent(name: name, action: .buy, score: s, confidence: s,
                                 reason: "close \(c) < lower band \(ReasonFormat.number(b.lower)): stretched down")
        }
        if close > b.upper {
            let s = min(1, 0.5 + (close - b.upper) / width)
            return VoteComponent(name: name, action: .sell, score: -s, confidence: s,
                                 reason: "close \(c) > upper band \(ReasonFormat.number(b.upper)): stretched up")
        }
        return .none(name, "close \(c) inside the bands")
    }
}
