import Bus

/// A journal in columnar form, built once per analysis: plain arrays of numbers that the
/// metric and pattern passes walk without allocating, plus the two orders they need
/// (by entry and by exit) and each trade's day, weekday and minute on the trader's clock.
public struct TradeTable: Sendable {
    public let trades: [JournalTrade]
    public let count: Int
    public let config: JournalConfig
    /// Net P&L.
    public private(set) var pnl: [Double] = []
    public private(set) var fees: [Double] = []
    /// Size on the configured basis (notional or quantity).
    public private(set) var size: [Double] = []
    public private(set) var entry: [Int64] = []
    public private(set) var exit: [Int64] = []
    /// Holding time in seconds.
    public private(set) var hold: [Double] = []
    /// Initial risk in money; NaN without a stop.
    public private(set) var risk: [Double] = []
    /// 1 win, -1 loss, 0 breakeven.
    public private(set) var outcome: [Int8] = []
    public private(set) var symbol: [Int32] = []
    public private(set) var symbols: [String] = []
    /// 0 long, 1 short.
    public private(set) var side: [UInt8] = []
    /// Tags of trade i are `tagIDs[tagStart[i]..<tagStart[i+1]]`, indices into `tags`.
    public private(set) var tagStart: [Int32] = []
    public private(set) var tagIDs: [Int32] = []
    public private(set) var tags: [String] = []
    /// Trade indices ordered by entry time (ties: input order).
    public private(set) var byEntry: [Int32] = []
    /// Trade indices ordered by exit time (ties: entry order).
    public private(set) var byExit: [Int32] = []
    /// Position of each trade in `byExit`.
    public private(set) var exitRank: [Int32] = []
    /// Position of each trade in `byEntry`.
    public private(set) var entryRank: [Int32] = []
    /// Day number (days since 1970-01-01) of the entry, on the trader's clock.
    public private(set) var entryDay: [Int32] = []
    /// Minute of the day of the entry, on the trader's clock.
    public private(set) var entryMinute: [Int16] = []
    /// Day number of the exit, on the trader's clock.
    public private(set) var exitDay: [Int32] = []

