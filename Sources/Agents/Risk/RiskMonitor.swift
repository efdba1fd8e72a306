import Bus

/// The risk agent's running checks and its vote, as a pure state machine fed with bars
/// and fills: stop-loss and take-profit, the daily loss limit, the drawdown circuit
/// breaker, and a per-bar score of the market risk it sees.
public struct RiskMonitor: Sendable {
    public enum Transition: Sendable, Equatable {
        case halt(Halt)
        case resume(Resume)
    }

    /// What one bar produced.
    public struct Assessment: Sendable, Equatable {
        public var vote: Vote
        public var transitions: [Transition]
    }

    public let limits: RiskLimits
    public private(set) var ledger: Ledger
    private var day: Int64?
    private var dayStartEquity: Double
    private var peak: Double
    /// Daily-loss halt: the day it applies to and why.
    private var dailyHalt: (day: Int64, halt: Halt)?
    /// Circuit breaker: the halt it published, and bars since it tripped.
    private var breaker: (halt: Halt, bars: Int)?
    /// Bars in a row with no position open (for the flat cool-down).
    private var flatBars = 0
    /// Each symbol's recent prices: one look-up per bar.
    private var history: [String: PriceHistory] = [:]

    /// One symbol's recent returns, kept so that a bar costs no re-division and no shifting.
    struct PriceHistory: Sendable {
        var lastClose: Double?
        /// Closes seen, counted up to the kept window (`max(long, correlation) + 1` closes).
        var closes = 0
        /// The return of each consecutive pair of the kept closes, oldest first; NaN where the
        /// earlier close is not positive (no return).
        var pairReturns: RollingWindow
        /// Close-to-close returns by bar time (for correlations), the last `correlationWindow`.
        var timed: [(Int64, Double)] = []

        init(keep: Int) { pairReturns = RollingWindow(capacity: Swift.max(1, keep - 1)) }
    }

    public init(limits: RiskLimits, cash: Double) {
        self.limits = limits
        ledger = Ledger(cash: cash)
        dayStartEquity = cash
        peak = cash
    }

    /// Why new entries are halted now, if they are.
    public var haltReason: String? { activeHalt?.reason }

    /// The halt in force now (its code, reason and the numbers behind it), if any.
    public var activeHalt: Halt? {
        if let b = breaker { return b.halt }
        if let d = dailyHalt, d.day == day { return d.halt }
        return nil
    }

    public var drawdown: Double { peak > 0 ? Swift.max(0, 1 - ledger.equity / peak) : 0 }

    public mutating func onFill(_ f: OrderFilled) {
        _ = ledger.apply(f)
    }

    /// A manual `system.resume`: lifts the circuit breaker and the daily halt.
    public mutating func resume(at time: Timestamp, reason: String, by: String) -> Transition? {
        guard haltReason != nil else { return nil }
        breaker = nil
        dailyHalt = nil
        peak = ledger.equity
        return .resume(Resume(time: time, reason: reason, by: by))
    }

