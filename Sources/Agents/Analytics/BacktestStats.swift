#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Bus

/// The statistics users know from backtesting.py, computed the same way (see
/// docs/backtest.md for each definition and the few deliberate differences).
public struct BacktestStats: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public let name: String
        public let value: Value
    }

    public enum Value: Sendable, Equatable {
        case number(Double)
        case time(Timestamp)
        /// A duration in seconds.
        case duration(Double)
        case count(Int)
    }

    public let rows: [Row]

    public subscript(_ name: String) -> Value? { rows.first { $0.name == name }?.value }

    public func number(_ name: String) -> Double? {
        switch self[name] {
        case .number(let d): d
        case .count(let n): Double(n)
        case .duration(let s): s
        default: nil
        }
    }
}

/// Inputs: the equity curve (one point per bar time, after that bar's fills, valued at the
/// close), the closes of each symbol (for buy & hold and beta) and the closed trades.
public struct BacktestInputs: Sendable {
    public var times: [Timestamp]
    public var equity: [Double]
    /// Close per bar time of each symbol (same length as `times`, carried forward).
    public var closes: [String: [Double]]
    public var trades: [ClosedTrade]
    public var riskFreeRate: Double

    public init(times: [Timestamp], equity: [Double], closes: [String: [Double]], trades: [ClosedTrade], riskFreeRate: Double = 0) {
        self.times = times
        self.equity = equity
        self.closes = closes
        self.trades = trades
        self.riskFreeRate = riskFreeRate
    }
}

