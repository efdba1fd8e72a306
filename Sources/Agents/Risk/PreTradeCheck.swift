import Bus

/// The outcome of the pre-trade checks for one order.
public enum RiskVerdict: Sendable, Equatable {
    /// Approved, possibly adjusted (smaller); `adjustments` says what changed and why.
    case approved(OrderRequest, adjustments: [String])
    case denied([DenialReason])
}

/// Pre-trade checks as a pure function of the order, the book and the limits.
public enum PreTradeCheck {
    /// Fraction of cash an all-in order may spend (backtesting.py's `1 − ε`).
    public static let allInFraction = 1 - Double.ulpOfOne

    public struct Context: Sendable {
        public var ledger: Ledger
        public var sectors: [String: String]
        /// Correlation of returns between the order's symbol and each held symbol (nil: not enough data).
        public var correlations: [String: Double]
        /// Times of the orders approved so far (market time), most recent last.
        public var recentApprovals: [Timestamp]
        /// The halt in force, if trading is halted (its reason and the numbers behind it).
        public var halt: Halt?
        /// Entry orders approved earlier that have not filled, been rejected or cancelled
        /// yet, oldest first: they count as if filled at the last price, so that two orders
        /// approved before either fills cannot break a limit together.
        public var pending: [OrderRequest]

        public init(ledger: Ledger, sectors: [String: String] = [:], correlations: [String: Double] = [:],
                    recentApprovals: [Timestamp] = [], halt: Halt? = nil, pending: [OrderRequest] = []) {
            self.ledger = ledger
            self.sectors = sectors
            self.correlations = correlations
            self.recentApprovals = recentApprovals
            self.halt = halt
            self.pending = pending
        }

        /// The book once every pending entry has filled at its symbol's last price (its
        /// reference price when none is known), without fees.
        public var committed: Ledger {
            guard !pending.isEmpty else { return ledger }
            var book = ledger
            for o in pending where o.intent == .entry {
                let price = book.lastPrices[o.symbol] ?? o.referencePrice
                guard price > 0 else { continue }
                let q = o.quantity ?? ((o.notional ?? 0) * allInFraction / price).rounded(.down)
                guard q > 0 else { continue }
                _ = book.apply(OrderFilled(
                    orderId: o.orderId, symbol: o.symbol, time: o.time, side: o.side, intent: o.intent,
                    quantity: q, price: price, fee: 0, slippage: 0))
            }
            return book
        }
    }

