// The event catalogue: every event type Agora publishes, with its hand-written JSON codec.
// The JSON shape is exactly what `JSONEncoder` produces from the synthesized `Codable`
// conformance, so either coder reads the other's output (a test checks this for every type).
// docs/wire-format.md documents each type with an example.

/// What a voter or the orchestrator wants to do.
public enum Action: String, Sendable, Hashable, Codable, CaseIterable {
    case buy, sell, hold
}

/// The side of an order or fill.
public enum Side: String, Sendable, Hashable, Codable, CaseIterable {
    case buy, sell
}

/// How an order is priced.
public enum OrderType: String, Sendable, Hashable, Codable, CaseIterable {
    case market, limit, stop
}

/// Whether an order opens/increases a position or reduces/closes it.
public enum OrderIntent: String, Sendable, Hashable, Codable, CaseIterable {
    case entry, exit
}

/// The direction of a position or trade.
public enum PositionSide: String, Sendable, Hashable, Codable, CaseIterable {
    case long, short
}

/// One OHLCV bar of one symbol. `time` is the start of the bar.
public struct Bar: BusEvent, JSONCodable, Hashable {
    /// Ticker symbol, e.g. `AAPL`.
    public var symbol: String
    /// Start of the bar (UTC).
    public var time: Timestamp
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    public var volume: Double

    public init(
        symbol: String,
        time: Timestamp,
        open: Double,
        high: Double,
        low: Double,
        close: Double,
        volume: Double
    ) {
        self.symbol = symbol
        self.time = time
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }

    public static var eventType: EventType { .bar }
    public var topic: String { "market.bar.\(symbol)" }
    public var eventTime: Timestamp { time }
    public var payload: Payload { .bar(self) }
    public init?(payload: Payload) {
        guard case .bar(let v) = payload else { return nil }
        self = v
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("symbol", symbol)
        w.field("time", time)
        w.field("open", open)
        w.field("high", high)
        w.field("low", low)
        w.field("close", close)
        w.field("volume", volume)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        // Fast path: the layout `encode` writes. Anything else: the general reader below.
        if let bar = r.attempt({ (r: inout JSONReader) throws(WireError) -> Bar in
            try r.literal("{\"symbol\":"); let symbol = try r.readString()
            try r.literal(",\"time\":"); let time = try r.readTimestamp()
            try r.literal(",\"open\":"); let open = try r.readDouble()
            try r.literal(",\"high\":"); let high = try r.readDouble()
            try r.literal(",\"low\":"); let low = try r.readDouble()
            try r.literal(",\"close\":"); let close = try r.readDouble()
            try r.literal(",\"volume\":"); let volume = try r.readDouble()
            try r.literal("}")
            return Bar(symbol: symbol, time: time, open: open, high: high, low: low, close: close, volume: volume)
        }) {
            self = bar
            return
        }
        var symbol: String?
        var time: Timestamp?
        var open: Double?
        var high: Double?
        var low: Double?
        var close: Double?
        var volume: Double?
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "symbol" {
                symbol = try r.readString()
            } else if k == "time" {
                time = try r.readTimestamp()
            } else if k == "open" {
                open = try r.readDouble()
            } else if k == "high" {
                high = try r.readDouble()
            } else if k == "low" {
                low = try r.readDouble()
            } else if k == "close" {
                close = try r.readDouble()
            } else if k == "volume" {
                volume = try r.readDouble()
            } else {
                try r.skipValue()
            }
        }
        guard let symbol else { throw .missing("symbol", in: "bar") }
        self.symbol = symbol
        guard let time else { throw .missing("time", in: "bar") }
        self.time = time
        guard let open else { throw .missing("open", in: "bar") }
        self.open = open
        guard let high else { throw .missing("high", in: "bar") }
        self.high = high
        guard let low else { throw .missing("low", in: "bar") }
        self.low = low
        guard let close else { throw .missing("close", in: "bar") }
        self.close = close
        guard let volume else { throw .missing("volume", in: "bar") }
        self.volume = volume
    }
}

/// A news headline about one or more symbols. Publishers put one copy on `market.news.<SYM>` for each symbol it names.
public struct NewsItem: BusEvent, JSONCodable, Hashable {
    /// Stable identifier of the item (the same in every per-symbol copy).
    public var id: String
    /// When the news was published.
    public var time: Timestamp
    /// Every symbol the item names.
    public var symbols: [String]
    public var headline: String
    public var body: String?
    /// Who published it.
    public var source: String
    public var url: String?

    public init(
        id: String,
        time: Timestamp,
        symbols: [String] = [],
        headline: String,
        body: String? = nil,
        source: String,
        url: String? = nil
    ) {
        self.id = id
        self.time = time
        self.symbols = symbols
        self.headline = headline
        self.body = body
        self.source = source
        self.url = url
    }

    public static var eventType: EventType { .news }
    public var topic: String { "market.news.\(symbols.first ?? "unknown")" }
    public var eventTime: Timestamp { time }
    public var payload: Payload { .news(self) }
    public init?(payload: Payload) {
        guard case .news(let v) = payload else { return nil }
        self = v
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("id", id)
        w.field("time", time)
        w.field("symbols", symbols)
        w.field("headline", headline)
        w.field("body", body)
        w.field("source", source)
        w.field("url", url)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var id: String?
        var time: Timestamp?
        var symbols: [String] = []
        var headline: String?
        var body: String? = nil
        var source: String?
        var url: String? = nil
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "id" {
                id = try r.readString()
            } else if k == "time" {
                time = try r.readTimestamp()
            } else if k == "symbols" {
                symbols = try r.readStringArray()
            } else if k == "headline" {
                headline = try r.readString()
            } else if k == "body" {
                body = r.readNullIfPresent() ? nil : try r.readString()
            } else if k == "source" {
                source = try r.readString()
            } else if k == "url" {
                url = r.readNullIfPresent() ? nil : try r.readString()
            } else {
                try r.skipValue()
            }
        }
        guard let id else { throw .missing("id", in: "news") }
        self.id = id
        guard let time else { throw .missing("time", in: "news") }
        self.time = time
        self.symbols = symbols
        guard let headline else { throw .missing("headline", in: "news") }
        self.headline = headline
        self.body = body
        guard let source else { throw .missing("source", in: "news") }
        self.source = source
        self.url = url
    }
}

/// The end of the replayed data: no more bars will come in this run.
public struct MarketEnd: BusEvent, JSONCodable, Hashable {
    /// Time of the last bar.
    public var time: Timestamp
    public var symbols: [String]
    /// Bars published in the run.
    public var bars: Int

    public init(
        time: Timestamp,
        symbols: [String] = [],
        bars: Int
    ) {
        self.time = time
        self.symbols = symbols
        self.bars = bars
    }

    public static var eventType: EventType { .marketEnd }
    public var topic: String { "market.end" }
    public var eventTime: Timestamp { time }
    public var payload: Payload { .marketEnd(self) }
    public init?(payload: Payload) {
        guard case .marketEnd(let v) = payload else { return nil }
        self = v
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("time", time)
        w.field("symbols", symbols)
        w.field("bars", bars)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var time: Timestamp?
        var symbols: [String] = []
        var bars: Int?
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "time" {
                time = try r.readTimestamp()
            } else if k == "symbols" {
                symbols = try r.readStringArray()
            } else if k == "bars" {
                bars = try r.readInt()
            } else {
                try r.skipValue()
            }
        }
        guard let time else { throw .missing("time", in: "market_end") }
        self.time = time
        self.symbols = symbols
        guard let bars else { throw .missing("bars", in: "market_end") }
        self.bars = bars
    }
}

/// One strategy's part of a vote, kept for explanation.
public struct VoteComponent: JSONCodable, Hashable, Codable {
    public var name: String
    public var action: Action
    /// In [-1, 1].
    public var score: Double
    /// In [0, 1].
    public var confidence: Double
    public var reason: String