    public mutating func onBar(_ bar: Bar, agent: String = "risk") -> Assessment {
        var transitions: [Transition] = []
        let today = bar.time.dayNumber
        if today != day {
            if let d = dailyHalt, day != nil, d.day != today {
                dailyHalt = nil
                if breaker == nil {
                    transitions.append(.resume(Resume(time: bar.time, reason: "new trading day", by: agent)))
                }
            }
            day = today
            dayStartEquity = ledger.equity
        }
        record(bar)
        ledger.mark(bar.symbol, price: bar.close)
        let equity = ledger.equity
        peak = Swift.max(peak, equity)
        let dd = drawdown

        if let pct = limits.dailyLossPct, dailyHalt == nil, breaker == nil, dayStartEquity > 0,
           equity <= dayStartEquity * (1 - pct) {
            let loss = 1 - equity / dayStartEquity
            let reason = "daily loss \(pct100(loss)) ≥ \(pct100(pct)); entries halted until the next trading day"
            let halt = Halt(time: bar.time, code: "daily_loss_limit", reason: reason, by: agent, value: loss, limit: pct)
            dailyHalt = (today, halt)
            transitions.append(.halt(halt))
        }
        if var b = breaker {
            b.bars += 1
            breaker = b
            // The breaker lifted while today's loss halt holds: no `system.resume` yet (entries
            // stay halted); the new trading day's resume says it.
            let dailyHolds = dailyHalt.map { $0.day == today } ?? false
            if let resume = limits.resumeDrawdownPct, dd < resume {
                breaker = nil
                if !dailyHolds {
                    transitions.append(.resume(Resume(time: bar.time, reason: "drawdown \(pct100(dd)) < \(pct100(resume))", by: agent)))
                }
            } else if let cool = limits.haltCooldownBars, b.bars >= cool {
                breaker = nil
                peak = equity
                if !dailyHolds {
                    transitions.append(.resume(Resume(time: bar.time, reason: "cool-down of \(cool) bars over; drawdown peak reset to equity \(fmt(equity))", by: agent)))
                }
            }
        } else if let maxDD = limits.maxDrawdownPct, dd >= maxDD {
            let reason = "drawdown \(pct100(dd)) ≥ \(pct100(maxDD)): circuit breaker"
            let halt = Halt(time: bar.time, code: "max_drawdown", reason: reason, by: agent, value: dd, limit: maxDD)
            breaker = (halt, 0)
            transitions.append(.halt(halt))
        }
        // The flat cool-down: a book without positions cannot win back a drawdown, so its
        // drawdown would stay where the last exit left it — and past half the breaker's
        // limit the vote's drawdown part outweighs every entry signal, for good. After
        // `haltCooldownBars` bars flat the peak is reset to equity, as the breaker's own
        // cool-down does.
        flatBars = ledger.positions.isEmpty ? flatBars + 1 : 0
        var peakReset: String?
        if breaker == nil, dd > 0, let cool = limits.haltCooldownBars, flatBars >= cool {
            peakReset = "drawdown \(pct100(dd)) left after \(cool) bars flat; peak reset to equity \(fmt(equity))"
            peak = equity
        }
        let ddNow = drawdown

        var exit: String?
        if let p = ledger.positions[bar.symbol], p.quantity != 0 {
            let long = p.quantity > 0
            let move = (bar.close - p.averageCost) / p.averageCost * (long ? 1 : -1)
            if let sl = limits.stopLossPct, move <= -sl {
                exit = "stop-loss: close \(ReasonFormat.price(bar.close)) is \(pct100(-move)) against the average cost \(ReasonFormat.price(p.averageCost)) (limit \(pct100(sl)))"
            } else if let tp = limits.takeProfitPct, move >= tp {
                exit = "take-profit: close \(ReasonFormat.price(bar.close)) is \(pct100(move)) beyond the average cost \(ReasonFormat.price(p.averageCost)) (target \(pct100(tp)))"
            }
        }

        // The vote: how much risk is visible (0 calm … 1 stressed). Each part only counts
        // beyond a normal level — volatility above 1.25× its long-run level, a drawdown
        // past half its limit, gross exposure above 100% of equity (leverage) — so a calm
        // market gives confidence 0: risk abstains and the other voters decide.
        let volRatio = volatilityRatio(bar.symbol)
        let volLevel = volRatio.map { clamp01($0 - 1.25) } ?? 0
        let ddLevel = clamp01((ddNow / (limits.maxDrawdownPct ?? 0.2) - 0.5) / 0.5)
        let exposure = equity > 0 ? ledger.grossExposure / equity : 0
        let exposureLevel = clamp01((exposure - 1) / 0.5)
        let level = Swift.max(volLevel, ddLevel, exposureLevel)
        var parts: [String] = []
        parts.append(volRatio.map { "volatility \(fmt($0))× normal" } ?? "volatility warming up")
        parts.append(peakReset ?? "drawdown \(pct100(ddNow))")
        parts.append("exposure \(pct100(exposure))")
        let mood = level >= 0.75 ? "stressed" : level >= 0.25 ? "elevated risk" : "calm"
        let vote = Vote(
            agent: agent, symbol: bar.symbol, time: bar.time, action: level >= 0.75 ? .sell : .hold,
            score: -level, confidence: level, reason: "\(mood): " + parts.joined(separator: ", "),
            components: [
                VoteComponent(name: "volatility", action: .hold, score: -volLevel, confidence: volLevel, reason: parts[0]),
                VoteComponent(name: "drawdown", action: .hold, score: -ddLevel, confidence: ddLevel, reason: parts[1]),
                VoteComponent(name: "exposure", action: .hold, score: -exposureLevel, confidence: exposureLevel, reason: parts[2]),
            ],
            veto: haltReason, exit: exit)
        return Assessment(vote: vote, transitions: transitions)
    }

