import Bus

/// Trading costs.
public struct CostConfig: Codable, Sendable, Equatable {
    public enum Commission: String, Codable, Sendable, CaseIterable {
        case none
        /// `rate` × notional (0.001 = 0.1%).
        case percent
        /// `rate` per share.
        case perShare = "per-share"
        /// `rate` per order.
        case fixed
    }
    /// Slippage against the trader, in basis points of the price.
    public var slippageBps: Double
    public var commission: Commission
    public var rate: Double
    /// Smallest commission per order (applies to percent and per-share).
    public var minimum: Double

    public init(slippageBps: Double = 0, commission: Commission = .none, rate: Double = 0, minimum: Double = 0) {
        self.slippageBps = slippageBps
        self.commission = commission
        self.rate = rate
        self.minimum = minimum
    }

    public static let free = CostConfig()

    public func fee(quantity: Double, price: Double) -> Double {
        switch commission {
        case .none: return 0
        case .percent: return Swift.max(minimum, rate * quantity * price)
        case .perShare: return Swift.max(minimum, rate * quantity)
        case .fixed: return rate
        }
    }

    /// The price after slippage: higher for buys, lower for sells.
    public func slipped(_ price: Double, side: Side) -> Double {
        let f = slippageBps / 10_000
        return side == .buy ? price * (1 + f) : price * (1 - f)
    }

    public func problems() -> [String] {
        var out: [String] = []
        if !(slippageBps >= 0) { out.append("slippageBps must be ≥ 0") }
        if !(rate >= 0) { out.append("commission rate must be ≥ 0") }
        if !(minimum >= 0) { out.append("commission minimum must be ≥ 0") }
        return out
    }
}

/// How the paper broker fills.
public struct ExecutionConfig: Codable, Sendable, Equatable {
    public enum MarketFill: String, Codable, Sendable, CaseIterable {
        /// At the next bar's open (default; as backtesting.py).
        case nextOpen = "next-open"
        /// At the close of the bar the decision was taken on.
        case close
    }
    public var marketFill: MarketFill
    public var costs: CostConfig
    /// Where orders placed after the last bar fill (positions closed at the end of data):
    /// `last-open` reuses the last bar's open, as backtesting.py's `finalize_trades`;
    /// `last-close` uses its close.
    public var endOfDataFill: EndOfDataFill

    public enum EndOfDataFill: String, Codable, Sendable, CaseIterable {
        case lastOpen = "last-open"
        case lastClose = "last-close"
    }

    public init(marketFill: MarketFill = .nextOpen, costs: CostConfig = .free, endOfDataFill: EndOfDataFill = .lastOpen) {
        self.marketFill = marketFill
        self.costs = costs
        self.endOfDataFill = endOfDataFill
    }
}

/// What the broker did with an order.
public enum BrokerEvent: Sendable, Equatable {
    case accepted(OrderAccepted)
    case filled(OrderFilled)
    case rejected(OrderRejected)
    case cancelled(OrderCancelled)

    public var orderId: String {
        switch self {
        case .accepted(let e): e.order.orderId
        case .filled(let e): e.orderId
        case .rejected(let e): e.orderId
        case .cancelled(let e): e.orderId
        }
    }
}

/// The broker interface: a paper broker here, a real broker adapter later.
public protocol Broker: Sendable {
    /// A new order. Returns what happened at once (accepted as working, filled, or rejected).
    mutating func submit(_ order: OrderRequest, at time: Timestamp) -> [BrokerEvent]
    /// A new bar: fills (or rejects) the working orders of its symbol.
    mutating func onBar(_ bar: Bar) -> [BrokerEvent]
    /// No more bars will come: cancels what is working; later market orders fill at the last bar.
    mutating func endOfData(at time: Timestamp) -> [BrokerEvent]
    /// Orders working for a symbol.
    func working(_ symbol: String) -> Int
}

/// A paper broker with deterministic fill rules:
///
/// - **market**: at the next bar's open (or, configured, at the current close);
/// - **limit** buy: when the bar's low reaches the limit, at the limit — or at the open
///   if the bar gaps below it (sells mirrored);
/// - **stop** buy: when the bar's high reaches the stop, at the stop — or at the open if
///   the bar gaps above it (sells mirrored);
/// - slippage moves the price against the trader, but a fill price never leaves the bar's
///   [low, high] range;
/// - an order sized by `notional` buys whole shares: ⌊notional × (1 − ε) ÷ (price + fee per share)⌋;
/// - an order with both a quantity and a `notional` buys the quantity, or the whole shares
///   the notional pays for at the fill, fees included, when that is fewer (risk's cash cap).
///
/// Every order ends in exactly one of filled, rejected or cancelled.
public struct PaperBroker: Broker {
    public let config: ExecutionConfig
    private var orders: [OrderRequest] = []
    private var lastBar: [String: Bar] = [:]
    private var ended = false

    public init(config: ExecutionConfig = ExecutionConfig()) { self.config = config }

    public func working(_ symbol: String) -> Int { orders.reduce(0) { $0 + ($1.symbol == symbol ? 1 : 0) } }

