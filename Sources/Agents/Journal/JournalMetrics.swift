import Bus

/// A ratio that may be infinite (profit factor with no losing trade) or undefined.
public enum JournalRatio: Sendable, Equatable {
    case value(Double)
    case infinite
    case undefined

    public static func of(_ numerator: Double, _ denominator: Double) -> JournalRatio {
        if denominator > 0 { return .value(numerator / denominator) }
        return numerator > 0 ? .infinite : .undefined
    }

    public var doubleValue: Double? {
        switch self {
        case .value(let v): v
        case .infinite: .infinity
        case .undefined: nil
        }
    }
}

/// The computed facts of a journal: headline figures, holding and risk, breakdowns.
/// Everything a report sentence says comes from here or from a pattern finding.
public struct JournalMetrics: Sendable {
    /// A trade's P&L (or R) and which trade it is.
    public struct Extreme: Sendable, Equatable {
        public var value: Double
        public var trade: Int
    }

    public struct Headline: Sendable, Equatable {
        public var trades = 0
        public var wins = 0
        public var losses = 0
        public var breakeven = 0
        public var netPnL = 0.0
        /// Sum of winning trades' P&L.
        public var grossProfit = 0.0
        /// Sum of losing trades' P&L, as a positive amount.
        public var grossLoss = 0.0
        public var fees = 0.0
        /// wins ÷ trades (breakeven trades count in the denominator).
        public var winRate: Double?
        /// gross profit ÷ gross loss; infinite with profit and no loss.
        public var profitFactor: JournalRatio = .undefined
        /// net P&L ÷ trades.
        public var expectancy: Double?
        public var averageWin: Double?
        /// Negative.
        public var averageLoss: Double?
        /// average win ÷ |average loss|.
        public var payoffRatio: Double?
        public var largestWin: Extreme?
        /// Negative.
        public var largestLoss: Extreme?
        public var maxConsecutiveWins = 0
        public var maxConsecutiveLosses = 0
        public var firstEntry: Timestamp?
        public var lastExit: Timestamp?
    }

    public struct Holding: Sendable, Equatable {
        public var averageSeconds: Double?
        public var averageWinnerSeconds: Double?
        public var averageLoserSeconds: Double?
    }

    public struct SQN: Sendable, Equatable {
        public enum Basis: String, Sendable { case rMultiple = "r_multiple", pnl }
        /// nil when it is not computed; `reason` says why.
        public var value: Double?
        public var basis: Basis
        /// Trades it is computed from.
        public var trades: Int
        public var reason: String?
    }

    public struct Risk: Sendable, Equatable {
        public var tradesWithStop = 0
        public var averageR: Double?
        public var totalR = 0.0
        public var bestR: Extreme?
        public var worstR: Extreme?
        public var sqn = SQN(value: nil, basis: .pnl, trades: 0, reason: nil)
    }

    public struct Drawdown: Sendable, Equatable {
        /// Largest fall of cumulative net P&L from a previous peak (the curve starts at 0), ≥ 0.
        public var amount = 0.0
        public var peakEquity = 0.0
        public var troughEquity = 0.0
        /// The trade that closed at the peak (nil: the start of the journal).
        public var peakTrade: Int?
        public var troughTrade: Int?
        public var finalEquity = 0.0
    }

    public enum Dimension: String, Sendable, CaseIterable {
        case symbol, side, weekday, hour, tag
    }

    public struct Bucket: Sendable, Equatable {
        public var key: String
        /// How a sentence names it: `AAPL`, `short trades`, `Mondays`, `entries 09:00–10:00`, `#fomo`.
        public var label: String
        public var trades = 0
        public var wins = 0
        public var losses = 0
        public var netPnL = 0.0
        public var grossProfit = 0.0
        public var grossLoss = 0.0
        public var winRate: Double { trades > 0 ? Double(wins) / Double(trades) : 0 }
        public var expectancy: Double { trades > 0 ? netPnL / Double(trades) : 0 }
        public var profitFactor: JournalRatio { .of(grossProfit, grossLoss) }
    }

    public struct Breakdown: Sendable, Equatable {
        public var dimension: Dimension
        public var buckets: [Bucket]
    }

