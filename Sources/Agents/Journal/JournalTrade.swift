import Bus

/// One closed round-trip trade, the unit every journal metric and pattern works on.
///
/// It comes from the pipeline (`trade.closed.<SYM>`), from a CSV journal, from an
/// execution export paired first-in-first-out, or from a sentence typed by the trader.
public struct JournalTrade: Sendable, Hashable {
    public var id: String
    public var symbol: String
    public var side: PositionSide
    /// Shares (or units) opened, > 0.
    public var quantity: Double
    public var entryTime: Timestamp
    /// Average entry price.
    public var entryPrice: Double
    public var exitTime: Timestamp
    /// Average exit price.
    public var exitPrice: Double
    /// Total fees and commissions of the round trip, ≥ 0.
    public var fees: Double
    /// The initial protective stop, if the trader set one (below the entry of a long,
    /// above the entry of a short).
    public var stopPrice: Double?
    public var tags: [String]
    public var notes: String
    /// Net P&L: the gross result of the prices, minus fees.
    public var pnl: Double

    /// `pnl` defaults to the gross result of the prices minus `fees`; pass it when the
    /// source computed it itself (the portfolio's closed trades).
    public init(
        id: String, symbol: String, side: PositionSide, quantity: Double,
        entryTime: Timestamp, entryPrice: Double, exitTime: Timestamp, exitPrice: Double,
        fees: Double = 0, stopPrice: Double? = nil, tags: [String] = [], notes: String = "", pnl: Double? = nil
    ) {
        self.id = id
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.entryTime = entryTime
        self.entryPrice = entryPrice
        self.exitTime = exitTime
        self.exitPrice = exitPrice
        self.fees = fees
        self.stopPrice = stopPrice
        self.tags = tags
        self.notes = notes
        self.pnl = pnl ?? JournalTrade.grossPnL(side: side, quantity: quantity, entry: entryPrice, exit: exitPrice) - fees
    }

    /// A trade closed by the pipeline's portfolio. Its exit reason's kind becomes the tag
    /// `exit:<kind>` (`exit:stop-loss`, not the whole sentence with its prices, so that the
    /// tag breakdown groups exits by kind); the full reason goes to the notes.
    public init(closed t: ClosedTrade) {
        let kind = JournalTrade.exitKind(t.exitReason)
        self.init(
            id: t.tradeId, symbol: t.symbol, side: t.side, quantity: t.quantity,
            entryTime: t.entryTime, entryPrice: t.entryPrice, exitTime: t.exitTime, exitPrice: t.exitPrice,
            fees: t.fees, stopPrice: t.stopPrice, tags: kind.isEmpty ? [] : ["exit:" + kind],
            notes: kind == t.exitReason ? "" : t.exitReason, pnl: t.pnl)
    }

    /// The kind of an exit reason: what comes before its first `:` (`stop-loss: close 381 is
    /// 10.01% …` → `stop-loss`), or the whole reason (`signal`, `end of data`).
    static func exitKind(_ reason: String) -> String {
        var head = reason.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        while head.first == " " { head.removeFirst() }
        while head.last == " " { head.removeLast() }
        return String(head)
    }

    @inlinable public static func grossPnL(side: PositionSide, quantity: Double, entry: Double, exit: Double) -> Double {
        side == .long ? (exit - entry) * quantity : (entry - exit) * quantity
    }

    public var holdingSeconds: Double { Double(exitTime.nanoseconds - entryTime.nanoseconds) / 1e9 }
    /// Quantity × entry price.
    public var notional: Double { quantity * entryPrice }

    /// Money at risk between the entry and the stop (nil without a usable stop).
    public var initialRisk: Double? {
        guard let stopPrice else { return nil }
        let risk = abs(entryPrice - stopPrice) * quantity
        return risk > 0 ? risk : nil
    }

    /// Net P&L in units of the initial risk (nil without a stop).
    public var rMultiple: Double? { initialRisk.map { pnl / $0 } }

    /// The first thing wrong with the trade, as (field, message), or nil when it is valid.
    /// Field names are the CSV journal's column names.
    public func problem() -> (field: String, message: String)? {
        if id.isEmpty { return ("id", "is empty") }
        if symbol.isEmpty { return ("symbol", "is empty") }
        if !(quantity > 0) || !quantity.isFinite { return ("quantity", "must be greater than 0, got \(Fmt.plain(quantity))") }
        if !(entryPrice > 0) || !entryPrice.isFinite { return ("entry_price", "must be greater than 0, got \(Fmt.plain(entryPrice))") }
        if !(exitPrice > 0) || !exitPrice.isFinite { return ("exit_price", "must be greater than 0, got \(Fmt.plain(exitPrice))") }
        if exitTime < entryTime { return ("exit_time", "is before entry_time (\(exitTime.iso8601) < \(entryTime.iso8601))") }
        if !(fees >= 0) || !fees.isFinite { return ("fees", "must not be negative, got \(Fmt.plain(fees))") }
        // Each number may be finite while the trade's value is not (1e200 shares at 1e200).
        if !(quantity * Swift.max(entryPrice, exitPrice)).isFinite || !pnl.isFinite {
            return ("quantity", "\(Fmt.plain(quantity)) at \(Fmt.plain(Swift.max(entryPrice, exitPrice))) is too large to value")
        }
        if let stop = stopPrice {
            if !(stop > 0) || !stop.isFinite { return ("stop_price", "must be greater than 0, got \(Fmt.plain(stop))") }
            if side == .long && stop >= entryPrice {
                return ("stop_price", "\(Fmt.plain(stop)) is not below the entry price \(Fmt.plain(entryPrice)) of a long trade")
            }
            if side == .short && stop <= entryPrice {
                return ("stop_price", "\(Fmt.plain(stop)) is not above the entry price \(Fmt.plain(entryPrice)) of a short trade")
            }
        }
        return nil
    }
}

extension PositionSide {
    /// `long`/`buy` and `short`/`sell`, any case; nil for anything else.
    public init?(journalText s: String) {
        switch s.lowercased() {
        case "long", "buy": self = .long
        case "short", "sell": self = .short
        default: return nil
        }
    }
}
