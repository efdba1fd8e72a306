/// Average true range with Wilder's smoothing (TA-Lib `ATR`, default 14).
///
/// True range = max(high − low, |high − previous close|, |low − previous close|), so the
/// first bar has none. The first ATR is the simple average of the first `period` true
/// ranges (bars 2 … period + 1); then `atr = (atr · (period − 1) + tr) / period`.
/// Lookback `period`.
public struct ATR: Sendable, Equatable {
    public let period: Int
    var previousClose: Double?
    var ranges = 0
    var seedSum = 0.0
    /// The latest ATR; nil during warm-up.
    public private(set) var value: Double?

    public init(period: Int = 14) {
        precondition(period >= 1, "ATR period must be at least 1")
        self.period = period
    }

    public static func lookback(period: Int) -> Int { period }
    public var lookback: Int { period }

    /// The true range of a bar given the previous close.
    public static func trueRange(high: Double, low: Double, previousClose: Double) -> Double {
        var greatest = high - low
        let up = Swift.abs(previousClose - high)
        if up > greatest { greatest = up }
        let down = Swift.abs(previousClose - low)
        if down > greatest { greatest = down }
        return greatest
    }

    @discardableResult
    public mutating func update(high: Double, low: Double, close: Double) -> Double? {
        guard let pc = previousClose else {
            previousClose = close
            return nil
        }
        previousClose = close
        let tr = ATR.trueRange(high: high, low: low, previousClose: pc)
        if let atr = value {
            let n = Double(period)
            let v = (atr * (n - 1) + tr) / n
            value = v
            return v
        }
        seedSum += tr
        ranges += 1
        guard ranges == period else { return nil }
        let v = seedSum / Double(period)
        value = v
        return v
    }
}