    public init(_ trades: [JournalTrade], config: JournalConfig = JournalConfig()) {
        self.trades = trades
        self.config = config
        let n = trades.count
        count = n
        pnl.reserveCapacity(n); fees.reserveCapacity(n); size.reserveCapacity(n); entry.reserveCapacity(n); exit.reserveCapacity(n)
        hold.reserveCapacity(n); risk.reserveCapacity(n); outcome.reserveCapacity(n); symbol.reserveCapacity(n)
        side.reserveCapacity(n); tagStart.reserveCapacity(n + 1); entryDay.reserveCapacity(n)
        entryMinute.reserveCapacity(n); exitDay.reserveCapacity(n)
        var symbolIndex = JournalInterner()
        var tagIndex = JournalInterner()
        let tol = config.breakevenTolerance
        let offset = Int64(config.utcOffsetMinutes) * 60_000_000_000
        let dayNs: Int64 = 86_400_000_000_000
        let notional = config.sizeBasis == .notional
        trades.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return }
            for k in 0..<n {
                // Field by field through the pointer: no copy of the trade (and its strings).
                let t = base + k
                let p = t.pointee.pnl, q = t.pointee.quantity, price = t.pointee.entryPrice
                pnl.append(p)
                fees.append(t.pointee.fees)
                size.append(notional ? q * price : q)
                let e = t.pointee.entryTime.nanoseconds, x = t.pointee.exitTime.nanoseconds
                entry.append(e)
                exit.append(x)
                hold.append(Double(x - e) / 1e9)
                if let stop = t.pointee.stopPrice, stop != price {
                    risk.append(abs(price - stop) * q)
                } else {
                    risk.append(.nan)
                }
                outcome.append(p > tol ? 1 : (p < -tol ? -1 : 0))
                symbol.append(symbolIndex.id(of: t.pointee.symbol, into: &symbols))
                side.append(t.pointee.side == .long ? 0 : 1)
                tagStart.append(Int32(tagIDs.count))
                if !t.pointee.tags.isEmpty {
                    for tag in t.pointee.tags { tagIDs.append(tagIndex.id(of: tag, into: &tags)) }
                }
                let le = e &+ offset, lx = x &+ offset
                let d = TradeTable.floorDiv(le, dayNs)
                entryDay.append(Int32(truncatingIfNeeded: d))
                entryMinute.append(Int16((le - d * dayNs) / 60_000_000_000))
                exitDay.append(Int32(truncatingIfNeeded: TradeTable.floorDiv(lx, dayNs)))
            }
        }
        tagStart.append(Int32(tagIDs.count))
        byEntry = TradeTable.order(primary: entry, secondary: nil)
        entryRank = [Int32](repeating: 0, count: n)
        for (rank, i) in byEntry.enumerated() { entryRank[Int(i)] = Int32(rank) }
        byExit = TradeTable.order(primary: exit, secondary: entryRank)
        exitRank = [Int32](repeating: 0, count: n)
        for (rank, i) in byExit.enumerated() { exitRank[Int(i)] = Int32(rank) }
    }

    @inline(__always) static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// ISO weekday (1 = Monday … 7 = Sunday) of a day number.
    @inline(__always) public static func weekday(day: Int32) -> Int { Int((Int64(day) % 7 + 7 + 3) % 7) + 1 }

    /// Indices sorted by (primary, secondary or index). Already-sorted input costs one pass.
    static func order(primary: [Int64], secondary: [Int32]?) -> [Int32] {
        let n = primary.count
        var sorted = true
        if n > 1 {
            for i in 1..<n {
                let a = primary[i - 1], b = primary[i]
                if a > b || (a == b && secondary.map { $0[i - 1] > $0[i] } ?? false) { sorted = false; break }
            }
        }
        if sorted { return (0..<n).map { Int32($0) } }
        struct Key { var k: Int64; var t: Int32; var i: Int32 }
        var keys = [Key]()
        keys.reserveCapacity(n)
        for i in 0..<n { keys.append(Key(k: primary[i], t: secondary?[i] ?? Int32(i), i: Int32(i))) }
        keys.sort { $0.k != $1.k ? $0.k < $1.k : ($0.t != $1.t ? $0.t < $1.t : $0.i < $1.i) }
        return keys.map(\.i)
    }

    public func id(_ i: Int) -> String { trades[i].id }
    public func id(_ i: Int32) -> String { trades[Int(i)].id }
    public func hasStop(_ i: Int) -> Bool { !risk[i].isNaN }
}

/// Small ids for repeated strings (symbols, tags): a scan of the few most recent
/// distinct values first (journals have few symbols), a dictionary beyond that.
struct JournalInterner {
    private var recent: [(String, Int32)] = []
    private var index: [String: Int32] = [:]

    mutating func id(of s: String, into names: inout [String]) -> Int32 {
        for (name, id) in recent where name == s { return id }
        let id: Int32
        if let known = index[s] { id = known } else {
            id = Int32(names.count)
            names.append(s)
            index[s] = id
        }
        if recent.count < 16 { recent.append((s, id)) }
        return id
    }
}

/// Median of a sample (the mean of the two middle values for an even count); nil when empty.
/// Uses selection, not a sort: O(n) on average.
func journalMedian(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    var v = values
    let n = v.count
    let hi = journalSelect(&v, n / 2)
    if n % 2 == 1 { return hi }
    // The lower middle is the largest value left of position n/2 after selection.
    var lo = -Double.infinity
    for i in 0..<(n / 2) where v[i] > lo { lo = v[i] }
    return (lo + hi) / 2
}

/// Rearranges `v` so that `v[k]` is the k-th smallest, smaller values before it.
/// Quickselect with a median-of-three pivot (deterministic).
func journalSelect(_ v: inout [Double], _ k: Int) -> Double {
    var lo = 0, hi = v.count - 1
    v.withUnsafeMutableBufferPointer { p in
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if p[mid] < p[lo] { p.swapAt(mid, lo) }
            if p[hi] < p[lo] { p.swapAt(hi, lo) }
            if p[hi] < p[mid] { p.swapAt(hi, mid) }
            let pivot = p[mid]
            var i = lo, j = hi
            while i <= j {
                while p[i] < pivot { i += 1 }
                while p[j] > pivot { j -= 1 }
                if i <= j { p.swapAt(i, j); i += 1; j -= 1 }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { break }
        }
    }
    return v[k]
}
