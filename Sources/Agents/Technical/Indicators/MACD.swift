/// Moving-average convergence/divergence (TA-Lib `MACD`, default 12/26/9).
///
/// MACD line = EMA(fast) − EMA(slow); signal = EMA(signal) of the line; histogram =
/// line − signal. Seeding follows TA-Lib exactly: both EMAs start on the same input,
/// number `slow` — the slow one seeded with the average of the first `slow` inputs, the
/// fast one with the average of the last `fast` of those (not of the first `fast`) — and
/// the signal EMA is seeded with the average of the first `signal` line values. Every
/// output appears with input `slow + signal − 1` (lookback `slow + signal − 2`, 33 for
/// 12/26/9). As in TA-Lib, a fast period longer than the slow one is swapped (the CLI and the
/// topology refuse such a pair before it gets here).
public struct MACD: Sendable, Equatable {
    public struct Output: Sendable, Equatable {
        public var macd: Double
        public var signal: Double
        public var histogram: Double
        public init(macd: Double, signal: Double, histogram: Double) {
            self.macd = macd
            self.signal = signal
            self.histogram = histogram
        }
    }

    public let fastPeriod: Int
    public let slowPeriod: Int
    public let signalPeriod: Int
    var recent: RollingWindow
    var slowSeedSum = 0.0
    var seen = 0
    var fast: EMA
    var slow: EMA
    var signalEMA: EMA
    /// The latest output; nil during warm-up.
    public private(set) var value: Output?

    public init(fast: Int = 12, slow: Int = 26, signal: Int = 9) {
        precondition(fast >= 1 && slow >= 1 && signal >= 1, "MACD periods must be at least 1")
        let (f, s) = slow < fast ? (slow, fast) : (fast, slow)
        fastPeriod = f
        slowPeriod = s
        signalPeriod = signal
        recent = RollingWindow(capacity: f)
        self.fast = EMA(period: f)
        self.slow = EMA(period: s)
        signalEMA = EMA(period: signal)
    }

    public static func lookback(fast: Int = 12, slow: Int = 26, signal: Int = 9) -> Int {
        max(fast, slow) - 1 + signal - 1
    }
    public var lookback: Int { slowPeriod - 1 + signalPeriod - 1 }

    @discardableResult
    public mutating func update(_ x: Double) -> Output? {
        let line: Double
        if seen < slowPeriod {
            seen += 1
            slowSeedSum += x
            recent.push(x)
            guard seen == slowPeriod else { return nil }
            let s = slowSeedSum / Double(slowPeriod)
            let f = recent.sum() / Double(fastPeriod)
            slow = EMA(period: slowPeriod, seed: s)
            fast = EMA(period: fastPeriod, seed: f)
            line = f - s
        } else {
            line = fast.update(x)! - slow.update(x)!
        }
        guard let sig = signalEMA.update(line) else { return nil }
        let out = Output(macd: line, signal: sig, histogram: line - sig)
        value = out
        return out
    }
}