    public static func check(_ order: OrderRequest, price: Double, limits: RiskLimits, context c: Context) -> RiskVerdict {
        // Exits are judged against what is held; entries against what will be held once
        // the orders already approved have filled.
        let book = order.intent == .exit ? c.ledger : c.committed
        let held = book.position(order.symbol)
        if order.intent == .exit {
            // Exits are never blocked; an exit larger than the position is cut to it.
            guard held != 0 else {
                return .denied([DenialReason(code: "no_position", message: "exit order for \(order.symbol) but no position is held", value: 0, limit: nil)])
            }
            if let q = order.quantity, q > Swift.abs(held) + 1e-9 {
                var o = order
                o.quantity = Swift.abs(held)
                return .approved(o, adjustments: ["exit of \(fmt(q)) shares cut to the position, \(fmt(Swift.abs(held)))"])
            }
            return .approved(order, adjustments: [])
        }

        var reasons: [DenialReason] = []
        if let halt = c.halt {
            // The numbers of the rule that halted trading (e.g. drawdown 0.21 against 0.2).
            reasons.append(DenialReason(code: "trading_halted", message: "new entries are halted (\(halt.code)): \(halt.reason)", value: halt.value, limit: halt.limit))
        }
        if let limit = limits.maxOrdersPerMinute {
            let since = order.time.nanoseconds - 60_000_000_000
            let n = c.recentApprovals.reversed().prefix { $0.nanoseconds > since }.count
            if n >= limit {
                reasons.append(DenialReason(code: "max_orders_per_minute", message: "\(n) orders in the last minute, limit \(limit)", value: Double(n), limit: Double(limit)))
            }
        }
        // Said apart when orders not yet filled are part of the figure.
        let onOrder = book.positions.count - c.ledger.positions.count
        let unfilled = c.pending.isEmpty ? "" : " (after the \(c.pending.count) approved order\(c.pending.count == 1 ? "" : "s") not yet filled)"
        if let limit = limits.maxPositions, held == 0, book.positions.count >= limit {
            let what = onOrder > 0 ? "\(book.positions.count) positions held or ordered (\(onOrder) not yet filled)" : "\(book.positions.count) positions held"
            reasons.append(DenialReason(code: "max_positions", message: "\(what), limit \(limit)", value: Double(book.positions.count), limit: Double(limit)))
        }
        if let limit = limits.maxCorrelation {
            for (other, rho) in c.correlations.sorted(by: { $0.key < $1.key }) where other != order.symbol && rho > limit {
                reasons.append(DenialReason(code: "max_correlation", message: "correlation with \(c.ledger.position(other) != 0 ? "held" : "ordered") \(other) is \(fmt(rho)), limit \(fmt(limit))", value: rho, limit: limit))
            }
        }
        guard price > 0 else {
            return .denied(reasons + [DenialReason(code: "no_price", message: "no price known for \(order.symbol)", value: nil, limit: nil)])
        }

        // Size limits: the largest quantity each allows.
        let equity = book.equity
        let isBuy = order.side == .buy
        let wanted: Double = order.quantity ?? ((order.notional ?? 0) * allInFraction / price).rounded(.down)
        var caps: [(code: String, maxQty: Double, reason: DenialReason)] = []
        if let pct = limits.maxPositionPct {
            let cap = (pct * equity / price).rounded(.down) - Swift.abs(held)
            let value = (Swift.abs(held) + wanted) * price / equity
            caps.append(("max_position_pct", cap, DenialReason(code: "max_position_pct", message: "position would be \(pct100(value)) of equity, limit \(pct100(pct))", value: value, limit: pct)))
        }
        if let pct = limits.maxSectorPct, let sector = c.sectors[order.symbol] {
            var exposure = 0.0
            for p in book.sortedPositions where c.sectors[p.symbol] == sector { exposure += Swift.abs(p.marketValue) }
            let cap = ((pct * equity - exposure) / price).rounded(.down)
            let value = (exposure + wanted * price) / equity
            caps.append(("max_sector_pct", cap, DenialReason(code: "max_sector_pct", message: "sector \(sector) would be \(pct100(value)) of equity, limit \(pct100(pct))", value: value, limit: pct)))
        }
        if isBuy && limits.requireCash {
            let cap = (book.cash / price).rounded(.down)
            caps.append(("insufficient_cash", cap, DenialReason(code: "insufficient_cash", message: "needs \(fmt(wanted * price)), has \(fmt(book.cash))\(unfilled)", value: wanted * price, limit: book.cash)))
        }
        if isBuy, let pct = limits.minCashReservePct {
            let cap = ((book.cash - pct * equity) / price).rounded(.down)
            let after = (book.cash - wanted * price) / equity
            caps.append(("min_cash_reserve", cap, DenialReason(code: "min_cash_reserve", message: "cash after the order would be \(pct100(after)) of equity, minimum \(pct100(pct))", value: after, limit: pct)))
        }
        let broken = caps.filter { wanted > $0.maxQty }
        if !reasons.isEmpty {
            return .denied(reasons + broken.map(\.reason))
        }
        if broken.isEmpty {
            if wanted < 1 {
                return .denied([DenialReason(code: "zero_quantity", message: "order is smaller than one share at \(ReasonFormat.price(price))", value: wanted, limit: 1)])
            }
            return .approved(cashCapped(order, isBuy: isBuy, limits: limits, cash: book.cash), adjustments: [])
        }
        let allowed = caps.map(\.maxQty).min()!
        guard limits.adjustOrders, allowed >= 1 else { return .denied(broken.map(\.reason)) }
        var adjusted = order
        adjusted.quantity = allowed
        adjusted.notional = nil
        let notes = broken.map { "\($0.code): \(fmt(wanted)) → \(fmt(allowed)) shares (\($0.reason.message))" }
        return .approved(cashCapped(adjusted, isBuy: isBuy, limits: limits, cash: book.cash), adjustments: notes)
    }

    /// A purchase approved under `requireCash` carries the cash it may spend as its
    /// `notional`: the quantity was checked at the last close, and the fill (the next open,
    /// slippage, the fee) may cost more; the broker then buys fewer shares instead of
    /// spending cash the account does not have.
    static func cashCapped(_ order: OrderRequest, isBuy: Bool, limits: RiskLimits, cash: Double) -> OrderRequest {
        guard isBuy, limits.requireCash, order.quantity != nil, cash > 0 else { return order }
        var o = order
        o.notional = Swift.min(order.notional ?? cash, cash)
        return o
    }

    /// Two decimals at most, trailing zeros dropped (`12.5`, `3`).
    static func fmt(_ x: Double) -> String { ReasonFormat.number(x, decimals: 2) }

    static func pct100(_ x: Double) -> String { fmt(x * 100) + "%" }
}
