import Bus

/// Portfolio settings.
public struct PortfolioConfig: Codable, Sendable, Equatable {
    public var initialCash: Double
    public var sizing: SizingConfig
    /// Short selling is off by default (long only).
    public var allowShort: Bool
    /// Optional symbol → sector map for exposure by sector.
    public var sectors: [String: String]
    /// Close open positions when the data ends (so their trades count in the stats).
    public var closeAtEnd: Bool

    public init(initialCash: Double = 100_000, sizing: SizingConfig = SizingConfig(), allowShort: Bool = false,
                sectors: [String: String] = [:], closeAtEnd: Bool = true) {
        self.initialCash = initialCash
        self.sizing = sizing
        self.allowShort = allowShort
        self.sectors = sectors
        self.closeAtEnd = closeAtEnd
    }

    public func problems() -> [String] {
        var out = sizing.problems().map { "sizing: \($0)" }
        if !(initialCash > 0) || !initialCash.isFinite { out.append("initialCash must be positive") }
        return out
    }
}

/// The portfolio: books fills, marks to market, sizes decisions into orders, and reports
/// snapshots and closed trades. A thin shell over `Ledger` and `Sizing`.
public actor PortfolioAgent {
    public static let name = "portfolio"
    public nonisolated let unownedExecutor: UnownedSerialExecutor
    private let config: PortfolioConfig
    private let context: AgentContext
    private let publisher: Publisher
    private let subscription: Subscription
    private var ledger: Ledger
    private var atr: [String: WilderATR] = [:]
    private var pending: [String: String] = [:]          // orderId → symbol
    private var exitReasons: [String: String] = [:]      // orderId → why the position is closed
    private var closedPnLs: [Double] = []
    private var nextOrder = 1
    /// The data has ended at this time; `system.finished` follows once no order is pending.
    private var endedAt: Timestamp?
    private var finished = false
    private var lastBar: [String: Bar] = [:]
    private var requestTopics = TopicCache(prefix: "order.request.")
    private var deniedTopics = TopicCache(prefix: "order.denied.")
    private var tradeTopics = TopicCache(prefix: "trade.closed.")

    /// The risk limits' stop-loss, recorded on each closed trade as its stop price (so the
    /// journal can measure R-multiples); nil when the risk agent runs without one.
    private let stopLossPct: Double?

    public init(context: AgentContext, config: PortfolioConfig, stopLossPct: Double? = nil) async throws {
        unownedExecutor = context.executor.asUnownedSerialExecutor()
        self.context = context
        self.config = config
        self.stopLossPct = stopLossPct
        ledger = Ledger(cash: config.initialCash)
        publisher = context.publisher(for: Self.name)
        subscription = try await context.subscribe(Self.name, [
            "market.bar.*", "market.end", "decision.*", "order.filled.*", "order.denied.*",
            "order.rejected.*", "order.cancelled.*",
        ])
    }

    public func run() async {
        await context.consume(subscription, agent: Self.name) { [self] _, e in try await self.handle(e) }
    }

    private func handle(_ e: Envelope) async throws {
        try await dispatch(e)
        if let end = endedAt, !finished, pending.isEmpty {
            finished = true
            try await publisher.publish(RunFinished(time: end, trades: ledger.tradesClosed, equity: ledger.equity, by: Self.name), causation: e.id)
        }
    }

    private func dispatch(_ e: Envelope) async throws {
        switch e.payload {
        case .bar(let bar):
            lastBar[bar.symbol] = bar
            atr[bar.symbol, default: WilderATR(period: config.sizing.atrPeriod)].update(bar)
            let before = ledger.equity
            ledger.mark(bar.symbol, price: bar.close)
            if ledger.positions[bar.symbol] != nil || ledger.equity != before {
                try await publisher.publish(ledger.snapshot(time: bar.time, sectors: config.sectors), correlation: e.correlation, causation: e.id)
            }
        case .decision(let d):
            try await decide(d, e)
        case .orderFilled(let f):
            let reason = exitReasons.removeValue(forKey: f.orderId) ?? "signal"
            pending[f.orderId] = nil
            if var trade = ledger.apply(f, exitReason: reason) {
                if let pct = stopLossPct {
                    trade.stopPrice = trade.side == .long ? trade.entryPrice * (1 - pct) : trade.entryPrice * (1 + pct)
                }
                closedPnLs.append(trade.pnl)
                try await publisher.publish(ledger.snapshot(time: f.time, sectors: config.sectors), correlation: e.correlation, causation: e.id)
                try await publisher.publish(trade, topic: tradeTopics.topic(trade.symbol), correlation: e.correlation, causation: e.id)
            } else {
                try await publisher.publish(ledger.snapshot(time: f.time, sectors: config.sectors), correlation: e.correlation, causation: e.id)
            }
        case .orderDenied(let d):
            pending[d.orderId] = nil
            exitReasons[d.orderId] = nil
        case .orderRejected(let r):
            pending[r.orderId] = nil
            exitReasons[r.orderId] = nil
        case .orderCancelled(let c):
            pending[c.orderId] = nil
            exitReasons[c.orderId] = nil
        case .marketEnd(let end):
            endedAt = end.time
            guard config.closeAtEnd else { return }
            for p in ledger.sortedPositions where p.quantity != 0 {
                let id = newOrderID()
                exitReasons[id] = "end of data"
                pending[id] = p.symbol
                let order = OrderRequest(
                    orderId: id, symbol: p.symbol, time: end.time, side: p.quantity > 0 ? .sell : .buy, type: .market,
                    intent: .exit, quantity: Swift.abs(p.quantity), referencePrice: p.lastPrice, reason: "end of data: close the position")
                // It belongs to the symbol's last cycle, so explain and the logs show it there.
                let cycle = lastBar[p.symbol].map { Envelope.cycleID(symbol: p.symbol, time: $0.time) }
                try await publisher.publish(order, topic: requestTopics.topic(p.symbol), correlation: cycle, causation: e.id)
            }
        default:
            return
        }
    }

    private func decide(_ d: Decision, _ e: Envelope) async throws {
        guard d.action != .hold else { return }
        let symbol = d.symbol
        let id = newOrderID()
        func deny(_ code: String, _ message: String, value: Double? = nil, limit: Double? = nil) async throws {
            try await publisher.publish(
                OrderDenied(orderId: id, symbol: symbol, time: d.time, by: Self.name, reasons: [DenialReason(code: code, message: message, value: value, limit: limit)]),
                topic: deniedTopics.topic(symbol), correlation: e.correlation, causation: e.id)
        }
        let working = pending.values.reduce(0) { $0 + ($1 == symbol ? 1 : 0) }
        if working > 0 {
            // value: orders still working for the symbol; limit: how many a new one may meet (none).
            return try await deny("pending_order", "an order for \(symbol) is still working", value: Double(working), limit: 0)
        }
        let held = ledger.position(symbol)
        let price = lastBar[symbol]?.close ?? ledger.lastPrices[symbol] ?? 0
        var order = OrderRequest(
            orderId: id, symbol: symbol, time: d.time, side: d.action == .buy ? .buy : .sell, type: .market, intent: .entry,
            referencePrice: price, reason: d.reason)
        if (d.action == .buy && held < 0) || (d.action == .sell && held > 0) {
            order.intent = .exit
            order.quantity = Swift.abs(held)
            exitReasons[id] = d.exit ?? "signal"
        } else if held != 0 {
            return try await deny(held > 0 ? "already_long" : "already_short", "already \(held > 0 ? "long" : "short") \(PreTradeCheck.fmt(Swift.abs(held))) \(symbol); no pyramiding",
                                  value: held, limit: 0)
        } else if d.action == .sell && !config.allowShort {
            return try await deny("long_only", "short selling is disabled (portfolio.allowShort)")
        } else {
            let (size, note) = Sizing.entrySize(
                config: config.sizing, equity: ledger.equity, cash: ledger.cash, price: price,
                atr: atr[symbol]?.value, closedPnLs: closedPnLs)
            switch size {
            case .notional(let n) where d.action == .buy:
                order.notional = n
            case .notional(let n):
                order.quantity = price > 0 ? (n / price).rounded(.down) : 0
            case .shares(let q):
                order.quantity = q
            }
            if (order.quantity ?? 1) < 1 || (order.notional.map { $0 <= 0 } ?? false) {
                return try await deny("zero_size", "sizing gives no shares: \(note)", value: order.quantity ?? order.notional ?? 0, limit: 1)
            }
            order.reason = "\(d.reason); size: \(note)"
        }
        pending[id] = symbol
        try await publisher.publish(order, topic: requestTopics.topic(symbol), correlation: e.correlation, causation: e.id)
    }

    private func newOrderID() -> String {
        defer { nextOrder += 1 }
        return "o-\(nextOrder)"
    }
}

/// Wilder's ATR, streaming (for volatility sizing). TA-Lib's definition: the first value is
/// the mean of the first `period` true ranges (from the second bar), then Wilder smoothing.
public struct WilderATR: Sendable {
    public let period: Int
    private var previousClose: Double?
    private var count = 0
    private var sum = 0.0
    public private(set) var value: Double?

    public init(period: Int) { self.period = Swift.max(1, period) }

    public mutating func update(_ bar: Bar) {
        defer { previousClose = bar.close }
        guard let pc = previousClose else { return }
        let tr = Swift.max(bar.high - bar.low, Swift.abs(bar.high - pc), Swift.abs(bar.low - pc))
        count += 1
        if let v = value {
            value = (v * Double(period - 1) + tr) / Double(period)
        } else {
            sum += tr
            if count == period { value = sum / Double(period) }
        }
    }
}
