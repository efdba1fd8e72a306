/// Relative strength index with Wilder's smoothing (TA-Lib `RSI`, default compatibility).
///
/// The first `period` price changes are averaged simply (gains and losses apart); from
/// then on each average is smoothed as `avg = (avg · (period − 1) + change) / period`.
/// RSI = 100 · avgGain / (avgGain + avgLoss), and 0 when both are 0 (TA-Lib's choice for
/// a flat window; ``isFlat`` tells that case apart). The first value comes with input
/// `period + 1` (lookback `period`).
public struct RSI: Sendable, Equatable {
    public let period: Int
    var previous: Double?
    var changes = 0
    /// Wilder-smoothed average gain (a simple sum of gains during warm-up).
    public private(set) var averageGain = 0.0
    /// Wilder-smoothed average loss, as a positive number.
    public private(set) var averageLoss = 0.0
    /// The latest RSI in [0, 100]; nil during warm-up.
    public private(set) var value: Double?

    public init(period: Int = 14) {
        precondition(period >= 1, "RSI period must be at least 1")
        self.period = period
    }

    public static func lookback(period: Int) -> Int { period }
    public var lookback: Int { period }

    /// True when the averages are both zero: no price movement at all in the window.
    public var isFlat: Bool { value != nil && averageGain + averageLoss == 0 }

    @discardableResult
    public mutating func update(_ x: Double) -> Double? {
        guard let prev = previous else {
            previous = x
            return nil
        }
        previous = x
        let change = x - prev
        let n = Double(period)
        if changes < period {
            if change < 0 { averageLoss -= change } else { averageGain += change }
            changes += 1
            guard changes == period else { return nil }
            averageLoss /= n
            averageGain /= n
        } else {
            averageLoss *= n - 1
            averageGain *= n - 1
            if change < 0 { averageLoss -= change } else { averageGain += change }
            averageLoss /= n
            averageGain /= n
        }
        let total = averageGain + averageLoss
        let v = total != 0 ? 100 * (averageGain / total) : 0
        value = v
        return v
    }
}