    public init(
        name: String,
        action: Action,
        score: Double,
        confidence: Double,
        reason: String
    ) {
        self.name = name
        self.action = action
        self.score = score
        self.confidence = confidence
        self.reason = reason
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("name", name)
        w.field("action", action)
        w.field("score", score)
        w.field("confidence", confidence)
        w.field("reason", reason)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        // Fast path: the layout `encode` writes. Anything else: the general reader below.
        if let c = r.attempt({ (r: inout JSONReader) throws(WireError) -> VoteComponent in
            try r.literal("{\"name\":"); let name = try r.readString()
            try r.literal(",\"action\":"); let action = try r.readEnum(Action.self, "action")
            try r.literal(",\"score\":"); let score = try r.readDouble()
            try r.literal(",\"confidence\":"); let confidence = try r.readDouble()
            try r.literal(",\"reason\":"); let reason = try r.readString()
            try r.literal("}")
            return VoteComponent(name: name, action: action, score: score, confidence: confidence, reason: reason)
        }) {
            self = c
            return
        }
        var name: String?
        var action: Action?
        var score: Double?
        var confidence: Double?
        var reason: String?
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "name" {
                name = try r.readString()
            } else if k == "action" {
                action = try r.readEnum(Action.self, "action")
            } else if k == "score" {
                score = try r.readDouble()
            } else if k == "confidence" {
                confidence = try r.readDouble()
            } else if k == "reason" {
                reason = try r.readString()
            } else {
                try r.skipValue()
            }
        }
        guard let name else { throw .missing("name", in: "VoteComponent") }
        self.name = name
        guard let action else { throw .missing("action", in: "VoteComponent") }
        self.action = action
        guard let score else { throw .missing("score", in: "VoteComponent") }
        self.score = score
        guard let confidence else { throw .missing("confidence", in: "VoteComponent") }
        self.confidence = confidence
        guard let reason else { throw .missing("reason", in: "VoteComponent") }
        self.reason = reason
    }
}

/// One voter's opinion on one trading cycle (one bar of one symbol).
public struct Vote: BusEvent, JSONCodable, Hashable {
    /// `technical`, `sentiment` or `risk`.
    public var agent: String
    public var symbol: String
    /// Time of the bar voted on.
    public var time: Timestamp
    public var action: Action
    /// In [-1, 1]: negative is bearish.
    public var score: Double
    /// In [0, 1]; 0 means no opinion.
    public var confidence: Double
    /// A short human-readable reason.
    public var reason: String
    /// The parts the vote combines.
    public var components: [VoteComponent]
    /// Risk only: new entries are vetoed, with this reason.
    public var veto: String?
    /// Risk only: the position must be closed, with this reason.
    public var exit: String?

    public init(
        agent: String,
        symbol: String,
        time: Timestamp,
        action: Action,
        score: Double,
        confidence: Double,
        reason: String,
        components: [VoteComponent] = [],
        veto: String? = nil,
        exit: String? = nil
    ) {
        self.agent = agent
        self.symbol = symbol
        self.time = time
        self.action = action
        self.score = score
        self.confidence = confidence
        self.reason = reason
        self.components = components
        self.veto = veto
        self.exit = exit
    }

    public static var eventType: EventType { .vote }
    public var topic: String { "signal.\(agent).\(symbol)" }
    public var eventTime: Timestamp { time }
    public var payload: Payload { .vote(self) }
    public init?(payload: Payload) {
        guard case .vote(let v) = payload else { return nil }
        self = v
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("agent", agent)
        w.field("symbol", symbol)
        w.field("time", time)
        w.field("action", action)
        w.field("score", score)
        w.field("confidence", confidence)
        w.field("reason", reason)
        w.field("components", components)
        w.field("veto", veto)
        w.field("exit", exit)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        // Fast path: the layout `encode` writes. Anything else: the general reader below.
        if let vote = r.attempt({ (r: inout JSONReader) throws(WireError) -> Vote in
            try r.literal("{\"agent\":"); let agent = try r.readString()
            try r.literal(",\"symbol\":"); let symbol = try r.readString()
            try r.literal(",\"time\":"); let time = try r.readTimestamp()
            try r.literal(",\"action\":"); let action = try r.readEnum(Action.self, "action")
            try r.literal(",\"score\":"); let score = try r.readDouble()
            try r.literal(",\"confidence\":"); let confidence = try r.readDouble()
            try r.literal(",\"reason\":"); let reason = try r.readString()
            try r.literal(",\"components\":"); let components = try r.readArray(of: VoteComponent.self)
            var veto: String? = nil, exit: String? = nil
            if r.consume(",\"veto\":") { veto = try r.readString() }
            if r.consume(",\"exit\":") { exit = try r.readString() }
            try r.literal("}")
            return Vote(agent: agent, symbol: symbol, time: time, action: action, score: score, confidence: confidence,
                        reason: reason, components: components, veto: veto, exit: exit)
        }) {
            self = vote
            return
        }
        var agent: String?
        var symbol: String?
        var time: Timestamp?
        var action: Action?
        var score: Double?
        var confidence: Double?
        var reason: String?
        var components: [VoteComponent] = []
        var veto: String? = nil
        var exit: String? = nil
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "agent" {
                agent = try r.readString()
            } else if k == "symbol" {
                symbol = try r.readString()
            } else if k == "time" {
                time = try r.readTimestamp()
            } else if k == "action" {
                action = try r.readEnum(Action.self, "action")
            } else if k == "score" {
                score = try r.readDouble()
            } else if k == "confidence" {
                confidence = try r.readDouble()
            } else if k == "reason" {
                reason = try r.readString()
            } else if k == "components" {
                components = try r.readArray(of: VoteComponent.self)
            } else if k == "veto" {
                veto = r.readNullIfPresent() ? nil : try r.readString()
            } else if k == "exit" {
                exit = r.readNullIfPresent() ? nil : try r.readString()
            } else {
                try r.skipValue()
            }
        }
        guard let agent else { throw .missing("agent", in: "vote") }
        self.agent = agent
        guard let symbol else { throw .missing("symbol", in: "vote") }
        self.symbol = symbol
        guard let time else { throw .missing("time", in: "vote") }
        self.time = time
        guard let action else { throw .missing("action", in: "vote") }
        self.action = action
        guard let score else { throw .missing("score", in: "vote") }
        self.score = score
        guard let confidence else { throw .missing("confidence", in: "vote") }
        self.confidence = confidence
        guard let reason else { throw .missing("reason", in: "vote") }
        self.reason = reason
        self.components = components
        self.veto = veto
        self.exit = exit
    }
}

/// How one voter counted in a decision.
public struct VoterContribution: JSONCodable, Hashable, Codable {
    public var agent: String
    public var action: Action
    public var score: Double
    public var confidence: Double
    /// Configured weight.
    public var weight: Double
    /// Weight after sharing out the weight of abstaining voters.
    public var effectiveWeight: Double
    /// effectiveWeight × score.
    public var contribution: Double
    public var reason: String
    /// True when the vote did not arrive in time.
    public var missing: Bool

    public init(
        agent: String,
        action: Action,
        score: Double,
        confidence: Double,
        weight: Double,
        effectiveWeight: Double,
        contribution: Double,
        reason: String,
        missing: Bool
    ) {
        self.agent = agent
        self.action = action
        self.score = score
        self.confidence = confidence
        self.weight = weight
        self.effectiveWeight = effectiveWeight
        self.contribution = contribution
        self.reason = reason
        self.missing = missing
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("agent", agent)
        w.field("action", action)
        w.field("score", score)
        w.field("confidence", confidence)
        w.field("weight", weight)
        w.field("effectiveWeight", effectiveWeight)
        w.field("contribution", contribution)
        w.field("reason", reason)
        w.field("missing", missing)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var agent: String?
        var action: Action?
        var score: Double?
        var confidence: Double?
        var weight: Double?
        var effectiveWeight: Double?
        var contribution: Double?
        var reason: String?
        var missing: Bool?
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "agent" {
                agent = try r.readString()
            } else if k == "action" {
                action = try r.readEnum(Action.self, "action")
            } else if k == "score" {
                score = try r.readDouble()
            } else if k == "confidence" {
                confidence = try r.readDouble()
            } else if k == "weight" {
                weight = try r.readDouble()
            } else if k == "effectiveWeight" {
                effectiveWeight = try r.readDouble()
            } else if k == "contribution" {
                contribution = try r.readDouble()
            } else if k == "reason" {
                reason = try r.readString()
            } else if k == "missing" {
                missing = try r.readBool()
            } else {
                try r.skipValue()
            }
        }
        guard let agent else { throw .missing("agent", in: "VoterContribution") }
        self.agent = agent
        guard let action else { throw .missing("action", in: "VoterContribution") }
        self.action = action
        guard let score else { throw .missing("score", in: "VoterContribution") }
        self.score = score
        guard let confidence else { throw .missing("confidence", in: "VoterContribution") }
        self.confidence = confidence
        guard let weight else { throw .missing("weight", in: "VoterContribution") }
        self.weight = weight
        guard let effectiveWeight else { throw .missing("effectiveWeight", in: "VoterContribution") }
        self.effectiveWeight = effectiveWeight
        guard let contribution else { throw .missing("contribution", in: "VoterContribution") }
        self.contribution = contribution
        guard let reason else { throw .missing("reason", in: "VoterContribution") }
        self.reason = reason
        guard let missing else { throw .missing("missing", in: "VoterContribution") }
        self.missing = missing
    }
}

