/// The technical agent's configuration (the `technical` section of `topology.json`).
/// Every key is optional; the defaults are below. Unknown keys are refused.
public struct TechnicalConfig: Sendable, Equatable, Codable {
    /// RSI mean reversion, 14; 30/70.
    public var rsi = RSIReversion.Config()
    /// Moving-average crossover, SMA 50/200, cross mode.
    public var maCross = MACrossover.Config()
    /// MACD signal-line cross, 12/26/9.
    public var macd = MACDCross.Config()
    /// Bollinger band reversion, 20, 2σ.
    public var bollinger = BollingerReversion.Config()
    /// true (default): vote hold with confidence 0 until every enabled strategy is warmed up.
    /// false: each strategy counts as soon as it is warmed up.
    public var holdUntilAllReady = true
    /// The combined score must exceed this (in absolute value) for a buy or sell. Default 0.
    public var minScore = 0.0

    public init() {}

    /// The longest period a strategy may ask for (as `agora indicators` allows): its
    /// indicators keep that many values per symbol.
    public static let maxPeriod = 100_000

    enum CodingKeys: String, CodingKey, CaseIterable { case rsi, maCross, macd, bollinger, holdUntilAllReady, minScore }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue), in: "technical")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TechnicalConfig()
        rsi = try c.value(.rsi, or: d.rsi)
        maCross = try c.value(.maCross, or: d.maCross)
        macd = try c.value(.macd, or: d.macd)
        bollinger = try c.value(.bollinger, or: d.bollinger)
        holdUntilAllReady = try c.value(.holdUntilAllReady, or: d.holdUntilAllReady)
        minScore = try c.value(.minScore, or: d.minScore)
        if let p = problem() {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: p))
        }
    }

    /// The first problem with the configuration, or nil.
    public func problem() -> String? {
        var enabled = 0
        if rsi.enabled { enabled += 1; if let p = rsi.problem() { return p } }
        if maCross.enabled { enabled += 1; if let p = maCross.problem() { return p } }
        if macd.enabled { enabled += 1; if let p = macd.problem() { return p } }
        if bollinger.enabled { enabled += 1; if let p = bollinger.problem() { return p } }
        if enabled == 0 { return "technical: no strategy is enabled" }
        if !(minScore.isFinite && minScore >= 0 && minScore < 1) { return "technical.minScore must be in [0, 1), got \(minScore)" }
        return nil
    }

    /// The enabled strategies with their weights, in a fixed order: rsi, ma_cross, macd, bollinger.
    public func strategies() -> [(strategy: any Strategy, weight: Double)] {
        var out: [(any Strategy, Double)] = []
        if rsi.enabled { out.append((RSIReversion(rsi), rsi.weight)) }
        if maCross.enabled { out.append((MACrossover(maCross), maCross.weight)) }
        if macd.enabled { out.append((MACDCross(macd), macd.weight)) }
        if bollinger.enabled { out.append((BollingerReversion(bollinger), bollinger.weight)) }
        return out
    }
}
