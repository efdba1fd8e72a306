/// On-balance volume (TA-Lib `OBV`): starts at the first bar's volume, then adds the
/// volume when the close rises, subtracts it when the close falls, and keeps it when the
/// close is unchanged. It has a value from the first bar (lookback 0).
public struct OBV: Sendable, Equatable {
    var previousClose: Double?
    /// The latest value; nil before the first bar.
    public private(set) var value: Double?

    public init() {}

    public static let lookback = 0

    @discardableResult
    public mutating func update(close: Double, volume: Double) -> Double {
        guard let pc = previousClose, let obv = value else {
            previousClose = close
            value = volume
            return volume
        }
        previousClose = close
        var v = obv
        if close > pc { v += volume } else if close < pc { v -= volume }
        value = v
        return v
    }
}