/// The orchestrator's decision for one trading cycle, with everything needed to explain it.
public struct Decision: BusEvent, JSONCodable, Hashable {
    public var symbol: String
    public var time: Timestamp
    public var action: Action
    /// Weighted score in [-1, 1].
    public var score: Double
    public var reason: String
    public var votes: [VoterContribution]
    /// Why a buy/sell was vetoed, if it was.
    public var veto: String?
    /// Voters whose votes were missing.
    public var missing: [String]
    /// A forced exit (stop-loss, take-profit), if any.
    public var exit: String?

    public init(
        symbol: String,
        time: Timestamp,
        action: Action,
        score: Double,
        reason: String,
        votes: [VoterContribution] = [],
        veto: String? = nil,
        missing: [String] = [],
        exit: String? = nil
    ) {
        self.symbol = symbol
        self.time = time
        self.action = action
        self.score = score
        self.reason = reason
        self.votes = votes
        self.veto = veto
        self.missing = missing
        self.exit = exit
    }

    public static var eventType: EventType { .decision }
    public var topic: String { "decision.\(symbol)" }
    public var eventTime: Timestamp { time }
    public var payload: Payload { .decision(self) }
    public init?(payload: Payload) {
        guard case .decision(let v) = payload else { return nil }
        self = v
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("symbol", symbol)
        w.field("time", time)
        w.field("action", action)
        w.field("score", score)
        w.field("reason", reason)
        w.field("votes", votes)
        w.field("veto", veto)
        w.field("missing", missing)
        w.field("exit", exit)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var symbol: String?
        var time: Timestamp?
        var action: Action?
        var score: Double?
        var reason: String?
        var votes: [VoterContribution] = []
        var veto: String? = nil
        var missing: [String] = []
        var exit: String? = nil
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "symbol" {
                symbol = try r.readString()
            } else if k == "time" {
                time = try r.readTimestamp()
            } else if k == "action" {
                action = try r.readEnum(Action.self, "action")
            } else if k == "score" {
                score = try r.readDouble()
            } else if k == "reason" {
                reason = try r.readString()
            } else if k == "votes" {
                votes = try r.readArray(of: VoterContribution.self)
            } else if k == "veto" {
                veto = r.readNullIfPresent() ? nil : try r.readString()
            } else if k == "missing" {
                missing = try r.readStringArray()
            } else if k == "exit" {
                exit = r.readNullIfPresent() ? nil : try r.readString()
            } else {
                try r.skipValue()
            }
        }
        guard let symbol else { throw .missing("symbol", in: "decision") }
        self.symbol = symbol
        guard let time else { throw .missing("time", in: "decision") }
        self.time = time
        guard let action else { throw .missing("action", in: "decision") }
        self.action = action
        guard let score else { throw .missing("score", in: "decision") }
        self.score = score
        guard let reason else { throw .missing("reason", in: "decision") }
        self.reason = reason
        self.votes = votes
        self.veto = veto
        self.missing = missing
        self.exit = exit
    }
}

/// An order proposed by the portfolio (or another sizing agent), before risk checks.
public struct OrderRequest: BusEvent, JSONCodable, Hashable {
    public var orderId: String
    public var symbol: String
    public var time: Timestamp
    public var side: Side
    public var type: OrderType
    public var intent: OrderIntent
    /// Shares; nil when `notional` sizes the order at the fill.
    public var quantity: Double?
    /// Cash to spend, in whole shares at the fill price.
    public var notional: Double?
    public var limitPrice: Double?
    public var stopPrice: Double?
    /// Last price when the order was made.
    public var referencePrice: Double
    public var reason: String

    public init(
        orderId: String,
        symbol: String,
        time: Timestamp,
        side: Side,
        type: OrderType,
        intent: OrderIntent,
        quantity: Double? = nil,
        notional: Double? = nil,
        limitPrice: Double? = nil,
        stopPrice: Double? = nil,
        referencePrice: Double,
        reason: String
    ) {
        self.orderId = orderId
        self.symbol = symbol
        self.time = time
        self.side = side
        self.type = type
        self.intent = intent
        self.quantity = quantity
        self.notional = notional
        self.limitPrice = limitPrice
        self.stopPrice = stopPrice
        self.referencePrice = referencePrice
        self.reason = reason
    }

    public static var eventType: EventType { .orderRequest }
    public var topic: String { "order.request.\(symbol)" }
    public var eventTime: Timestamp { time }
    public var payload: Payload { .orderRequest(self) }
    public init?(payload: Payload) {
        guard case .orderRequest(let v) = payload else { return nil }
        self = v
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("orderId", orderId)
        w.field("symbol", symbol)
        w.field("time", time)
        w.field("side", side)
        w.field("type", type)
        w.field("intent", intent)
        w.field("quantity", quantity)
        w.field("notional", notional)
        w.field("limitPrice", limitPrice)
        w.field("stopPrice", stopPrice)
        w.field("referencePrice", referencePrice)
        w.field("reason", reason)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var orderId: String?
        var symbol: String?
        var time: Timestamp?
        var side: Side?
        var type: OrderType?
        var intent: OrderIntent?
        var quantity: Double? = nil
        var notional: Double? = nil
        var limitPrice: Double? = nil
        var stopPrice: Double? = nil
        var referencePrice: Double?
        var reason: String?
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "orderId" {
                orderId = try r.readString()
            } else if k == "symbol" {
                symbol = try r.readString()
            } else if k == "time" {
                time = try r.readTimestamp()
            } else if k == "side" {
                side = try r.readEnum(Side.self, "side")
            } else if k == "type" {
                type = try r.readEnum(OrderType.self, "type")
            } else if k == "intent" {
                intent = try r.readEnum(OrderIntent.self, "intent")
            } else if k == "quantity" {
                quantity = r.readNullIfPresent() ? nil : try r.readDouble()
            } else if k == "notional" {
                notional = r.readNullIfPresent() ? nil : try r.readDouble()
            } else if k == "limitPrice" {
                limitPrice = r.readNullIfPresent() ? nil : try r.readDouble()
            } else if k == "stopPrice" {
                stopPrice = r.readNullIfPresent() ? nil : try r.readDouble()
            } else if k == "referencePrice" {
                referencePrice = try r.readDouble()
            } else if k == "reason" {
                reason = try r.readString()
            } else {
                try r.skipValue()
            }
        }
        guard let orderId else { throw .missing("orderId", in: "order_request") }
        self.orderId = orderId
        guard let symbol else { throw .missing("symbol", in: "order_request") }
        self.symbol = symbol
        guard let time else { throw .missing("time", in: "order_request") }
        self.time = time
        guard let side else { throw .missing("side", in: "order_request") }
        self.side = side
        guard let type else { throw .missing("type", in: "order_request") }
        self.type = type
        guard let intent else { throw .missing("intent", in: "order_request") }
        self.intent = intent
        self.quantity = quantity
        self.notional = notional
        self.limitPrice = limitPrice
        self.stopPrice = stopPrice
        guard let referencePrice else { throw .missing("referencePrice", in: "order_request") }
        self.referencePrice = referencePrice
        guard let reason else { throw .missing("reason", in: "order_request") }
        self.reason = reason
    }
}

/// An order that passed the risk checks, possibly adjusted.
public struct OrderApproved: BusEvent, JSONCodable, Hashable {
    /// The order as approved (after any adjustment).
    public var order: OrderRequest
    /// What risk changed, if anything.
    public var adjustments: [String]

    public init(
        order: OrderRequest,
        adjustments: [String] = []
    ) {
        self.order = order
        self.adjustments = adjustments
    }

    public static var eventType: EventType { .orderApproved }
    public var topic: String { "order.approved.\(order.symbol)" }
    public var eventTime: Timestamp { order.time }
    public var payload: Payload { .orderApproved(self) }
    public init?(payload: Payload) {
        guard case .orderApproved(let v) = payload else { return nil }
        self = v
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("order", order)
        w.field("adjustments", adjustments)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var order: OrderRequest?
        var adjustments: [String] = []
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "order" {
                order = try OrderRequest(from: &r)
            } else if k == "adjustments" {
                adjustments = try r.readStringArray()
            } else {
                try r.skipValue()
            }
        }
        guard let order else { throw .missing("order", in: "order_approved") }
        self.order = order
        self.adjustments = adjustments
    }
}

/// A machine-readable reason with the numbers behind it.
public struct DenialReason: JSONCodable, Hashable, Codable {
    /// e.g. `max_position_pct`.
    public var code: String
    public var message: String
    /// The observed value.
    public var value: Double?
    /// The limit it broke.
    public var limit: Double?

    public init(
        code: String,
        message: String,
        value: Double? = nil,
        limit: Double? = nil
    ) {
        self.code = code
        self.message = message
        self.value = value
        self.limit = limit
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("code", code)
        w.field("message", message)
        w.field("value", value)
        w.field("limit", limit)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var code: String?
        var message: String?
        var value: Double? = nil
        var limit: Double? = nil
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "code" {
                code = try r.readString()
            } else if k == "message" {
                message = try r.readString()
            } else if k == "value" {
                value = r.readNullIfPresent() ? nil : try r.readDouble()
            } else if k == "limit" {
                limit = r.readNullIfPresent() ? nil : try r.readDouble()
            } else {
                try r.skipValue()
            }
        }
        guard let code else { throw .missing("code", in: "DenialReason") }
        self.code = code
        guard let message else { throw .missing("message", in: "DenialReason") }
        self.message = message
        self.value = value
        self.limit = limit
    }
}