    public var headline = Headline()
    public var holding = Holding()
    public var risk = Risk()
    public var drawdown = Drawdown()
    public var breakdowns: [Breakdown] = []

    public func breakdown(_ d: Dimension) -> Breakdown? { breakdowns.first { $0.dimension == d } }

    public init() {}

    /// Computes every metric in a few linear passes over the table.
    public init(_ t: TradeTable) {
        let n = t.count
        let cfg = t.config
        var h = Headline()
        h.trades = n
        var winHold = 0.0, lossHold = 0.0, allHold = 0.0
        var run = 0 // > 0: wins in a row, < 0: losses in a row
        var equity = 0.0
        var dd = Drawdown()
        var peak = 0.0
        var peakTrade: Int?
        var rs = Risk()
        var rStats = JournalWelford(), pStats = JournalWelford()
        t.byExit.withUnsafeBufferPointer { order in
            for k in 0..<n {
                let i = Int(order[k])
                let p = t.pnl[i]
                h.netPnL += p
                h.fees += t.fees[i]
                allHold += t.hold[i]
                pStats.add(p)
                switch t.outcome[i] {
                case 1:
                    h.wins += 1
                    h.grossProfit += p
                    winHold += t.hold[i]
                    if h.largestWin == nil || p > h.largestWin!.value { h.largestWin = Extreme(value: p, trade: i) }
                    run = run > 0 ? run + 1 : 1
                    h.maxConsecutiveWins = max(h.maxConsecutiveWins, run)
                case -1:
                    h.losses += 1
                    h.grossLoss -= p
                    lossHold += t.hold[i]
                    if h.largestLoss == nil || p < h.largestLoss!.value { h.largestLoss = Extreme(value: p, trade: i) }
                    run = run < 0 ? run - 1 : -1
                    h.maxConsecutiveLosses = max(h.maxConsecutiveLosses, -run)
                default:
                    h.breakeven += 1
                    run = 0
                }
                let risk = t.risk[i]
                if !risk.isNaN {
                    let r = p / risk
                    rs.tradesWithStop += 1
                    rStats.add(r)
                    if rs.bestR == nil || r > rs.bestR!.value { rs.bestR = Extreme(value: r, trade: i) }
                    if rs.worstR == nil || r < rs.worstR!.value { rs.worstR = Extreme(value: r, trade: i) }
                }
                equity += p
                if equity > peak {
                    peak = equity
                    peakTrade = i
                }
                if peak - equity > dd.amount {
                    dd.amount = peak - equity
                    dd.peakEquity = peak
                    dd.peakTrade = peakTrade
                    dd.troughEquity = equity
                    dd.troughTrade = i
                }
            }
        }
        dd.finalEquity = equity
        if n > 0 {
            h.winRate = Double(h.wins) / Double(n)
            h.expectancy = h.netPnL / Double(n)
            h.firstEntry = Timestamp(nanoseconds: t.entry[Int(t.byEntry[0])])
            h.lastExit = Timestamp(nanoseconds: t.exit[Int(t.byExit[n - 1])])
            holding.averageSeconds = allHold / Double(n)
        }
        h.profitFactor = .of(h.grossProfit, h.grossLoss)
        if h.wins > 0 {
            h.averageWin = h.grossProfit / Double(h.wins)
            holding.averageWinnerSeconds = winHold / Double(h.wins)
        }
        if h.losses > 0 {
            h.averageLoss = -h.grossLoss / Double(h.losses)
            holding.averageLoserSeconds = lossHold / Double(h.losses)
        }
        if let w = h.averageWin, let l = h.averageLoss { h.payoffRatio = w / -l }
        headline = h
        rs.totalR = rStats.sum
        if rs.tradesWithStop > 0 { rs.averageR = rStats.mean }
        rs.sqn = JournalMetrics.sqn(r: rStats, pnl: pStats, minimum: cfg.sqnMinimumTrades)
        risk = rs
        drawdown = dd
        breakdowns = JournalMetrics.breakdowns(t)
    }

