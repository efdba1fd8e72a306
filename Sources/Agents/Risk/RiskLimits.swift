import Bus

/// Hard limits, enforced in code. Nothing — no vote, no model — overrides them.
/// Every limit can be switched off by setting it to nil (`null` in topology.json).
public struct RiskLimits: Codable, Sendable, Equatable {
    // Pre-trade checks (new entries; exits are never blocked).
    /// Largest position as a fraction of equity (0.10 = 10%).
    public var maxPositionPct: Double?
    /// Largest gross exposure to one sector as a fraction of equity.
    public var maxSectorPct: Double?
    /// Most positions held at once.
    public var maxPositions: Int?
    /// Cash that must remain after a purchase, as a fraction of equity.
    public var minCashReservePct: Double?
    /// A purchase may not cost more than the cash available.
    public var requireCash: Bool
    /// Highest correlation of returns with any held position.
    public var maxCorrelation: Double?
    /// Bars of close-to-close returns used for correlations.
    public var correlationWindow: Int
    /// Most orders approved per minute of market time.
    public var maxOrdersPerMinute: Int?
    /// Shrink an order to fit the size limits instead of denying it.
    public var adjustOrders: Bool

    // Running checks.
    /// Close a position whose close is this fraction below its average cost (above, for shorts).
    public var stopLossPct: Double?
    /// Close a position whose close is this fraction above its average cost (below, for shorts).
    public var takeProfitPct: Double?
    /// Halt new entries for the rest of the day after losing this fraction of the day's opening equity.
    public var dailyLossPct: Double?
    /// Circuit breaker: halt new entries (and publish `system.halt`) at this drawdown from the peak.
    public var maxDrawdownPct: Double?
    /// Resume automatically when the drawdown is back under this fraction.
    public var resumeDrawdownPct: Double?
    /// Also resume after this many bars halted; the drawdown peak is then reset to the
    /// current equity (a flat book cannot recover its drawdown by itself).
    public var haltCooldownBars: Int?

    // The risk vote.
    /// Bars in the short and long volatility windows of the volatility regime.
    public var volatilityShortWindow: Int
    public var volatilityLongWindow: Int

    public init(
        maxPositionPct: Double? = 0.10, maxSectorPct: Double? = 0.30, maxPositions: Int? = 10,
        minCashReservePct: Double? = 0.10, requireCash: Bool = true, maxCorrelation: Double? = 0.7,
        correlationWindow: Int = 60, maxOrdersPerMinute: Int? = 30, adjustOrders: Bool = true,
        stopLossPct: Double? = 0.05, takeProfitPct: Double? = 0.10, dailyLossPct: Double? = 0.03,
        maxDrawdownPct: Double? = 0.20, resumeDrawdownPct: Double? = 0.15, haltCooldownBars: Int? = 20,
        volatilityShortWindow: Int = 20, volatilityLongWindow: Int = 100
    ) {
        self.maxPositionPct = maxPositionPct
        self.maxSectorPct = maxSectorPct
        self.maxPositions = maxPositions
        self.minCashReservePct = minCashReservePct
        self.requireCash = requireCash
        self.maxCorrelation = maxCorrelation
        self.correlationWindow = correlationWindow
        self.maxOrdersPerMinute = maxOrdersPerMinute
        self.adjustOrders = adjustOrders
        self.stopLossPct = stopLossPct
        self.takeProfitPct = takeProfitPct
        self.dailyLossPct = dailyLossPct
        self.maxDrawdownPct = maxDrawdownPct
        self.resumeDrawdownPct = resumeDrawdownPct
        self.haltCooldownBars = haltCooldownBars
        self.volatilityShortWindow = volatilityShortWindow
        self.volatilityLongWindow = volatilityLongWindow
    }

    /// Every limit switched off (cash is still required).
    public static let none = RiskLimits(
        maxPositionPct: nil, maxSectorPct: nil, maxPositions: nil, minCashReservePct: nil, requireCash: true,
        maxCorrelation: nil, maxOrdersPerMinute: nil, stopLossPct: nil, takeProfitPct: nil, dailyLossPct: nil,
        maxDrawdownPct: nil, resumeDrawdownPct: nil, haltCooldownBars: nil)

    public func problems() -> [String] {
        var out: [String] = []
        func fraction(_ name: String, _ v: Double?) {
            if let v, !(v > 0 && v <= 1) { out.append("\(name) \(v) must be in (0, 1] (or null to switch it off)") }
        }
        fraction("maxPositionPct", maxPositionPct)
        fraction("maxSectorPct", maxSectorPct)
        fraction("minCashReservePct", minCashReservePct)
        fraction("maxCorrelation", maxCorrelation)
        fraction("stopLossPct", stopLossPct)
        fraction("takeProfitPct", takeProfitPct.map { Swift.min($0, 1) })
        fraction("dailyLossPct", dailyLossPct)
        fraction("maxDrawdownPct", maxDrawdownPct)
        fraction("resumeDrawdownPct", resumeDrawdownPct)
        if let m = maxPositions, m < 1 { out.append("maxPositions must be at least 1") }
        if let m = maxOrdersPerMinute, m < 1 { out.append("maxOrdersPerMinute must be at least 1") }
        if let c = haltCooldownBars, c < 1 { out.append("haltCooldownBars must be at least 1") }
        if correlationWindow < 3 { out.append("correlationWindow must be at least 3") }
        if volatilityShortWindow < 2 || volatilityLongWindow <= volatilityShortWindow {
            out.append("volatility windows must satisfy 2 ≤ short < long")
        }
        if let r = resumeDrawdownPct, let m = maxDrawdownPct, r >= m {
            out.append("resumeDrawdownPct \(r) must be below maxDrawdownPct \(m)")
        }
        return out
    }
}
