/// The slow stochastic oscillator (TA-Lib `STOCH` with simple-average smoothing,
/// default 14, 3, 3).
///
/// Fast %K = 100 · (close − lowest low) / (highest high − lowest low) over the last
/// `kPeriod` bars (0 when the range is 0, as in TA-Lib); %K = SMA(`kSmoothing`) of fast
/// %K; %D = SMA(`dPeriod`) of %K. Both appear together, with bar
/// `kPeriod + kSmoothing + dPeriod − 2` (lookback 17 for 14, 3, 3).
public struct Stochastic: Sendable, Equatable {
    public struct Output: Sendable, Equatable {
        public var k: Double
        public var d: Double
        public init(k: Double, d: Double) {
            self.k = k
            self.d = d
        }
    }

    public let kPeriod: Int
    public let kSmoothing: Int
    public let dPeriod: Int
    var highest: RollingExtreme
    var lowest: RollingExtreme
    var seen = 0
    var slowK: SMA
    var slowD: SMA
    /// The latest %K and %D; nil during warm-up.
    public private(set) var value: Output?

    public init(kPeriod: Int = 14, kSmoothing: Int = 3, dPeriod: Int = 3) {
        precondition(kPeriod >= 1 && kSmoothing >= 1 && dPeriod >= 1, "stochastic periods must be at least 1")
        self.kPeriod = kPeriod
        self.kSmoothing = kSmoothing
        self.dPeriod = dPeriod
        highest = RollingExtreme(period: kPeriod, kind: .max)
        lowest = RollingExtreme(period: kPeriod, kind: .min)
        slowK = SMA(period: kSmoothing)
        slowD = SMA(period: dPeriod)
    }

    public static func lookback(kPeriod: Int = 14, kSmoothing: Int = 3, dPeriod: Int = 3) -> Int {
        kPeriod - 1 + kSmoothing - 1 + dPeriod - 1
    }
    public var lookback: Int { Stochastic.lookback(kPeriod: kPeriod, kSmoothing: kSmoothing, dPeriod: dPeriod) }

    @discardableResult
    public mutating func update(high: Double, low: Double, close: Double) -> Output? {
        let hh = highest.update(high)
        let ll = lowest.update(low)
        if seen < kPeriod {
            seen += 1
            guard seen == kPeriod else { return nil }
        }
        let diff = (hh - ll) / 100
        let fastK = diff != 0 ? (close - ll) / diff : 0
        guard let k = slowK.update(fastK), let d = slowD.update(k) else { return nil }
        let out = Output(k: k, d: d)
        value = out
        return out
    }
}
