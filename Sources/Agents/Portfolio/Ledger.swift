import Bus

/// Cash, positions and realised P&L, updated from fills and marked to market from bars.
///
/// A pure value: the portfolio agent and the risk agent each keep one, fed with the same
/// fills in the same order, so both see the same book without asking each other.
public struct Ledger: Sendable, Equatable {
    public struct Position: Sendable, Equatable {
        public var symbol: String
        /// Signed: negative for a short.
        public var quantity: Double
        public var averageCost: Double
        public var lastPrice: Double
        /// The open trade this position belongs to.
        public var tradeID: String
        public var side: PositionSide
        public var entryTime: Timestamp
        /// Shares entered in this trade (for the closed-trade record).
        public var enteredQuantity: Double
        /// Realised gross P&L of partial exits so far.
        public var realizedGross: Double
        /// Shares exited so far and the money they fetched (for the average exit price).
        public var exitedQuantity: Double
        public var exitValue: Double
        /// The exit price while every exit fill so far had the same one (the common case):
        /// reported as is, not as `exitValue / exitedQuantity`, which can differ in the last bit.
        public var uniformExitPrice: Double? = nil
        /// Fees of every fill of this trade.
        public var fees: Double

        public var marketValue: Double { quantity * lastPrice }
        public var unrealizedPnL: Double { quantity * (lastPrice - averageCost) }
    }

    public let initialCash: Double
    public private(set) var cash: Double
    public private(set) var positions: [String: Position] = [:]
    /// The symbols of `positions`, sorted: every sum over the positions runs in this order.
    /// A dictionary's order changes from process to process (Swift seeds its hashing per
    /// process), and a floating-point sum's last bits change with its order: summed in
    /// dictionary order, equity differed between two runs of the same backtest.
    public private(set) var symbols: [String] = []
    public private(set) var realizedPnL: Double = 0
    public private(set) var feesPaid: Double = 0
    public private(set) var lastPrices: [String: Double] = [:]
    public private(set) var peakEquity: Double
    public private(set) var tradesClosed = 0
    private var nextTrade = 1

    public init(cash: Double) {
        initialCash = cash
        self.cash = cash
        peakEquity = cash
    }

    /// The positions in symbol order.
    public var sortedPositions: some Sequence<Position> { symbols.lazy.map { positions[$0]! } }

    /// `start` + Σ `f`(position), in symbol order (with one position there is no order to
    /// keep: read directly, as equity is on every bar).
    @inline(__always) private func total(_ start: Double, _ f: (Position) -> Double) -> Double {
        var t = start
        if positions.count < 2 {
            for p in positions.values { t += f(p) }
        } else {
            for s in symbols { t += f(positions[s]!) }
        }
        return t
    }

    public var equity: Double { total(cash) { $0.marketValue } }
    public var unrealizedPnL: Double { total(0) { $0.unrealizedPnL } }
    public var grossExposure: Double { total(0) { Swift.abs($0.marketValue) } }
    public var drawdown: Double { peakEquity > 0 ? Swift.max(0, 1 - equity / peakEquity) : 0 }

    public func position(_ symbol: String) -> Double { positions[symbol]?.quantity ?? 0 }

    /// Marks a symbol to a new price (a bar's close) and updates the equity peak.
    public mutating func mark(_ symbol: String, price: Double) {
        lastPrices[symbol] = price
        if positions[symbol] != nil { positions[symbol]!.lastPrice = price }
        peakEquity = Swift.max(peakEquity, equity)
    }