/// An order refused before it reached the broker.
public struct OrderDenied: BusEvent, JSONCodable, Hashable {
    public var orderId: String
    public var symbol: String
    public var time: Timestamp
    /// The agent that denied it.
    public var by: String
    public var reasons: [DenialReason]

    public init(
        orderId: String,
        symbol: String,
        time: Timestamp,
        by: String,
        reasons: [DenialReason] = []
    ) {
        self.orderId = orderId
        self.symbol = symbol
        self.time = time
        self.by = by
        self.reasons = reasons
    }

    public static var eventType: EventType { .orderDenied }
    public var topic: String { "order.denied.\(symbol)" }
    public var eventTime: Timestamp { time }
    public var payload: Payload { .orderDenied(self) }
    public init?(payload: Payload) {
        guard case .orderDenied(let v) = payload else { return nil }
        self = v
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("orderId", orderId)
        w.field("symbol", symbol)
        w.field("time", time)
        w.field("by", by)
        w.field("reasons", reasons)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var orderId: String?
        var symbol: String?
        var time: Timestamp?
        var by: String?
        var reasons: [DenialReason] = []
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "orderId" {
                orderId = try r.readString()
            } else if k == "symbol" {
                symbol = try r.readString()
            } else if k == "time" {
                time = try r.readTimestamp()
            } else if k == "by" {
                by = try r.readString()
            } else if k == "reasons" {
                reasons = try r.readArray(of: DenialReason.self)
            } else {
                try r.skipValue()
            }
        }
        guard let orderId else { throw .missing("orderId", in: "order_denied") }
        self.orderId = orderId
        guard let symbol else { throw .missing("symbol", in: "order_denied") }
        self.symbol = symbol
        guard let time else { throw .missing("time", in: "order_denied") }
        self.time = time
        guard let by else { throw .missing("by", in: "order_denied") }
        self.by = by
        self.reasons = reasons
    }
}

/// An order working at the broker (e.g. waiting for the next bar's open).
public struct OrderAccepted: BusEvent, JSONCodable, Hashable {
    public var order: OrderRequest
    public var time: Timestamp

    public init(
        order: OrderRequest,
        time: Timestamp
    ) {
        self.order = order
        self.time = time
    }

    public static var eventType: EventType { .orderAccepted }
    public var topic: String { "order.accepted.\(order.symbol)" }
    public var eventTime: Timestamp { time }
    public var payload: Payload { .orderAccepted(self) }
    public init?(payload: Payload) {
        guard case .orderAccepted(let v) = payload else { return nil }
        self = v
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("order", order)
        w.field("time", time)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var order: OrderRequest?
        var time: Timestamp?
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "order" {
                order = try OrderRequest(from: &r)
            } else if k == "time" {
                time = try r.readTimestamp()
            } else {
                try r.skipValue()
            }
        }
        guard let order else { throw .missing("order", in: "order_accepted") }
        self.order = order
        guard let time else { throw .missing("time", in: "order_accepted") }
        self.time = time
    }
}

/// A fill from the broker.
public struct OrderFilled: BusEvent, JSONCodable, Hashable {
    public var orderId: String
    public var symbol: String
    public var time: Timestamp
    public var side: Side
    public var intent: OrderIntent
    public var quantity: Double
    /// Fill price, slippage included.
    public var price: Double
    /// Commission.
    public var fee: Double
    /// Cost of slippage in money.
    public var slippage: Double

    public init(
        orderId: String,
        symbol: String,
        time: Timestamp,
        side: Side,
        intent: OrderIntent,
        quantity: Double,
        price: Double,
        fee: Double,
        slippage: Double
    ) {
        self.orderId = orderId
        self.symbol = symbol
        self.time = time
        self.side = side
        self.intent = intent
        self.quantity = quantity
        self.price = price
        self.fee = fee
        self.slippage = slippage
    }

    public static var eventType: EventType { .orderFilled }
    public var topic: String { "order.filled.\(symbol)" }
    public var eventTime: Timestamp { time }
    public var payload: Payload { .orderFilled(self) }
    public init?(payload: Payload) {
        guard case .orderFilled(let v) = payload else { return nil }
        self = v
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("orderId", orderId)
        w.field("symbol", symbol)
        w.field("time", time)
        w.field("side", side)
        w.field("intent", intent)
        w.field("quantity", quantity)
        w.field("price", price)
        w.field("fee", fee)
        w.field("slippage", slippage)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var orderId: String?
        var symbol: String?
        var time: Timestamp?
        var side: Side?
        var intent: OrderIntent?
        var quantity: Double?
        var price: Double?
        var fee: Double?
        var slippage: Double?
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "orderId" {
                orderId = try r.readString()
            } else if k == "symbol" {
                symbol = try r.readString()
            } else if k == "time" {
                time = try r.readTimestamp()
            } else if k == "side" {
                side = try r.readEnum(Side.self, "side")
            } else if k == "intent" {
                intent = try r.readEnum(OrderIntent.self, "intent")
            } else if k == "quantity" {
                quantity = try r.readDouble()
            } else if k == "price" {
                price = try r.readDouble()
            } else if k == "fee" {
                fee = try r.readDouble()
            } else if k == "slippage" {
                slippage = try r.readDouble()
            } else {
                try r.skipValue()
            }
        }
        guard let orderId else { throw .missing("orderId", in: "order_filled") }
        self.orderId = orderId
        guard let symbol else { throw .missing("symbol", in: "order_filled") }
        self.symbol = symbol
        guard let time else { throw .missing("time", in: "order_filled") }
        self.time = time
        guard let side else { throw .missing("side", in: "order_filled") }
        self.side = side
        guard let intent else { throw .missing("intent", in: "order_filled") }
        self.intent = intent
        guard let quantity else { throw .missing("quantity", in: "order_filled") }
        self.quantity = quantity
        guard let price else { throw .missing("price", in: "order_filled") }
        self.price = price
        guard let fee else { throw .missing("fee", in: "order_filled") }
        self.fee = fee
        guard let slippage else { throw .missing("slippage", in: "order_filled") }
        self.slippage = slippage
    }
}

/// An order the broker refused.
public struct OrderRejected: BusEvent, JSONCodable, Hashable {
    public var orderId: String
    public var symbol: String
    public var time: Timestamp
    public var code: String
    public var message: String

    public init(
        orderId: String,
        symbol: String,
        time: Timestamp,
        code: String,
        message: String
    ) {
        self.orderId = orderId
        self.symbol = symbol
        self.time = time
        self.code = code
        self.message = message
    }

    public static var eventType: EventType { .orderRejected }
    public var topic: String { "order.rejected.\(symbol)" }
    public var eventTime: Timestamp { time }
    public var payload: Payload { .orderRejected(self) }
    public init?(payload: Payload) {
        guard case .orderRejected(let v) = payload else { return nil }
        self = v
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("orderId", orderId)
        w.field("symbol", symbol)
        w.field("time", time)
        w.field("code", code)
        w.field("message", message)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var orderId: String?
        var symbol: String?
        var time: Timestamp?
        var code: String?
        var message: String?
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "orderId" {
                orderId = try r.readString()
            } else if k == "symbol" {
                symbol = try r.readString()
            } else if k == "time" {
                time = try r.readTimestamp()
            } else if k == "code" {
                code = try r.readString()
            } else if k == "message" {
                message = try r.readString()
            } else {
                try r.skipValue()
            }
        }
        guard let orderId else { throw .missing("orderId", in: "order_rejected") }
        self.orderId = orderId
        guard let symbol else { throw .missing("symbol", in: "order_rejected") }
        self.symbol = symbol
        guard let time else { throw .missing("time", in: "order_rejected") }
        self.time = time
        guard let code else { throw .missing("code", in: "order_rejected") }
        self.code = code
        guard let message else { throw .missing("message", in: "order_rejected") }
        self.message = message
    }
}

/// A working order that was cancelled.
public struct OrderCancelled: BusEvent, JSONCodable, Hashable {
    public var orderId: String
    public var symbol: String
    public var time: Timestamp
    public var reason: String

    public init(
        orderId: String,
        symbol: String,
        time: Timestamp,
        reason: String
    ) {
        self.orderId = orderId
        self.symbol = symbol
        self.time = time
        self.reason = reason
    }

