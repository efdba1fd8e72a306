/// Simple moving average of the last `period` values (TA-Lib `SMA`).
///
/// Warm-up: the first value comes with the `period`-th input (lookback `period - 1`).
/// The window sum runs incrementally and is re-added from the window every `period`
/// inputs, so rounding errors cannot pile up over long series (amortised O(1)).
public struct SMA: Sendable, Equatable {
    public let period: Int
    var window: RollingWindow
    var sum = 0.0
    var sinceAnchor = 0
    /// The latest average; nil during warm-up.
    public private(set) var value: Double?

    public init(period: Int) {
        precondition(period >= 1, "SMA period must be at least 1")
        self.period = period
        window = RollingWindow(capacity: period)
    }

    /// Inputs consumed before the first value (TA-Lib's lookback).
    public static func lookback(period: Int) -> Int { period - 1 }
    public var lookback: Int { period - 1 }

    @discardableResult
    public mutating func update(_ x: Double) -> Double? {
        if let old = window.push(x) {
            sum += x - old
        } else {
            sum += x
        }
        sinceAnchor += 1
        if sinceAnchor == period {
            sinceAnchor = 0
            sum = window.sum()
        }
        guard window.isFull else { return nil }
        let v = sum / Double(period)
        value = v
        return v
    }
}

/// Exponential moving average with k = 2 / (period + 1) (TA-Lib `EMA`, default
/// compatibility): seeded with the simple average of the first `period` inputs, which is
/// also its first value (lookback `period - 1`); then `ema += (x - ema) · k`.
public struct EMA: Sendable, Equatable {
    public let period: Int
    public let k: Double
    var seedSum = 0.0
    var seen = 0
    /// The latest average; nil during warm-up.
    public private(set) var value: Double?

    public init(period: Int) {
        precondition(period >= 1, "EMA period must be at least 1")
        self.period = period
        k = 2.0 / Double(period + 1)
    }

    /// An EMA already seeded with `seed` (its first value): the next input updates it.
    public init(period: Int, seed: Double) {
        self.init(period: period)
        seen = period
        value = seed
    }

    public static func lookback(period: Int) -> Int { period - 1 }
    public var lookback: Int { period - 1 }

    @discardableResult
    public mutating func update(_ x: Double) -> Double? {
        if let prev = value {
            let v = (x - prev) * k + prev
            value = v
            return v
        }
        seedSum += x
        seen += 1
        guard seen == period else { return nil }
        let v = seedSum / Double(period)
        value = v
        return v
    }
}
