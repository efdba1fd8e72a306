/// Bollinger Bands (TA-Lib `BBANDS` with a simple moving average): middle = SMA(period),
/// upper/lower = middle ± k · σ, σ the population standard deviation of the window.
/// Lookback `period − 1`.
///
/// Numerics: the window is summed as deviations from a shift (the window mean at the last
/// re-anchoring), and both sums are recomputed from the window every `period` inputs, so
/// neither cancellation (Σx² − n·mean²) nor drift grows with the length of the series.
public struct BollingerBands: Sendable, Equatable {
    public struct Output: Sendable, Equatable {
        public var upper: Double
        public var middle: Double
        public var lower: Double
        public init(upper: Double, middle: Double, lower: Double) {
            self.upper = upper
            self.middle = middle
            self.lower = lower
        }
        /// %B: where `x` sits between the bands (0 at lower, 1 at upper); nil for zero width.
        public func percentB(_ x: Double) -> Double? {
            upper > lower ? (x - lower) / (upper - lower) : nil
        }
    }

    public let period: Int
    public let deviationsUp: Double
    public let deviationsDown: Double
    var window: RollingWindow
    var shift = 0.0
    var s1 = 0.0
    var s2 = 0.0
    var sinceAnchor = 0
    let inversePeriod: Double
    /// The latest bands; nil during warm-up.
    public private(set) var value: Output?
    /// The latest population standard deviation; nil during warm-up.
    public private(set) var standardDeviation: Double?

    public init(period: Int = 20, deviations: Double = 2) {
        self.init(period: period, deviationsUp: deviations, deviationsDown: deviations)
    }

    public init(period: Int, deviationsUp: Double, deviationsDown: Double) {
        precondition(period >= 1, "Bollinger period must be at least 1")
        self.period = period
        self.deviationsUp = deviationsUp
        self.deviationsDown = deviationsDown
        inversePeriod = 1 / Double(period)
        window = RollingWindow(capacity: period)
    }

    public static func lookback(period: Int) -> Int { period - 1 }
    public var lookback: Int { period - 1 }

    @discardableResult
    public mutating func update(_ x: Double) -> Output? {
        if window.count == 0 { shift = x }
        let d = x - shift
        if let old = window.push(x) {
            let o = old - shift
            s1 += d - o
            s2 += d * d - o * o
        } else {
            s1 += d
            s2 += d * d
        }
        sinceAnchor += 1
        if sinceAnchor == period {
            sinceAnchor = 0
            reanchor()
        }
        guard window.isFull else { return nil }
        let m = s1 * inversePeriod
        let variance = s2 * inversePeriod - m * m
        let sd = variance > 0 ? variance.squareRoot() : 0
        let middle = shift + m
        let out = Output(upper: middle + deviationsUp * sd, middle: middle, lower: middle - deviationsDown * sd)
        standardDeviation = sd
        value = out
        return out
    }

    /// Re-centres the shift on the window mean and recomputes both sums from the window
    /// (called when the window is full).
    mutating func reanchor() {
        let mean = window.sum() * inversePeriod
        var a = 0.0, b = 0.0
        window.storage.withUnsafeBufferPointer { p in
            for v in p {
                let d = v - mean
                a += d
                b += d * d
            }
        }
        shift = mean
        s1 = a
        s2 = b
    }
}