    public static var eventType: EventType { .orderCancelled }
    public var topic: String { "order.cancelled.\(symbol)" }
    public var eventTime: Timestamp { time }
    public var payload: Payload { .orderCancelled(self) }
    public init?(payload: Payload) {
        guard case .orderCancelled(let v) = payload else { return nil }
        self = v
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("orderId", orderId)
        w.field("symbol", symbol)
        w.field("time", time)
        w.field("reason", reason)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var orderId: String?
        var symbol: String?
        var time: Timestamp?
        var reason: String?
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "orderId" {
                orderId = try r.readString()
            } else if k == "symbol" {
                symbol = try r.readString()
            } else if k == "time" {
                time = try r.readTimestamp()
            } else if k == "reason" {
                reason = try r.readString()
            } else {
                try r.skipValue()
            }
        }
        guard let orderId else { throw .missing("orderId", in: "order_cancelled") }
        self.orderId = orderId
        guard let symbol else { throw .missing("symbol", in: "order_cancelled") }
        self.symbol = symbol
        guard let time else { throw .missing("time", in: "order_cancelled") }
        self.time = time
        guard let reason else { throw .missing("reason", in: "order_cancelled") }
        self.reason = reason
    }
}

/// The broker has processed one bar: what it filled and what still works.
public struct ExecutionReport: BusEvent, JSONCodable, Hashable {
    public var symbol: String
    public var time: Timestamp
    public var filled: Int
    public var working: Int

    public init(
        symbol: String,
        time: Timestamp,
        filled: Int,
        working: Int
    ) {
        self.symbol = symbol
        self.time = time
        self.filled = filled
        self.working = working
    }

    public static var eventType: EventType { .executionReport }
    public var topic: String { "execution.report.\(symbol)" }
    public var eventTime: Timestamp { time }
    public var payload: Payload { .executionReport(self) }
    public init?(payload: Payload) {
        guard case .executionReport(let v) = payload else { return nil }
        self = v
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("symbol", symbol)
        w.field("time", time)
        w.field("filled", filled)
        w.field("working", working)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var symbol: String?
        var time: Timestamp?
        var filled: Int?
        var working: Int?
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "symbol" {
                symbol = try r.readString()
            } else if k == "time" {
                time = try r.readTimestamp()
            } else if k == "filled" {
                filled = try r.readInt()
            } else if k == "working" {
                working = try r.readInt()
            } else {
                try r.skipValue()
            }
        }
        guard let symbol else { throw .missing("symbol", in: "execution_report") }
        self.symbol = symbol
        guard let time else { throw .missing("time", in: "execution_report") }
        self.time = time
        guard let filled else { throw .missing("filled", in: "execution_report") }
        self.filled = filled
        guard let working else { throw .missing("working", in: "execution_report") }
        self.working = working
    }
}

/// One open position.
public struct PositionState: JSONCodable, Hashable, Codable {
    public var symbol: String
    /// Negative for a short.
    public var quantity: Double
    public var averageCost: Double
    public var lastPrice: Double
    public var sector: String?

    public init(
        symbol: String,
        quantity: Double,
        averageCost: Double,
        lastPrice: Double,
        sector: String? = nil
    ) {
        self.symbol = symbol
        self.quantity = quantity
        self.averageCost = averageCost
        self.lastPrice = lastPrice
        self.sector = sector
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("symbol", symbol)
        w.field("quantity", quantity)
        w.field("averageCost", averageCost)
        w.field("lastPrice", lastPrice)
        w.field("sector", sector)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var symbol: String?
        var quantity: Double?
        var averageCost: Double?
        var lastPrice: Double?
        var sector: String? = nil
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "symbol" {
                symbol = try r.readString()
            } else if k == "quantity" {
                quantity = try r.readDouble()
            } else if k == "averageCost" {
                averageCost = try r.readDouble()
            } else if k == "lastPrice" {
                lastPrice = try r.readDouble()
            } else if k == "sector" {
                sector = r.readNullIfPresent() ? nil : try r.readString()
            } else {
                try r.skipValue()
            }
        }
        guard let symbol else { throw .missing("symbol", in: "PositionState") }
        self.symbol = symbol
        guard let quantity else { throw .missing("quantity", in: "PositionState") }
        self.quantity = quantity
        guard let averageCost else { throw .missing("averageCost", in: "PositionState") }
        self.averageCost = averageCost
        guard let lastPrice else { throw .missing("lastPrice", in: "PositionState") }
        self.lastPrice = lastPrice
        self.sector = sector
    }
}

/// The portfolio after a change.
public struct PortfolioSnapshot: BusEvent, JSONCodable, Hashable {
    public var time: Timestamp
    public var cash: Double
    public var equity: Double
    public var peakEquity: Double
    /// Fraction below the peak, in [0, 1].
    public var drawdown: Double
    public var realizedPnL: Double
    public var unrealizedPnL: Double
    /// Fees paid so far.
    public var fees: Double
    public var positions: [PositionState]
    /// Gross exposure by sector, as a fraction of equity.
    public var sectorExposure: [String: Double]

    public init(
        time: Timestamp,
        cash: Double,
        equity: Double,
        peakEquity: Double,
        drawdown: Double,
        realizedPnL: Double,
        unrealizedPnL: Double,
        fees: Double,
        positions: [PositionState] = [],
        sectorExposure: [String: Double]
    ) {
        self.time = time
        self.cash = cash
        self.equity = equity
        self.peakEquity = peakEquity
        self.drawdown = drawdown
        self.realizedPnL = realizedPnL
        self.unrealizedPnL = unrealizedPnL
        self.fees = fees
        self.positions = positions
        self.sectorExposure = sectorExposure
    }

    public static var eventType: EventType { .portfolioSnapshot }
    public var topic: String { "portfolio.snapshot" }
    public var eventTime: Timestamp { time }
    public var payload: Payload { .portfolioSnapshot(self) }
    public init?(payload: Payload) {
        guard case .portfolioSnapshot(let v) = payload else { return nil }
        self = v
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("time", time)
        w.field("cash", cash)
        w.field("equity", equity)
        w.field("peakEquity", peakEquity)
        w.field("drawdown", drawdown)
        w.field("realizedPnL", realizedPnL)
        w.field("unrealizedPnL", unrealizedPnL)
        w.field("fees", fees)
        w.field("positions", positions)
        w.field("sectorExposure", sectorExposure)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var time: Timestamp?
        var cash: Double?
        var equity: Double?
        var peakEquity: Double?
        var drawdown: Double?
        var realizedPnL: Double?
        var unrealizedPnL: Double?
        var fees: Double?
        var positions: [PositionState] = []
        var sectorExposure: [String: Double] = [:]
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "time" {
                time = try r.readTimestamp()
            } else if k == "cash" {
                cash = try r.readDouble()
            } else if k == "equity" {
                equity = try r.readDouble()
            } else if k == "peakEquity" {
                peakEquity = try r.readDouble()
            } else if k == "drawdown" {
                drawdown = try r.readDouble()
            } else if k == "realizedPnL" {
                realizedPnL = try r.readDouble()
            } else if k == "unrealizedPnL" {
                unrealizedPnL = try r.readDouble()
            } else if k == "fees" {
                fees = try r.readDouble()
            } else if k == "positions" {
                positions = try r.readArray(of: PositionState.self)
            } else if k == "sectorExposure" {
                sectorExposure = try r.readDoubleMap()
            } else {
                try r.skipValue()
            }
        }
        guard let time else { throw .missing("time", in: "portfolio_snapshot") }
        self.time = time
        guard let cash else { throw .missing("cash", in: "portfolio_snapshot") }
        self.cash = cash
        guard let equity else { throw .missing("equity", in: "portfolio_snapshot") }
        self.equity = equity
        guard let peakEquity else { throw .missing("peakEquity", in: "portfolio_snapshot") }
        self.peakEquity = peakEquity
        guard let drawdown else { throw .missing("drawdown", in: "portfolio_snapshot") }
        self.drawdown = drawdown
        guard let realizedPnL else { throw .missing("realizedPnL", in: "portfolio_snapshot") }
        self.realizedPnL = realizedPnL
        guard let unrealizedPnL else { throw .missing("unrealizedPnL", in: "portfolio_snapshot") }
        self.unrealizedPnL = unrealizedPnL
        guard let fees else { throw .missing("fees", in: "portfolio_snapshot") }
        self.fees = fees
        self.positions = positions
        self.sectorExposure = sectorExposure
    }
}

/// A round trip that ended with the position flat.
public struct ClosedTrade: BusEvent, JSONCodable, Hashable {
    public var tradeId: String
    public var symbol: String
    public var side: PositionSide
    public var quantity: Double
    public var entryTime: Timestamp
    public var entryPrice: Double
    public var exitTime: Timestamp
    public var exitPrice: Double
    /// Net of fees.
    public var pnl: Double
    public var fees: Double
    /// exitTime − entryTime.
    public var holdingSeconds: Double
    public var exitReason: String
    /// The protective stop the trade was held under (the risk limits' stop-loss), when
    /// there was one: the journal measures R-multiples against it.
    public var stopPrice: Double?

