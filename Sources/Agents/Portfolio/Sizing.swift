import Bus

/// How the portfolio turns a buy or sell decision into an order size.
public struct SizingConfig: Codable, Sendable, Equatable {
    public enum Mode: String, Codable, Sendable, CaseIterable {
        /// Spend all available cash on whole shares, priced at the fill (as backtesting.py's
        /// default `buy()`: it uses (1 − 2⁻⁵²) of the cash).
        case allIn = "all-in"
        /// `fraction` of equity, in whole shares at the last price.
        case fixedFraction = "fixed-fraction"
        /// Risk `riskPerTrade` of equity over a stop `atrMultiple` × ATR away.
        case volatility
        /// Fractional Kelly from the realised trade history, capped at `kellyCap` of equity.
        case kelly
    }

    public var mode: Mode
    public var fraction: Double
    public var riskPerTrade: Double
    public var atrMultiple: Double
    public var atrPeriod: Int
    public var kellyFraction: Double
    public var kellyCap: Double
    /// Below this many closed trades Kelly sizing uses `fraction` instead.
    public var kellyMinTrades: Int

    public init(
        mode: Mode = .fixedFraction, fraction: Double = 0.1, riskPerTrade: Double = 0.01, atrMultiple: Double = 2,
        atrPeriod: Int = 14, kellyFraction: Double = 0.5, kellyCap: Double = 0.25, kellyMinTrades: Int = 20
    ) {
        self.mode = mode
        self.fraction = fraction
        self.riskPerTrade = riskPerTrade
        self.atrMultiple = atrMultiple
        self.atrPeriod = atrPeriod
        self.kellyFraction = kellyFraction
        self.kellyCap = kellyCap
        self.kellyMinTrades = kellyMinTrades
    }

    public func problems() -> [String] {
        var out: [String] = []
        if !(fraction > 0 && fraction <= 1) { out.append("fraction \(fraction) must be in (0, 1]") }
        if !(riskPerTrade > 0 && riskPerTrade <= 1) { out.append("riskPerTrade \(riskPerTrade) must be in (0, 1]") }
        if !(atrMultiple > 0) { out.append("atrMultiple must be positive") }
        if atrPeriod < 1 { out.append("atrPeriod must be at least 1") }
        if !(kellyFraction > 0 && kellyFraction <= 1) { out.append("kellyFraction must be in (0, 1]") }
        if !(kellyCap > 0 && kellyCap <= 1) { out.append("kellyCap must be in (0, 1]") }
        return out
    }
}

/// The size of a new position: either a number of shares, or cash to spend at the fill.
public enum OrderSize: Sendable, Equatable {
    case shares(Double)
    case notional(Double)
}

/// Position sizing as pure functions.
public enum Sizing {
    /// The Kelly fraction f* = W − (1 − W) / R from closed-trade P&Ls (W: win rate,
    /// R: average win ÷ average loss). Nil without both wins and losses.
    public static func kellyFraction(pnls: [Double]) -> Double? {
        var wins = 0.0, winSum = 0.0, losses = 0.0, lossSum = 0.0
        for p in pnls {
            if p > 0 { wins += 1; winSum += p } else if p < 0 { losses += 1; lossSum -= p }
        }
        guard wins > 0, losses > 0 else { return nil }
        let w = wins / (wins + losses)
        let r = (winSum / wins) / (lossSum / losses)
        return w - (1 - w) / r
    }

    /// Size for a new entry.
    /// - Parameters:
    ///   - price: the last price (the order is sized at it; all-in is sized at the fill).
    ///   - atr: the symbol's current ATR, for volatility sizing.
    ///   - closedPnLs: realised trade P&Ls so far, for Kelly sizing.
    public static func entrySize(
        config: SizingConfig, equity: Double, cash: Double, price: Double, atr: Double?, closedPnLs: [Double]
    ) -> (size: OrderSize, note: String) {
        guard price > 0, equity > 0 else { return (.shares(0), "no price or no equity") }
        switch config.mode {
        case .allIn:
            return (.notional(Swift.max(0, cash)), "all-in: \(format(cash)) cash at the fill price")
        case .fixedFraction:
            let q = (config.fraction * equity / price).rounded(.down)
            return (.shares(Swift.max(0, q)), "\(format(config.fraction * 100))% of equity \(format(equity)) at \(format(price))")
        case .volatility:
            guard let atr, atr > 0 else { return (.shares(0), "ATR(\(config.atrPeriod)) not available yet") }
            let q = (config.riskPerTrade * equity / (config.atrMultiple * atr)).rounded(.down)
            return (.shares(Swift.max(0, q)), "risk \(format(config.riskPerTrade * 100))% of equity over \(format(config.atrMultiple)) × ATR \(format(atr))")
        case .kelly:
            var f = config.fraction
            var note = "fewer than \(config.kellyMinTrades) closed trades: \(format(f * 100))% of equity"
            if closedPnLs.count >= config.kellyMinTrades, let k = kellyFraction(pnls: closedPnLs) {
                f = Swift.min(config.kellyCap, Swift.max(0, config.kellyFraction * k))
                note = "Kelly f* \(format(k)) × \(format(config.kellyFraction)), capped at \(format(config.kellyCap)): \(format(f * 100))% of equity"
            }
            let q = (f * equity / price).rounded(.down)
            return (.shares(Swift.max(0, q)), note)
        }
    }

    static func format(_ x: Double) -> String {
        let r = (x * 100).rounded() / 100
        return r == r.rounded() && r.magnitude < 9.2e18 ? String(Int64(r)) : String(r)
    }
}