    public mutating func submit(_ order: OrderRequest, at time: Timestamp) -> [BrokerEvent] {
        if let problem = validate(order) {
            return [.rejected(OrderRejected(orderId: order.orderId, symbol: order.symbol, time: time, code: "invalid_order", message: problem))]
        }
        if order.type == .market, config.marketFill == .close || ended, let bar = lastBar[order.symbol] {
            let price = ended && config.endOfDataFill == .lastOpen ? bar.open : bar.close
            return [fill(order, at: price, bar: bar, time: ended ? bar.time : time)]
        }
        if ended {
            return [.rejected(OrderRejected(orderId: order.orderId, symbol: order.symbol, time: time, code: "no_market_data", message: "the data has ended and no bar of \(order.symbol) was seen"))]
        }
        orders.append(order)
        return [.accepted(OrderAccepted(order: order, time: time))]
    }

    public mutating func onBar(_ bar: Bar) -> [BrokerEvent] {
        lastBar[bar.symbol] = bar
        var events: [BrokerEvent] = []
        var keep: [OrderRequest] = []
        for o in orders {
            guard o.symbol == bar.symbol else {
                keep.append(o)
                continue
            }
            if let price = PaperBroker.triggerPrice(o, bar: bar) {
                events.append(fill(o, at: price, bar: bar, time: bar.time))
            } else {
                keep.append(o)
            }
        }
        orders = keep
        return events
    }

    public mutating func endOfData(at time: Timestamp) -> [BrokerEvent] {
        ended = true
        let cancelled = orders.map {
            BrokerEvent.cancelled(OrderCancelled(orderId: $0.orderId, symbol: $0.symbol, time: time, reason: "end of data"))
        }
        orders = []
        return cancelled
    }

    /// The price at which a working order fills on this bar, or nil if it does not.
    public static func triggerPrice(_ o: OrderRequest, bar: Bar) -> Double? {
        switch o.type {
        case .market:
            return bar.open
        case .limit:
            guard let limit = o.limitPrice else { return nil }
            if o.side == .buy { return bar.low <= limit ? Swift.min(bar.open, limit) : nil }
            return bar.high >= limit ? Swift.max(bar.open, limit) : nil
        case .stop:
            guard let stop = o.stopPrice else { return nil }
            if o.side == .buy { return bar.high >= stop ? Swift.max(bar.open, stop) : nil }
            return bar.low <= stop ? Swift.min(bar.open, stop) : nil
        }
    }

    private func validate(_ o: OrderRequest) -> String? {
        if o.quantity == nil && o.notional == nil { return "order has neither quantity nor notional" }
        if let q = o.quantity, !(q > 0) || !q.isFinite { return "quantity must be positive, got \(q)" }
        if let n = o.notional, !(n > 0) || !n.isFinite { return "notional must be positive, got \(n)" }
        if o.type == .limit, !(o.limitPrice.map { $0 > 0 } ?? false) { return "a limit order needs a positive limit price" }
        if o.type == .stop, !(o.stopPrice.map { $0 > 0 } ?? false) { return "a stop order needs a positive stop price" }
        return nil
    }

    private func fill(_ o: OrderRequest, at raw: Double, bar: Bar, time: Timestamp) -> BrokerEvent {
        let price = Swift.min(bar.high, Swift.max(bar.low, config.costs.slipped(raw, side: o.side)))
        var quantity: Double
        if let q = o.quantity {
            quantity = q
            // A cap on what it may cost (the cash risk approved it against): fewer whole
            // shares when the fill price and its fee come to more.
            if let cap = o.notional, q * price + config.costs.fee(quantity: q, price: price) > cap {
                quantity = Swift.min(q, (cap / price).rounded(.down))
                while quantity > 0 && quantity * price + config.costs.fee(quantity: quantity, price: price) > cap {
                    quantity -= 1
                }
                if quantity < 1 {
                    return .rejected(OrderRejected(
                        orderId: o.orderId, symbol: o.symbol, time: time, code: "insufficient_cash",
                        message: "\(PreTradeCheck.fmt(cap)) of cash does not buy one share at \(PreTradeCheck.fmt(price)) with its fee"))
                }
            }
        } else {
            // Whole shares the notional buys, fees included.
            let notional = o.notional! * PreTradeCheck.allInFraction
            quantity = (notional / price).rounded(.down)
            while quantity > 0 && quantity * price + config.costs.fee(quantity: quantity, price: price) > o.notional! {
                quantity -= 1
            }
        }
        guard quantity >= 1 || (o.quantity != nil && quantity > 0) else {
            return .rejected(OrderRejected(
                orderId: o.orderId, symbol: o.symbol, time: time, code: "insufficient_notional",
                message: "\(PreTradeCheck.fmt(o.notional ?? 0)) does not buy one share at \(PreTradeCheck.fmt(price))"))
        }
        let fee = config.costs.fee(quantity: quantity, price: price)
        let slippage = Swift.abs(price - raw) * quantity
        return .filled(OrderFilled(
            orderId: o.orderId, symbol: o.symbol, time: time, side: o.side, intent: o.intent, quantity: quantity,
            price: price, fee: fee, slippage: slippage))
    }
}