    public init(
        tradeId: String,
        symbol: String,
        side: PositionSide,
        quantity: Double,
        entryTime: Timestamp,
        entryPrice: Double,
        exitTime: Timestamp,
        exitPrice: Double,
        pnl: Double,
        fees: Double,
        exitReason: String,
        stopPrice: Double? = nil
    ) {
        self.tradeId = tradeId
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.entryTime = entryTime
        self.entryPrice = entryPrice
        self.exitTime = exitTime
        self.exitPrice = exitPrice
        self.pnl = pnl
        self.fees = fees
        self.holdingSeconds = Double(exitTime.nanoseconds - entryTime.nanoseconds) / 1e9
        self.exitReason = exitReason
        self.stopPrice = stopPrice
    }

    public static var eventType: EventType { .tradeClosed }
    public var topic: String { "trade.closed.\(symbol)" }
    public var eventTime: Timestamp { exitTime }
    public var payload: Payload { .tradeClosed(self) }
    public init?(payload: Payload) {
        guard case .tradeClosed(let v) = payload else { return nil }
        self = v
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("tradeId", tradeId)
        w.field("symbol", symbol)
        w.field("side", side)
        w.field("quantity", quantity)
        w.field("entryTime", entryTime)
        w.field("entryPrice", entryPrice)
        w.field("exitTime", exitTime)
        w.field("exitPrice", exitPrice)
        w.field("pnl", pnl)
        w.field("fees", fees)
        w.field("holdingSeconds", holdingSeconds)
        w.field("exitReason", exitReason)
        if let stopPrice { w.field("stopPrice", stopPrice) }
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var tradeId: String?
        var symbol: String?
        var side: PositionSide?
        var quantity: Double?
        var entryTime: Timestamp?
        var entryPrice: Double?
        var exitTime: Timestamp?
        var exitPrice: Double?
        var pnl: Double?
        var fees: Double?
        var holdingSeconds: Double?
        var exitReason: String?
        var stopPrice: Double?
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "tradeId" {
                tradeId = try r.readString()
            } else if k == "symbol" {
                symbol = try r.readString()
            } else if k == "side" {
                side = try r.readEnum(PositionSide.self, "side")
            } else if k == "quantity" {
                quantity = try r.readDouble()
            } else if k == "entryTime" {
                entryTime = try r.readTimestamp()
            } else if k == "entryPrice" {
                entryPrice = try r.readDouble()
            } else if k == "exitTime" {
                exitTime = try r.readTimestamp()
            } else if k == "exitPrice" {
                exitPrice = try r.readDouble()
            } else if k == "pnl" {
                pnl = try r.readDouble()
            } else if k == "fees" {
                fees = try r.readDouble()
            } else if k == "holdingSeconds" {
                holdingSeconds = try r.readDouble()
            } else if k == "exitReason" {
                exitReason = try r.readString()
            } else if k == "stopPrice" {
                stopPrice = r.readNullIfPresent() ? nil : try r.readDouble()
            } else {
                try r.skipValue()
            }
        }
        guard let tradeId else { throw .missing("tradeId", in: "trade_closed") }
        self.tradeId = tradeId
        guard let symbol else { throw .missing("symbol", in: "trade_closed") }
        self.symbol = symbol
        guard let side else { throw .missing("side", in: "trade_closed") }
        self.side = side
        guard let quantity else { throw .missing("quantity", in: "trade_closed") }
        self.quantity = quantity
        guard let entryTime else { throw .missing("entryTime", in: "trade_closed") }
        self.entryTime = entryTime
        guard let entryPrice else { throw .missing("entryPrice", in: "trade_closed") }
        self.entryPrice = entryPrice
        guard let exitTime else { throw .missing("exitTime", in: "trade_closed") }
        self.exitTime = exitTime
        guard let exitPrice else { throw .missing("exitPrice", in: "trade_closed") }
        self.exitPrice = exitPrice
        guard let pnl else { throw .missing("pnl", in: "trade_closed") }
        self.pnl = pnl
        guard let fees else { throw .missing("fees", in: "trade_closed") }
        self.fees = fees
        guard let holdingSeconds else { throw .missing("holdingSeconds", in: "trade_closed") }
        self.holdingSeconds = holdingSeconds
        guard let exitReason else { throw .missing("exitReason", in: "trade_closed") }
        self.exitReason = exitReason
        self.stopPrice = stopPrice
    }
}

/// A coaching report on closed trades.
public struct JournalReport: BusEvent, JSONCodable, Hashable {
    public var time: Timestamp
    /// Trades analysed.
    public var trades: Int
    public var summary: String
    /// The full report (see docs/journal.md).
    public var report: JSONValue

    public init(
        time: Timestamp,
        trades: Int,
        summary: String,
        report: JSONValue
    ) {
        self.time = time
        self.trades = trades
        self.summary = summary
        self.report = report
    }

    public static var eventType: EventType { .journalReport }
    public var topic: String { "journal.report" }
    public var eventTime: Timestamp { time }
    public var payload: Payload { .journalReport(self) }
    public init?(payload: Payload) {
        guard case .journalReport(let v) = payload else { return nil }
        self = v
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("time", time)
        w.field("trades", trades)
        w.field("summary", summary)
        w.field("report", report)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var time: Timestamp?
        var trades: Int?
        var summary: String?
        var report: JSONValue?
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "time" {
                time = try r.readTimestamp()
            } else if k == "trades" {
                trades = try r.readInt()
            } else if k == "summary" {
                summary = try r.readString()
            } else if k == "report" {
                report = try JSONValue(from: &r)
            } else {
                try r.skipValue()
            }
        }
        guard let time else { throw .missing("time", in: "journal_report") }
        self.time = time
        guard let trades else { throw .missing("trades", in: "journal_report") }
        self.trades = trades
        guard let summary else { throw .missing("summary", in: "journal_report") }
        self.summary = summary
        guard let report else { throw .missing("report", in: "journal_report") }
        self.report = report
    }
}

/// Asks the journal agent for a report now.
public struct JournalRequest: BusEvent, JSONCodable, Hashable {
    public var time: Timestamp
    public var requestedBy: String

    public init(
        time: Timestamp,
        requestedBy: String
    ) {
        self.time = time
        self.requestedBy = requestedBy
    }

    public static var eventType: EventType { .journalRequest }
    public var topic: String { "journal.request" }
    public var eventTime: Timestamp { time }
    public var payload: Payload { .journalRequest(self) }
    public init?(payload: Payload) {
        guard case .journalRequest(let v) = payload else { return nil }
        self = v
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("time", time)
        w.field("requestedBy", requestedBy)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var time: Timestamp?
        var requestedBy: String?
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "time" {
                time = try r.readTimestamp()
            } else if k == "requestedBy" {
                requestedBy = try r.readString()
            } else {
                try r.skipValue()
            }
        }
        guard let time else { throw .missing("time", in: "journal_request") }
        self.time = time
        guard let requestedBy else { throw .missing("requestedBy", in: "journal_request") }
        self.requestedBy = requestedBy
    }
}

/// A node is alive; with its counters.
public struct Heartbeat: BusEvent, JSONCodable, Hashable {
    public var node: String
    public var time: Timestamp
    public var agents: [String]
    public var uptimeSeconds: Double
    public var eventsIn: UInt64
    public var eventsOut: UInt64
    public var queueDepth: Int
    public var drops: UInt64
    public var gaps: UInt64
    public var malformed: UInt64
    /// `starting`, `up` or `stopping`.
    public var status: String

    public init(
        node: String,
        time: Timestamp,
        agents: [String] = [],
        uptimeSeconds: Double,
        eventsIn: UInt64,
        eventsOut: UInt64,
        queueDepth: Int,
        drops: UInt64,
        gaps: UInt64,
        malformed: UInt64,
        status: String
    ) {
        self.node = node
        self.time = time
        self.agents = agents
        self.uptimeSeconds = uptimeSeconds
        self.eventsIn = eventsIn
        self.eventsOut = eventsOut
        self.queueDepth = queueDepth
        self.drops = drops
        self.gaps = gaps
        self.malformed = malformed
        self.status = status
    }