    /// SQN = √N × mean ÷ sample standard deviation, from the R-multiples when at least
    /// `minimum` trades have a stop, otherwise from the net P&L when at least `minimum`
    /// trades exist, otherwise not computed.
    static func sqn(r: JournalWelford, pnl: JournalWelford, minimum: Int) -> SQN {
        let basis: SQN.Basis
        let w: JournalWelford
        if r.count >= minimum {
            (basis, w) = (.rMultiple, r)
        } else if pnl.count >= minimum {
            (basis, w) = (.pnl, pnl)
        } else {
            return SQN(value: nil, basis: .pnl, trades: pnl.count,
                       reason: "SQN needs at least \(minimum) trades; the journal has \(pnl.count)")
        }
        let count = w.count
        let nD = Double(count)
        let mean = w.mean
        let sd = w.sampleStandardDeviation
        // A spread this small relative to the values is rounding noise, not variation.
        guard sd > 1e-12 * max(1, abs(mean)) else {
            return SQN(value: nil, basis: basis, trades: count,
                       reason: "all \(count) trades have the same result, so SQN is undefined")
        }
        return SQN(value: nD.squareRoot() * mean / sd, basis: basis, trades: count, reason: nil)
    }

    static func breakdowns(_ t: TradeTable) -> [Breakdown] {
        var bySymbol = [Bucket](), bySide = [Bucket](), byDay = [Bucket](), byHour = [Bucket](), byTag = [Bucket]()
        for s in t.symbols { bySymbol.append(Bucket(key: s, label: s)) }
        bySide = [Bucket(key: "long", label: "long trades"), Bucket(key: "short", label: "short trades")]
        for d in 0..<7 { byDay.append(Bucket(key: JournalFormat.weekdayNames[d].lowercased(), label: JournalFormat.weekdayNames[d] + "s")) }
        for hr in 0..<24 {
            let key = JournalFormat.clock(minutes: hr * 60)
            byHour.append(Bucket(key: key, label: "entries \(key)–\(JournalFormat.clock(minutes: (hr + 1) * 60))"))
        }
        for tag in t.tags { byTag.append(Bucket(key: tag, label: "#" + tag)) }
        @inline(__always) func add(_ b: inout Bucket, _ p: Double, _ o: Int8) {
            b.trades += 1
            b.netPnL += p
            if o == 1 { b.wins += 1; b.grossProfit += p } else if o == -1 { b.losses += 1; b.grossLoss -= p }
        }
        for i in 0..<t.count {
            let p = t.pnl[i], o = t.outcome[i]
            add(&bySymbol[Int(t.symbol[i])], p, o)
            add(&bySide[Int(t.side[i])], p, o)
            add(&byDay[TradeTable.weekday(day: t.entryDay[i]) - 1], p, o)
            add(&byHour[Int(t.entryMinute[i]) / 60], p, o)
            for k in Int(t.tagStart[i])..<Int(t.tagStart[i + 1]) { add(&byTag[Int(t.tagIDs[k])], p, o) }
        }
        // Symbols and tags by trades (most first), then name; the rest in natural order.
        let byCount: (Bucket, Bucket) -> Bool = { $0.trades != $1.trades ? $0.trades > $1.trades : $0.key < $1.key }
        return [
            Breakdown(dimension: .symbol, buckets: bySymbol.sorted(by: byCount)),
            Breakdown(dimension: .side, buckets: bySide.filter { $0.trades > 0 }),
            Breakdown(dimension: .weekday, buckets: byDay.filter { $0.trades > 0 }),
            Breakdown(dimension: .hour, buckets: byHour.filter { $0.trades > 0 }),
            Breakdown(dimension: .tag, buckets: byTag.sorted(by: byCount)),
        ]
    }
}


/// Running count, mean and sum of squared deviations (JournalWelford): numerically stable.
struct JournalWelford: Sendable {
    var count = 0
    var mean = 0.0
    var m2 = 0.0
    var sum = 0.0

    @inline(__always) mutating func add(_ x: Double) {
        count += 1
        sum += x
        let d = x - mean
        mean += d / Double(count)
        m2 += d * (x - mean)
    }

    var sampleStandardDeviation: Double { count > 1 ? (max(0, m2) / Double(count - 1)).squareRoot() : 0 }
}