    /// Books a fill. Returns the closed trade when the position went flat (or flipped).
    public mutating func apply(_ f: OrderFilled, exitReason: String = "signal") -> ClosedTrade? {
        let signed = f.side == .buy ? f.quantity : -f.quantity
        cash -= signed * f.price + f.fee
        feesPaid += f.fee
        // Positions are valued at the latest market price (the close of the bar already
        // seen), not at the fill: a fill at a bar's open is worth that bar's close.
        if lastPrices[f.symbol] == nil { lastPrices[f.symbol] = f.price }
        var closed: ClosedTrade?
        if var p = positions[f.symbol], p.quantity != 0 {
            if (p.quantity > 0) == (signed > 0) {
                // Adding to the position.
                let q = Swift.abs(p.quantity) + f.quantity
                p.averageCost = (Swift.abs(p.quantity) * p.averageCost + f.quantity * f.price) / q
                p.quantity += signed
                p.enteredQuantity += f.quantity
                p.fees += f.fee
                positions[f.symbol] = p
            } else {
                let closing = Swift.min(Swift.abs(p.quantity), f.quantity)
                let gross = closing * (f.price - p.averageCost) * (p.quantity > 0 ? 1 : -1)
                let feeShare = f.fee * closing / f.quantity
                p.realizedGross += gross
                realizedPnL += gross
                p.uniformExitPrice = p.exitedQuantity == 0 || p.uniformExitPrice == f.price ? f.price : nil
                p.exitedQuantity += closing
                p.exitValue += closing * f.price
                p.fees += feeShare
                p.quantity += p.quantity > 0 ? -closing : closing
                if Swift.abs(p.quantity) < 1e-9 {
                    closed = ClosedTrade(
                        tradeId: p.tradeID, symbol: p.symbol, side: p.side, quantity: p.enteredQuantity,
                        entryTime: p.entryTime, entryPrice: p.averageCost, exitTime: f.time,
                        exitPrice: p.uniformExitPrice ?? p.exitValue / p.exitedQuantity, pnl: p.realizedGross - p.fees, fees: p.fees,
                        exitReason: exitReason)
                    positions[f.symbol] = nil
                    symbols.removeAll { $0 == f.symbol }
                    tradesClosed += 1
                    let rest = f.quantity - closing
                    if rest > 1e-9 {
                        open(f.symbol, quantity: signed > 0 ? rest : -rest, price: f.price, fee: f.fee - feeShare, time: f.time)
                    }
                } else {
                    positions[f.symbol] = p
                }
            }
        } else {
            open(f.symbol, quantity: signed, price: f.price, fee: f.fee, time: f.time)
        }
        peakEquity = Swift.max(peakEquity, equity)
        return closed
    }

    private mutating func open(_ symbol: String, quantity: Double, price: Double, fee: Double, time: Timestamp) {
        if positions[symbol] == nil { symbols.insert(symbol, at: symbols.firstIndex { $0 > symbol } ?? symbols.endIndex) }
        positions[symbol] = Position(
            symbol: symbol, quantity: quantity, averageCost: price, lastPrice: lastPrices[symbol] ?? price, tradeID: "t-\(nextTrade)",
            side: quantity > 0 ? .long : .short, entryTime: time, enteredQuantity: Swift.abs(quantity),
            realizedGross: 0, exitedQuantity: 0, exitValue: 0, fees: fee)
        nextTrade += 1
    }

    /// A snapshot event of the book.
    public func snapshot(time: Timestamp, sectors: [String: String] = [:]) -> PortfolioSnapshot {
        let e = equity
        var bySector: [String: Double] = [:]
        if e > 0 {
            for p in sortedPositions {
                bySector[sectors[p.symbol] ?? "unassigned", default: 0] += Swift.abs(p.marketValue) / e
            }
        }
        return PortfolioSnapshot(
            time: time, cash: cash, equity: e, peakEquity: peakEquity, drawdown: drawdown, realizedPnL: realizedPnL,
            unrealizedPnL: unrealizedPnL, fees: feesPaid,
            positions: sortedPositions.map {
                PositionState(symbol: $0.symbol, quantity: $0.quantity, averageCost: $0.averageCost, lastPrice: $0.lastPrice, sector: sectors[$0.symbol])
            },
            sectorExposure: bySector)
    }
}
