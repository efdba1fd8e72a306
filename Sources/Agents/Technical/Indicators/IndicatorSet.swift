import Bus

/// The periods of the standard indicator set (TA-Lib defaults, except SMA/EMA 20).
public struct IndicatorPeriods: Sendable, Equatable, Codable {
    public var sma = 20
    public var ema = 20
    public var rsi = 14
    public var macdFast = 12
    public var macdSlow = 26
    public var macdSignal = 9
    public var bollinger = 20
    public var bollingerDeviations = 2.0
    public var atr = 14
    public var stochK = 14
    public var stochKSmoothing = 3
    public var stochD = 3

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case sma, ema, rsi, macdFast, macdSlow, macdSignal, bollinger, bollingerDeviations, atr, stochK, stochKSmoothing, stochD
    }

    /// Every key is optional (the defaults above); unknown keys and bad periods are refused.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue), in: "indicator periods")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = IndicatorPeriods()
        sma = try c.value(.sma, or: d.sma)
        ema = try c.value(.ema, or: d.ema)
        rsi = try c.value(.rsi, or: d.rsi)
        macdFast = try c.value(.macdFast, or: d.macdFast)
        macdSlow = try c.value(.macdSlow, or: d.macdSlow)
        macdSignal = try c.value(.macdSignal, or: d.macdSignal)
        bollinger = try c.value(.bollinger, or: d.bollinger)
        bollingerDeviations = try c.value(.bollingerDeviations, or: d.bollingerDeviations)
        atr = try c.value(.atr, or: d.atr)
        stochK = try c.value(.stochK, or: d.stochK)
        stochKSmoothing = try c.value(.stochKSmoothing, or: d.stochKSmoothing)
        stochD = try c.value(.stochD, or: d.stochD)
        if let p = problem() {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: p))
        }
    }

    /// The CSV columns of `agora indicators`, after `time`.
    public var columns: [String] {
        ["sma_\(sma)", "ema_\(ema)", "rsi_\(rsi)", "macd", "macd_signal", "macd_hist",
         "bb_upper", "bb_middle", "bb_lower", "atr_\(atr)", "stoch_k", "stoch_d", "obv"]
    }

    /// A problem with the periods, or nil.
    public func problem() -> String? {
        let checks: [(String, Int)] = [
            ("sma", sma), ("ema", ema), ("rsi", rsi), ("macd fast", macdFast), ("macd slow", macdSlow),
            ("macd signal", macdSignal), ("bollinger", bollinger), ("atr", atr), ("stoch k", stochK),
            ("stoch k smoothing", stochKSmoothing), ("stoch d", stochD),
        ]
        for (name, v) in checks where v < 1 || v > 100_000 {
            return "\(name) period must be in 1…100000, got \(v)"
        }
        if macdFast >= macdSlow { return "macd fast period (\(macdFast)) must be shorter than the slow one (\(macdSlow))" }
        if !(bollingerDeviations.isFinite && bollingerDeviations > 0) {
            return "bollinger deviations must be a positive number, got \(bollingerDeviations)"
        }
        return nil
    }
}

/// All the standard indicators of one symbol, updated together bar by bar: SMA, EMA,
/// RSI, MACD, Bollinger Bands, ATR, stochastic and OBV (8 indicators).
public struct IndicatorSet: Sendable, Equatable {
    /// The values after one bar; nil fields are still warming up.
    public struct Row: Sendable, Equatable {
        public var sma: Double?
        public var ema: Double?
        public var rsi: Double?
        public var macd: MACD.Output?
        public var bollinger: BollingerBands.Output?
        public var atr: Double?
        public var stochastic: Stochastic.Output?
        public var obv: Double?

        /// The 13 values in the order of ``IndicatorPeriods/columns``.
        public var cells: [Double?] {
            [sma, ema, rsi, macd?.macd, macd?.signal, macd?.histogram,
             bollinger?.upper, bollinger?.middle, bollinger?.lower, atr, stochastic?.k, stochastic?.d, obv]
        }
    }

    public static let count = 8

    public let periods: IndicatorPeriods
    public var sma: SMA
    public var ema: EMA
    public var rsi: RSI
    public var macd: MACD
    public var bollinger: BollingerBands
    public var atr: ATR
    public var stochastic: Stochastic
    public var obv: OBV

    public init(periods: IndicatorPeriods = IndicatorPeriods()) {
        self.periods = periods
        sma = SMA(period: periods.sma)
        ema = EMA(period: periods.ema)
        rsi = RSI(period: periods.rsi)
        macd = MACD(fast: periods.macdFast, slow: periods.macdSlow, signal: periods.macdSignal)
        bollinger = BollingerBands(period: periods.bollinger, deviations: periods.bollingerDeviations)
        atr = ATR(period: periods.atr)
        stochastic = Stochastic(kPeriod: periods.stochK, kSmoothing: periods.stochKSmoothing, dPeriod: periods.stochD)
        obv = OBV()
    }

    @discardableResult
    public mutating func update(_ bar: Bar) -> Row {
        update(high: bar.high, low: bar.low, close: bar.close, volume: bar.volume)
    }

    @discardableResult
    public mutating func update(high: Double, low: Double, close: Double, volume: Double) -> Row {
        Row(
            sma: sma.update(close),
            ema: ema.update(close),
            rsi: rsi.update(close),
            macd: macd.update(close),
            bollinger: bollinger.update(close),
            atr: atr.update(high: high, low: low, close: close),
            stochastic: stochastic.update(high: high, low: low, close: close),
            obv: obv.update(close: close, volume: volume))
    }
}
