/// A simple moving average computed exactly as pandas' `Series.rolling(n).mean()`, bit for
/// bit: a running sum with separate Kahan compensations for the values added and the
/// values removed, the mean of a window of one repeated value being that value.
///
/// TA-Lib's SMA (``SMA``) and this one agree to ~1e-15 relative, but on mathematically
/// tied windows (common with prices of two decimals) the last bit decides whether two
/// averages "crossed". backtesting.py strategies compute their averages with pandas, so
/// the MA crossover offers this one (`"average": "pandas"`) to reproduce their trades
/// exactly.
public struct RollingMean: Sendable, Equatable {
    public let period: Int
    private var window: [Double]
    private var next = 0
    private var count = 0
    private var sum = 0.0
    private var addCompensation = 0.0
    private var removeCompensation = 0.0
    private var negatives = 0
    private var sameRun = 0
    private var previous = Double.nan

    public init(period: Int) {
        self.period = Swift.max(1, period)
        window = Array(repeating: 0, count: self.period)
    }

    /// Adds a value; the mean once `period` values are in, nil before.
    public mutating func update(_ x: Double) -> Double? {
        if count == period {
            let old = window[next]
            let y = -old - removeCompensation
            let t = sum + y
            removeCompensation = t - sum - y
            sum = t
            if old.sign == .minus { negatives -= 1 }
        } else {
            count += 1
        }
        window[next] = x
        next = next + 1 == period ? 0 : next + 1
        let y = x - addCompensation
        let t = sum + y
        addCompensation = t - sum - y
        sum = t
        if x.sign == .minus { negatives += 1 }
        sameRun = x == previous ? sameRun + 1 : 1
        previous = x
        guard count == period else { return nil }
        var mean = sum / Double(period)
        if sameRun >= period {
            mean = previous
        } else if negatives == 0 && mean < 0 {
            mean = 0
        } else if negatives == period && mean > 0 {
            mean = 0
        }
        return mean
    }
}
