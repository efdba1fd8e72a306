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

        public init(ledger: Ledger, sectors: [String: String] = [:], correlations: [String: Double] = [:],
                    recentApprovals: [Timestamp] = [], halt: Halt? = nil) {
            self.ledger = ledger
            self.sectors = sectors
            self.correlations = correlations
            self.recentApprovals = recentApprovals
            self.halt = halt
        }
    }

    public static func check(_ order: OrderRequest, price: Double, limits: RiskLimits, context c: Context) -> RiskVerdict {
        let held = c.ledger.position(order.symbol)
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
        if let limit = limits.maxPositions, held == 0, c.ledger.positions.count >= limit {
            reasons.append(DenialReason(code: "max_positions", message: "\(c.ledger.positions.count) positions held, limit \(limit)", value: Double(c.ledger.positions.count), limit: Double(limit)))
        }
        if let limit = limits.maxCorrelation {
            for (other, rho) in c.correlations.sorted(by: { $0.key < $1.key }) where other != order.symbol && rho > limit {
                reasons.append(DenialReason(code: "max_correlation", message: "correlation with held \(other) is \(fmt(rho)), limit \(fmt(limit))", value: rho, limit: limit))
            }
        }
        guard price > 0 else {
            return .denied(reasons + [DenialReason(code: "no_price", message: "no price known for \(order.symbol)", value: nil, limit: nil)])
        }

        // Size limits: the largest quantity each allows.
        let equity = c.ledger.equity
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
            for p in c.ledger.sortedPositions where c.sectors[p.symbol] == sector { exposure += Swift.abs(p.marketValue) }
            let cap = ((pct * equity - exposure) / price).rounded(.down)
            let value = (exposure + wanted * price) / equity
            caps.append(("max_sector_pct", cap, DenialReason(code: "max_sector_pct", message: "sector \(sector) would be \(pct100(value)) of equity, limit \(pct100(pct))", value: value, limit: pct)))
        }
        if isBuy && limits.requireCash {
            let cap = (c.ledger.cash / price).rounded(.down)
            caps.append(("insufficient_cash", cap, DenialReason(code: "insufficient_cash", message: "needs \(fmt(wanted * price)), has \(fmt(c.ledger.cash))", value: wanted * price, limit: c.ledger.cash)))
        }
        if isBuy, let pct = limits.minCashReservePct {
            let cap = ((c.ledger.cash - pct * equity) / price).rounded(.down)
            let after = (c.ledger.cash - wanted * price) / equity
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
            return .approved(order, adjustments: [])
        }
        let allowed = caps.map(\.maxQty).min()!
        guard limits.adjustOrders, allowed >= 1 else { return .denied(broken.map(\.reason)) }
        var adjusted = order
        adjusted.quantity = allowed
        adjusted.notional = nil
        let notes = broken.map { "\($0.code): \(fmt(wanted)) → \(fmt(allowed)) shares (\($0.reason.message))" }
        return .approved(adjusted, adjustments: notes)
    }

    /// Two decimals at most, trailing zeros dropped (`12.5`, `3`).
    static func fmt(_ x: Double) -> String { ReasonFormat.number(x, decimals: 2) }

    static func pct100(_ x: Double) -> String { fmt(x * 100) + "%" }
}