    /// Correlations of `symbol`'s returns with each held position's (and each of `ordered`,
    /// symbols of entries approved but not yet filled), over the common window.
    public func correlations(for symbol: String, ordered: [String] = []) -> [String: Double] {
        var out: [String: Double] = [:]
        guard let mine = history[symbol]?.timed else { return out }
        for other in Set(ledger.positions.keys).union(ordered) where other != symbol {
            guard let theirs = history[other]?.timed else { continue }
            var byTime: [Int64: Double] = [:]
            for (t, r) in theirs { byTime[t] = r }
            var xs: [Double] = [], ys: [Double] = []
            for (t, r) in mine { if let o = byTime[t] { xs.append(r); ys.append(o) } }
            if xs.count >= 3, let rho = RiskMonitor.pearson(xs, ys) { out[other] = rho }
        }
        return out
    }

    private mutating func record(_ bar: Bar) {
        let keep = Swift.max(limits.volatilityLongWindow, limits.correlationWindow) + 1
        let window = limits.correlationWindow
        // Changed in place in the dictionary (no copy per bar).
        RiskMonitor.push(bar, to: &history[bar.symbol, default: PriceHistory(keep: keep)], keep: keep, window: window)
    }

    private static func push(_ bar: Bar, to h: inout PriceHistory, keep: Int, window: Int) {
        if let last = h.lastClose {
            // The same division the returns were always made of, once per bar.
            h.pairReturns.push(last > 0 ? bar.close / last - 1 : .nan)
            if last > 0 {
                h.timed.append((bar.time.nanoseconds, bar.close / last - 1))
                if h.timed.count > window { h.timed.removeFirst(h.timed.count - window) }
            }
        }
        h.lastClose = bar.close
        if h.closes < keep { h.closes += 1 }
    }

    /// Short-window over long-window volatility of the close-to-close returns (those whose
    /// previous close is positive) among the kept closes.
    private func volatilityRatio(_ symbol: String) -> Double? {
        guard let h = history[symbol], h.closes > limits.volatilityLongWindow else { return nil }
        let long = RiskMonitor.stddev(ofLast: limits.volatilityLongWindow, h.pairReturns)
        let short = RiskMonitor.stddev(ofLast: limits.volatilityShortWindow, h.pairReturns)
        guard long > 0 else { return nil }
        return short / long
    }

    /// `stddev` of the last `n` returns in `pairs` (NaN marks a pair without a return),
    /// summed in the same order as `stddev` over those returns: the same result, bit for bit.
    static func stddev(ofLast n: Int, _ pairs: RollingWindow) -> Double {
        var start = pairs.count
        var taken = 0
        while start > 0 && taken < n {
            start -= 1
            if !pairs.value(at: start).isNaN { taken += 1 }
        }
        guard taken > 1 else { return 0 }
        let count = Double(taken)
        var sum = 0.0
        pairs.forEach(from: start) { r in if !r.isNaN { sum += r } }
        let mean = sum / count
        var v = 0.0
        pairs.forEach(from: start) { r in
            if !r.isNaN {
                let d = r - mean
                v += d * d
            }
        }
        return (v / (count - 1)).squareRoot()
    }

    static func stddev<C: Collection>(_ xs: C) -> Double where C.Element == Double {
        guard xs.count > 1 else { return 0 }
        let n = Double(xs.count)
        let mean = xs.reduce(0, +) / n
        let v = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        return v.squareRoot()
    }

    /// Pearson correlation; nil when either series is constant.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        let n = Double(Swift.min(x.count, y.count))
        guard n >= 2 else { return nil }
        let mx = x.prefix(Int(n)).reduce(0, +) / n, my = y.prefix(Int(n)).reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0..<Int(n) {
            let dx = x[i] - mx, dy = y[i] - my
            sxy += dx * dy; sxx += dx * dx; syy += dy * dy
        }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }

    @inline(__always) func clamp01(_ x: Double) -> Double { x.isNaN ? 0 : Swift.min(1, Swift.max(0, x)) }
    func fmt(_ x: Double) -> String { PreTradeCheck.fmt(x) }
    func pct100(_ x: Double) -> String { PreTradeCheck.pct100(x) }
}