public enum BacktestStatistics {
    public static func compute(_ input: BacktestInputs) -> BacktestStats {
        let t = input.times, eq = input.equity
        var rows: [BacktestStats.Row] = []
        func add(_ name: String, _ v: BacktestStats.Value) { rows.append(.init(name: name, value: v)) }
        guard let first = t.first, let last = t.last, eq.count == t.count, !eq.isEmpty else {
            return BacktestStats(rows: [])
        }
        let n = eq.count
        // Drawdown and its durations and peaks.
        var dd = [Double](repeating: 0, count: n)
        var peak = -Double.infinity
        for i in 0..<n {
            peak = Swift.max(peak, eq[i])
            dd[i] = peak > 0 ? 1 - eq[i] / peak : 0
        }
        var zero = dd.indices.filter { dd[$0] == 0 }
        if zero.last != n - 1 { zero.append(n - 1) }
        var ddDurations: [Double] = [], ddPeaks: [Double] = []
        for k in 1..<Swift.max(1, zero.count) where zero[k] > zero[k - 1] + 1 {
            let a = zero[k - 1], b = zero[k]
            ddDurations.append(Double(t[b].nanoseconds - t[a].nanoseconds) / 1e9)
            ddPeaks.append(dd[a...b].max() ?? 0)
        }
        let period = dataPeriodSeconds(t)
        let resolution = period >= 86_400 ? 86_400.0 : period >= 3600 ? 3600 : period >= 60 ? 60 : 1

        let index = BarIndex(times: t)
        var exposed = [Bool](repeating: false, count: n)
        for tr in input.trades {
            let a = index.position(of: tr.entryTime), b = index.position(of: tr.exitTime)
            if a <= b { for i in a...Swift.min(b, n - 1) { exposed[i] = true } }
        }

        add("Start", .time(first))
        add("End", .time(last))
        add("Duration", .duration(Double(last.nanoseconds - first.nanoseconds) / 1e9))
        add("Exposure Time [%]", .number(Double(exposed.filter { $0 }.count) / Double(n) * 100))
        add("Equity Final [$]", .number(eq[n - 1]))
        add("Equity Peak [$]", .number(eq.max()!))
        let commissions = input.trades.reduce(0) { $0 + $1.fees }
        if commissions != 0 { add("Commissions [$]", .number(commissions)) }
        let totalReturn = (eq[n - 1] - eq[0]) / eq[0]
        add("Return [%]", .number(totalReturn * 100))
        var bh: [Double] = []
        for (_, c) in input.closes.sorted(by: { $0.key < $1.key }) where c.count == n {
            if let i0 = c.firstIndex(where: { $0 > 0 }) { bh.append((c[n - 1] - c[i0]) / c[i0]) }
        }
        let buyHold = bh.isEmpty ? Double.nan : bh.reduce(0, +) / Double(bh.count)
        add("Buy & Hold Return [%]", .number(buyHold * 100))

        // Annualised figures from period returns (daily, weekly, … as backtesting.py).
        let periodReturns = resampledReturns(times: t, equity: eq, periodSeconds: period)
        let tradingPeriods = annualPeriods(times: t, periodSeconds: period)
        let g = geometricMean(periodReturns)
        let annReturn = Foundation_pow(1 + g, tradingPeriods) - 1
        add("Return (Ann.) [%]", .number(annReturn * 100))
        let variance = sampleVariance(periodReturns)
        let vol = (Foundation_pow(variance + (1 + g) * (1 + g), tradingPeriods) - Foundation_pow(1 + g, 2 * tradingPeriods)).squareRoot()
        add("Volatility (Ann.) [%]", .number(vol * 100))
        let years = Double(last.nanoseconds - first.nanoseconds) / 1e9 / 86_400 / 365.25
        add("CAGR [%]", .number(years > 0 ? (Foundation_pow(eq[n - 1] / eq[0], 1 / years) - 1) * 100 : .nan))
        add("Sharpe Ratio", .number((annReturn * 100 - input.riskFreeRate * 100) / (vol * 100 == 0 ? .nan : vol * 100)))
        let downside = periodReturns.isEmpty ? Double.nan : (periodReturns.reduce(0) { $0 + Swift.min($1, 0) * Swift.min($1, 0) } / Double(periodReturns.count)).squareRoot()
        add("Sortino Ratio", .number((annReturn - input.riskFreeRate) / (downside * tradingPeriods.squareRoot())))
        let maxDD = dd.max() ?? 0
        add("Calmar Ratio", .number(annReturn / (maxDD == 0 ? .nan : maxDD)))
        var beta = Double.nan
        if let symbol = input.closes.keys.sorted().first, let c = input.closes[symbol], c.count == n, n > 2 {
            var er: [Double] = [], mr: [Double] = []
            for i in 1..<n {
                er.append(log(eq[i] / eq[i - 1]))
                mr.append(log(c[i] / c[i - 1]))
            }
            let cov = covariance(er, mr), v = sampleVariance(mr)
            beta = v == 0 ? .nan : cov / v
        }
        add("Alpha [%]", .number(totalReturn * 100 - input.riskFreeRate * 100 - beta * (buyHold * 100 - input.riskFreeRate * 100)))
        add("Beta", .number(beta))
        add("Max. Drawdown [%]", .number(-maxDD * 100))
        add("Avg. Drawdown [%]", .number(ddPeaks.isEmpty ? .nan : -ddPeaks.reduce(0, +) / Double(ddPeaks.count) * 100))
        add("Max. Drawdown Duration", .duration(ceil(ddDurations.max() ?? .nan, resolution)))
        add("Avg. Drawdown Duration", .duration(ceil(ddDurations.isEmpty ? .nan : ddDurations.reduce(0, +) / Double(ddDurations.count), resolution)))

        let trades = input.trades
        add("# Trades", .count(trades.count))
        let pl = trades.map(\.pnl)
        let returns = trades.map(returnFraction)
        let winRate = trades.isEmpty ? Double.nan : Double(pl.filter { $0 > 0 }.count) / Double(trades.count)
        add("Win Rate [%]", .number(winRate * 100))
        add("Best Trade [%]", .number((returns.max() ?? .nan) * 100))
        add("Worst Trade [%]", .number((returns.min() ?? .nan) * 100))
        add("Avg. Trade [%]", .number(trades.isEmpty ? .nan : geometricMean(returns) * 100))
        let durations = trades.map(\.holdingSeconds)
        add("Max. Trade Duration", .duration(ceil(durations.max() ?? .nan, resolution)))
        add("Avg. Trade Duration", .duration(ceil(durations.isEmpty ? .nan : durations.reduce(0, +) / Double(durations.count), resolution)))
        let gains = returns.filter { $0 > 0 }.reduce(0, +), losses = Swift.abs(returns.filter { $0 < 0 }.reduce(0, +))
        add("Profit Factor", .number(gains / (losses == 0 ? .nan : losses)))
        add("Expectancy [%]", .number(returns.isEmpty ? .nan : returns.reduce(0, +) / Double(returns.count) * 100))
        let plStd = sampleVariance(pl).squareRoot()
        add("SQN", .number(trades.isEmpty ? .nan : Double(trades.count).squareRoot() * (pl.reduce(0, +) / Double(pl.count)) / (plStd == 0 ? .nan : plStd)))
        let wins = pl.filter { $0 > 0 }, lossPL = pl.filter { $0 < 0 }
        let avgWin = wins.isEmpty ? Double.nan : wins.reduce(0, +) / Double(wins.count)
        let avgLoss = lossPL.isEmpty ? Double.nan : -lossPL.reduce(0, +) / Double(lossPL.count)
        add("Kelly Criterion", .number(winRate - (1 - winRate) / (avgWin / avgLoss)))
        return BacktestStats(rows: rows)
    }