    public static var eventType: EventType { .heartbeat }
    public var topic: String { "system.heartbeat.\(node)" }
    public var eventTime: Timestamp { time }
    public var payload: Payload { .heartbeat(self) }
    public init?(payload: Payload) {
        guard case .heartbeat(let v) = payload else { return nil }
        self = v
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("node", node)
        w.field("time", time)
        w.field("agents", agents)
        w.field("uptimeSeconds", uptimeSeconds)
        w.field("eventsIn", eventsIn)
        w.field("eventsOut", eventsOut)
        w.field("queueDepth", queueDepth)
        w.field("drops", drops)
        w.field("gaps", gaps)
        w.field("malformed", malformed)
        w.field("status", status)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var node: String?
        var time: Timestamp?
        var agents: [String] = []
        var uptimeSeconds: Double?
        var eventsIn: UInt64?
        var eventsOut: UInt64?
        var queueDepth: Int?
        var drops: UInt64?
        var gaps: UInt64?
        var malformed: UInt64?
        var status: String?
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "node" {
                node = try r.readString()
            } else if k == "time" {
                time = try r.readTimestamp()
            } else if k == "agents" {
                agents = try r.readStringArray()
            } else if k == "uptimeSeconds" {
                uptimeSeconds = try r.readDouble()
            } else if k == "eventsIn" {
                eventsIn = try r.readUInt64()
            } else if k == "eventsOut" {
                eventsOut = try r.readUInt64()
            } else if k == "queueDepth" {
                queueDepth = try r.readInt()
            } else if k == "drops" {
                drops = try r.readUInt64()
            } else if k == "gaps" {
                gaps = try r.readUInt64()
            } else if k == "malformed" {
                malformed = try r.readUInt64()
            } else if k == "status" {
                status = try r.readString()
            } else {
                try r.skipValue()
            }
        }
        guard let node else { throw .missing("node", in: "heartbeat") }
        self.node = node
        guard let time else { throw .missing("time", in: "heartbeat") }
        self.time = time
        self.agents = agents
        guard let uptimeSeconds else { throw .missing("uptimeSeconds", in: "heartbeat") }
        self.uptimeSeconds = uptimeSeconds
        guard let eventsIn else { throw .missing("eventsIn", in: "heartbeat") }
        self.eventsIn = eventsIn
        guard let eventsOut else { throw .missing("eventsOut", in: "heartbeat") }
        self.eventsOut = eventsOut
        guard let queueDepth else { throw .missing("queueDepth", in: "heartbeat") }
        self.queueDepth = queueDepth
        guard let drops else { throw .missing("drops", in: "heartbeat") }
        self.drops = drops
        guard let gaps else { throw .missing("gaps", in: "heartbeat") }
        self.gaps = gaps
        guard let malformed else { throw .missing("malformed", in: "heartbeat") }
        self.malformed = malformed
        guard let status else { throw .missing("status", in: "heartbeat") }
        self.status = status
    }
}

/// Trading is halted for new entries (exits still run).
public struct Halt: BusEvent, JSONCodable, Hashable {
    public var time: Timestamp
    /// e.g. `max_drawdown`.
    public var code: String
    public var reason: String
    public var by: String
    public var value: Double?
    public var limit: Double?

    public init(
        time: Timestamp,
        code: String,
        reason: String,
        by: String,
        value: Double? = nil,
        limit: Double? = nil
    ) {
        self.time = time
        self.code = code
        self.reason = reason
        self.by = by
        self.value = value
        self.limit = limit
    }

    public static var eventType: EventType { .halt }
    public var topic: String { "system.halt" }
    public var eventTime: Timestamp { time }
    public var payload: Payload { .halt(self) }
    public init?(payload: Payload) {
        guard case .halt(let v) = payload else { return nil }
        self = v
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("time", time)
        w.field("code", code)
        w.field("reason", reason)
        w.field("by", by)
        w.field("value", value)
        w.field("limit", limit)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var time: Timestamp?
        var code: String?
        var reason: String?
        var by: String?
        var value: Double? = nil
        var limit: Double? = nil
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "time" {
                time = try r.readTimestamp()
            } else if k == "code" {
                code = try r.readString()
            } else if k == "reason" {
                reason = try r.readString()
            } else if k == "by" {
                by = try r.readString()
            } else if k == "value" {
                value = r.readNullIfPresent() ? nil : try r.readDouble()
            } else if k == "limit" {
                limit = r.readNullIfPresent() ? nil : try r.readDouble()
            } else {
                try r.skipValue()
            }
        }
        guard let time else { throw .missing("time", in: "halt") }
        self.time = time
        guard let code else { throw .missing("code", in: "halt") }
        self.code = code
        guard let reason else { throw .missing("reason", in: "halt") }
        self.reason = reason
        guard let by else { throw .missing("by", in: "halt") }
        self.by = by
        self.value = value
        self.limit = limit
    }
}

/// The run is over: the data has ended and every order has reached its end. Nodes flush their reports and stop.
public struct RunFinished: BusEvent, JSONCodable, Hashable {
    /// Time of the last bar.
    public var time: Timestamp
    /// Trades closed in the run.
    public var trades: Int
    /// Final equity.
    public var equity: Double
    public var by: String

    public init(
        time: Timestamp,
        trades: Int,
        equity: Double,
        by: String
    ) {
        self.time = time
        self.trades = trades
        self.equity = equity
        self.by = by
    }

    public static var eventType: EventType { .runFinished }
    public var topic: String { "system.finished" }
    public var eventTime: Timestamp { time }
    public var payload: Payload { .runFinished(self) }
    public init?(payload: Payload) {
        guard case .runFinished(let v) = payload else { return nil }
        self = v
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("time", time)
        w.field("trades", trades)
        w.field("equity", equity)
        w.field("by", by)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var time: Timestamp?
        var trades: Int?
        var equity: Double?
        var by: String?
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "time" {
                time = try r.readTimestamp()
            } else if k == "trades" {
                trades = try r.readInt()
            } else if k == "equity" {
                equity = try r.readDouble()
            } else if k == "by" {
                by = try r.readString()
            } else {
                try r.skipValue()
            }
        }
        guard let time else { throw .missing("time", in: "run_finished") }
        self.time = time
        guard let trades else { throw .missing("trades", in: "run_finished") }
        self.trades = trades
        guard let equity else { throw .missing("equity", in: "run_finished") }
        self.equity = equity
        guard let by else { throw .missing("by", in: "run_finished") }
        self.by = by
    }
}

/// Trading resumes after a halt.
public struct Resume: BusEvent, JSONCodable, Hashable {
    public var time: Timestamp
    public var reason: String
    public var by: String

    public init(
        time: Timestamp,
        reason: String,
        by: String
    ) {
        self.time = time
        self.reason = reason
        self.by = by
    }

    public static var eventType: EventType { .resume }
    public var topic: String { "system.resume" }
    public var eventTime: Timestamp { time }
    public var payload: Payload { .resume(self) }
    public init?(payload: Payload) {
        guard case .resume(let v) = payload else { return nil }
        self = v
    }

    public func encode(to w: inout JSONWriter) {
        w.beginObject()
        w.field("time", time)
        w.field("reason", reason)
        w.field("by", by)
        w.endObject()
    }

    public init(from r: inout JSONReader) throws(WireError) {
        var time: Timestamp?
        var reason: String?
        var by: String?
        var o = try r.beginObject()
        while let k = try r.nextKey(&o) {
            if k == "time" {
                time = try r.readTimestamp()
            } else if k == "reason" {
                reason = try r.readString()
            } else if k == "by" {
                by = try r.readString()
            } else {
                try r.skipValue()
            }
        }
        guard let time else { throw .missing("time", in: "resume") }
        self.time = time
        guard let reason else { throw .missing("reason", in: "resume") }
        self.reason = reason
        guard let by else { throw .missing("by", in: "resume") }
        self.by = by
    }
}

/// Any event of the catalogue, or a raw event of a type this process does not know.
public enum Payload: Sendable, Hashable {
    case bar(Bar)
    indirect case news(NewsItem)
    indirect case marketEnd(MarketEnd)
    case vote(Vote)
    case decision(Decision)
    indirect case orderRequest(OrderRequest)
    indirect case orderApproved(OrderApproved)
    indirect case orderDenied(OrderDenied)
    indirect case orderAccepted(OrderAccepted)
    case orderFilled(OrderFilled)
    indirect case orderRejected(OrderRejected)
    indirect case orderCancelled(OrderCancelled)
    case executionReport(ExecutionReport)
    indirect case portfolioSnapshot(PortfolioSnapshot)
    indirect case tradeClosed(ClosedTrade)
    indirect case journalReport(JournalReport)
    case journalRequest(JournalRequest)
    indirect case heartbeat(Heartbeat)
    indirect case halt(Halt)
    case runFinished(RunFinished)
    indirect case resume(Resume)
    case raw(RawEvent)

