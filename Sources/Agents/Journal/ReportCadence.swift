/// When the journal agent publishes its periodic report: after every `every` closed trades
/// while the journal is small, then whenever it has grown by `growth` (a fraction) since the
/// last periodic report.
///
/// A report analyses every trade so far, so a fixed cadence costs a quadratic total: a
/// 1M-bar backtest (34k trades, a report every 50) spent 15% of its time re-analysing. With
/// growth the reports' sizes grow geometrically and their total is linear, at most
/// `(1 + 1/growth)` analyses of the whole journal beyond the fixed-cadence part. A function of
/// the trade count only, so the event log stays deterministic.
public struct ReportCadence: Sendable, Equatable {
    /// The smallest step in trades; 0 turns periodic reports off.
    public var every: Int
    /// The step as a fraction of the trades at the last report, when that is larger than
    /// `every`; 0 keeps the step at `every`.
    public var growth: Double

    public init(every: Int, growth: Double) {
        self.every = every
        self.growth = growth
    }

    /// Trades between the periodic report at `last` trades and the next one.
    public func step(after last: Int) -> Int {
        guard every > 0 else { return 0 }
        guard growth > 0 else { return every }
        let grown = (Double(last) * growth).rounded(.up)
        return grown < Double(Int.max / 2) ? Swift.max(every, Int(grown)) : Int.max / 2
    }

    /// True when a journal of `trades` is due a periodic report, the last one having been at
    /// `last` trades (0 before the first).
    public func isDue(trades: Int, last: Int) -> Bool {
        every > 0 && trades - last >= step(after: last)
    }
}