    /// A trade's return as backtesting.py's `pl_pct`: price move in the trade's direction,
    /// minus commissions as a fraction of the entry value.
    public static func returnFraction(_ t: ClosedTrade) -> Double {
        let dir: Double = t.side == .long ? 1 : -1
        let gross = dir * (t.exitPrice / t.entryPrice - 1)
        return gross - t.fees / (t.quantity * t.entryPrice)
    }

    /// The bar spacing: the median difference between consecutive times (seconds).
    static func dataPeriodSeconds(_ t: [Timestamp]) -> Double {
        guard t.count > 1 else { return 86_400 }
        var d = (1..<Swift.min(t.count, 101)).map { Double(t[$0].nanoseconds - t[$0 - 1].nanoseconds) / 1e9 }
        d.sort()
        return d[d.count / 2]
    }

    /// backtesting.py: 52 for weekly data, 12 monthly, 1 yearly, otherwise 252 trading days
    /// (365 when the data has weekend bars).
    static func annualPeriods(times t: [Timestamp], periodSeconds: Double) -> Double {
        let days = Int(periodSeconds / 86_400)
        if days == 7 { return 52 }
        if days == 31 { return 12 }
        if days == 365 { return 1 }
        let weekend = Double(t.filter { $0.isoWeekday >= 6 }.count) / Double(Swift.max(1, t.count))
        return weekend > 2.0 / 7.0 * 0.6 ? 365 : 252
    }

    /// Equity returns per calendar period (day, or week/month/year for coarser data): the
    /// last equity of each period, then period-over-period changes.
    static func resampledReturns(times t: [Timestamp], equity: [Double], periodSeconds: Double) -> [Double] {
        let days = Int(periodSeconds / 86_400)
        func key(_ ts: Timestamp) -> Int64 {
            switch days {
            case 7:
                // Weeks ending on Sunday, as pandas' "W".
                let d = ts.dayNumber
                return (d + 3) / 7 // 1970-01-01 was a Thursday
            case 31:
                let (y, m, _) = ts.civilDate
                return Int64(y * 12 + m)
            case 365:
                return Int64(ts.civilDate.year)
            default:
                return ts.dayNumber
            }
        }
        var lastByPeriod: [Double] = []
        var current: Int64?
        for i in t.indices {
            let k = key(t[i])
            if k == current { lastByPeriod[lastByPeriod.count - 1] = equity[i] } else {
                lastByPeriod.append(equity[i])
                current = k
            }
        }
        guard lastByPeriod.count > 1 else { return [] }
        return (1..<lastByPeriod.count).map { lastByPeriod[$0] / lastByPeriod[$0 - 1] - 1 }
    }

    static func geometricMean(_ r: [Double]) -> Double {
        guard !r.isEmpty else { return 0 }
        var s = 0.0
        for x in r {
            if 1 + x <= 0 { return 0 }
            s += log(1 + x)
        }
        return exp(s / Double(r.count)) - 1
    }

    static func sampleVariance(_ x: [Double]) -> Double {
        guard x.count > 1 else { return .nan }
        let m = x.reduce(0, +) / Double(x.count)
        return x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)
    }

    static func covariance(_ x: [Double], _ y: [Double]) -> Double {
        guard x.count > 1, x.count == y.count else { return .nan }
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        var s = 0.0
        for i in x.indices { s += (x[i] - mx) * (y[i] - my) }
        return s / Double(x.count - 1)
    }

    static func ceil(_ seconds: Double, _ resolution: Double) -> Double {
        seconds.isNaN ? .nan : (seconds / resolution).rounded(.up) * resolution
    }

    @inline(__always) static func Foundation_pow(_ a: Double, _ b: Double) -> Double { pow(a, b) }
}

/// Positions of bar times, for mapping trade entry/exit times to bar indices.
struct BarIndex {
    let times: [Timestamp]
    func position(of t: Timestamp) -> Int {
        var lo = 0, hi = times.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if times[mid] < t { lo = mid + 1 } else { hi = mid }
        }
        return Swift.min(lo, times.count - 1)
    }
}