    /// The catalogue type, or nil for a raw event.
    @inlinable public var eventType: EventType? {
        switch self {
        case .bar: .bar
        case .news: .news
        case .marketEnd: .marketEnd
        case .vote: .vote
        case .decision: .decision
        case .orderRequest: .orderRequest
        case .orderApproved: .orderApproved
        case .orderDenied: .orderDenied
        case .orderAccepted: .orderAccepted
        case .orderFilled: .orderFilled
        case .orderRejected: .orderRejected
        case .orderCancelled: .orderCancelled
        case .executionReport: .executionReport
        case .portfolioSnapshot: .portfolioSnapshot
        case .tradeClosed: .tradeClosed
        case .journalReport: .journalReport
        case .journalRequest: .journalRequest
        case .heartbeat: .heartbeat
        case .halt: .halt
        case .runFinished: .runFinished
        case .resume: .resume
        case .raw: nil
        }
    }

    /// The market time the event refers to (nil for raw events).
    public var eventTime: Timestamp? {
        switch self {
        case .bar(let e): e.eventTime
        case .news(let e): e.eventTime
        case .marketEnd(let e): e.eventTime
        case .vote(let e): e.eventTime
        case .decision(let e): e.eventTime
        case .orderRequest(let e): e.eventTime
        case .orderApproved(let e): e.eventTime
        case .orderDenied(let e): e.eventTime
        case .orderAccepted(let e): e.eventTime
        case .orderFilled(let e): e.eventTime
        case .orderRejected(let e): e.eventTime
        case .orderCancelled(let e): e.eventTime
        case .executionReport(let e): e.eventTime
        case .portfolioSnapshot(let e): e.eventTime
        case .tradeClosed(let e): e.eventTime
        case .journalReport(let e): e.eventTime
        case .journalRequest(let e): e.eventTime
        case .heartbeat(let e): e.eventTime
        case .halt(let e): e.eventTime
        case .runFinished(let e): e.eventTime
        case .resume(let e): e.eventTime
        case .raw: nil
        }
    }

    /// The default topic of the event (nil for raw events).
    public var defaultTopic: String? {
        switch self {
        case .bar(let e): e.topic
        case .news(let e): e.topic
        case .marketEnd(let e): e.topic
        case .vote(let e): e.topic
        case .decision(let e): e.topic
        case .orderRequest(let e): e.topic
        case .orderApproved(let e): e.topic
        case .orderDenied(let e): e.topic
        case .orderAccepted(let e): e.topic
        case .orderFilled(let e): e.topic
        case .orderRejected(let e): e.topic
        case .orderCancelled(let e): e.topic
        case .executionReport(let e): e.topic
        case .portfolioSnapshot(let e): e.topic
        case .tradeClosed(let e): e.topic
        case .journalReport(let e): e.topic
        case .journalRequest(let e): e.topic
        case .heartbeat(let e): e.topic
        case .halt(let e): e.topic
        case .runFinished(let e): e.topic
        case .resume(let e): e.topic
        case .raw: nil
        }
    }

    /// Writes the `data` member.
    public func encode(to w: inout JSONWriter) {
        switch self {
        case .bar(let e): e.encode(to: &w)
        case .news(let e): e.encode(to: &w)
        case .marketEnd(let e): e.encode(to: &w)
        case .vote(let e): e.encode(to: &w)
        case .decision(let e): e.encode(to: &w)
        case .orderRequest(let e): e.encode(to: &w)
        case .orderApproved(let e): e.encode(to: &w)
        case .orderDenied(let e): e.encode(to: &w)
        case .orderAccepted(let e): e.encode(to: &w)
        case .orderFilled(let e): e.encode(to: &w)
        case .orderRejected(let e): e.encode(to: &w)
        case .orderCancelled(let e): e.encode(to: &w)
        case .executionReport(let e): e.encode(to: &w)
        case .portfolioSnapshot(let e): e.encode(to: &w)
        case .tradeClosed(let e): e.encode(to: &w)
        case .journalReport(let e): e.encode(to: &w)
        case .journalRequest(let e): e.encode(to: &w)
        case .heartbeat(let e): e.encode(to: &w)
        case .halt(let e): e.encode(to: &w)
        case .runFinished(let e): e.encode(to: &w)
        case .resume(let e): e.encode(to: &w)
        case .raw(let r): w.raw(r.json)
        }
    }

    /// Reads the `data` member of an event of the given catalogue type.
    public static func decode(_ type: EventType, from r: inout JSONReader) throws(WireError) -> Payload {
        switch type {
        case .bar: .bar(try Bar(from: &r))
        case .news: .news(try NewsItem(from: &r))
        case .marketEnd: .marketEnd(try MarketEnd(from: &r))
        case .vote: .vote(try Vote(from: &r))
        case .decision: .decision(try Decision(from: &r))
        case .orderRequest: .orderRequest(try OrderRequest(from: &r))
        case .orderApproved: .orderApproved(try OrderApproved(from: &r))
        case .orderDenied: .orderDenied(try OrderDenied(from: &r))
        case .orderAccepted: .orderAccepted(try OrderAccepted(from: &r))
        case .orderFilled: .orderFilled(try OrderFilled(from: &r))
        case .orderRejected: .orderRejected(try OrderRejected(from: &r))
        case .orderCancelled: .orderCancelled(try OrderCancelled(from: &r))
        case .executionReport: .executionReport(try ExecutionReport(from: &r))
        case .portfolioSnapshot: .portfolioSnapshot(try PortfolioSnapshot(from: &r))
        case .tradeClosed: .tradeClosed(try ClosedTrade(from: &r))
        case .journalReport: .journalReport(try JournalReport(from: &r))
        case .journalRequest: .journalRequest(try JournalRequest(from: &r))
        case .heartbeat: .heartbeat(try Heartbeat(from: &r))
        case .halt: .halt(try Halt(from: &r))
        case .runFinished: .runFinished(try RunFinished(from: &r))
        case .resume: .resume(try Resume(from: &r))
        }
    }

    /// Decodes the payload with Foundation-style `Codable` (used by benchmarks and tests).
    public static func decode(_ type: EventType, codable decoder: any Decoder) throws -> Payload {
        switch type {
        case .bar: .bar(try Bar(from: decoder))
        case .news: .news(try NewsItem(from: decoder))
        case .marketEnd: .marketEnd(try MarketEnd(from: decoder))
        case .vote: .vote(try Vote(from: decoder))
        case .decision: .decision(try Decision(from: decoder))
        case .orderRequest: .orderRequest(try OrderRequest(from: decoder))
        case .orderApproved: .orderApproved(try OrderApproved(from: decoder))
        case .orderDenied: .orderDenied(try OrderDenied(from: decoder))
        case .orderAccepted: .orderAccepted(try OrderAccepted(from: decoder))
        case .orderFilled: .orderFilled(try OrderFilled(from: decoder))
        case .orderRejected: .orderRejected(try OrderRejected(from: decoder))
        case .orderCancelled: .orderCancelled(try OrderCancelled(from: decoder))
        case .executionReport: .executionReport(try ExecutionReport(from: decoder))
        case .portfolioSnapshot: .portfolioSnapshot(try PortfolioSnapshot(from: decoder))
        case .tradeClosed: .tradeClosed(try ClosedTrade(from: decoder))
        case .journalReport: .journalReport(try JournalReport(from: decoder))
        case .journalRequest: .journalRequest(try JournalRequest(from: decoder))
        case .heartbeat: .heartbeat(try Heartbeat(from: decoder))
        case .halt: .halt(try Halt(from: decoder))
        case .runFinished: .runFinished(try RunFinished(from: decoder))
        case .resume: .resume(try Resume(from: decoder))
        }
    }

    /// Encodes the payload with Foundation-style `Codable`.
    public func encode(codable encoder: any Encoder) throws {
        switch self {
        case .bar(let e): try e.encode(to: encoder)
        case .news(let e): try e.encode(to: encoder)
        case .marketEnd(let e): try e.encode(to: encoder)
        case .vote(let e): try e.encode(to: encoder)
        case .decision(let e): try e.encode(to: encoder)
        case .orderRequest(let e): try e.encode(to: encoder)
        case .orderApproved(let e): try e.encode(to: encoder)
        case .orderDenied(let e): try e.encode(to: encoder)
        case .orderAccepted(let e): try e.encode(to: encoder)
        case .orderFilled(let e): try e.encode(to: encoder)
        case .orderRejected(let e): try e.encode(to: encoder)
        case .orderCancelled(let e): try e.encode(to: encoder)
        case .executionReport(let e): try e.encode(to: encoder)
        case .portfolioSnapshot(let e): try e.encode(to: encoder)
        case .tradeClosed(let e): try e.encode(to: encoder)
        case .journalReport(let e): try e.encode(to: encoder)
        case .journalRequest(let e): try e.encode(to: encoder)
        case .heartbeat(let e): try e.encode(to: encoder)
        case .halt(let e): try e.encode(to: encoder)
        case .runFinished(let e): try e.encode(to: encoder)
        case .resume(let e): try e.encode(to: encoder)
        case .raw(let r):
            var c = encoder.singleValueContainer()
            try c.encode(try JSONValue(parsing: r.json))
        }
    }
}
