import Bus

/// How the age of news is measured for the decay. The clock is always event time.
public enum DecayClock: String, Sendable, Codable, CaseIterable {
    /// Wall time between the events.
    case calendar
    /// Weekday time only: Saturdays and Sundays (UTC) do not age news, so Friday's news
    /// still counts on Monday morning.
    case trading

    /// Seconds of this clock from `a` to `b` (0 when `b` is not after `a`).
    public func elapsed(from a: Timestamp, to b: Timestamp) -> Double {
        guard b > a else { return 0 }
        switch self {
        case .calendar: return Double(b.nanoseconds - a.nanoseconds) / 1e9
        case .trading: return DecayClock.weekdaySeconds(upTo: b) - DecayClock.weekdaySeconds(upTo: a)
        }
    }

    /// Weekday seconds from Monday 1970-01-05 00:00 UTC to `t` (negative before it).
    static func weekdaySeconds(upTo t: Timestamp) -> Double {
        let ns = t.nanoseconds
        let dayNS: Int64 = 86_400_000_000_000
        var day = ns / dayNS
        var inDay = ns % dayNS
        if inDay < 0 { day -= 1; inDay += dayNS }
        let d = day - 4 // 1970-01-05 was a Monday (day 4)
        var week = d / 7
        var r = d % 7
        if r < 0 { week -= 1; r += 7 }
        let whole = Double(week * 5 + min(r, 5)) * 86_400
        return whole + (r < 5 ? Double(inDay) / 1e9 : 0)
    }
}

/// Where an item's score came from.
public enum ScoreSource: String, Sendable, Codable {
    case lexicon
    case llm
}

/// One news item as the sentiment state holds it.
public struct ScoredNews: Sendable, Equatable {
    public var id: String
    public var time: Timestamp
    public var headline: String
    /// In [-1, 1].
    public var score: Double
    public var source: ScoreSource

    public init(id: String, time: Timestamp, headline: String, score: Double, source: ScoreSource = .lexicon) {
        self.id = id
        self.time = time
        self.headline = headline
        self.score = score
        self.source = source
    }
}

/// Parameters of the decayed mean and of the vote drawn from it.
public struct DecayParameters: Sendable, Equatable {
    /// Half-life of an item's weight, in days of the decay clock.
    public var halfLifeDays: Double
    public var clock: DecayClock
    /// Items older than this many half-lives are dropped (their weight is below 2^-n).
    public var maxAgeHalfLives: Double
    /// The total weight at which confidence is 0.5: `confidence = 1 - 2^(-W / this)`.
    public var halfConfidenceWeight: Double

    public init(halfLifeDays: Double = 1, clock: DecayClock = .trading, maxAgeHalfLives: Double = 5, halfConfidenceWeight: Double = 1) {
        self.halfLifeDays = halfLifeDays
        self.clock = clock
        self.maxAgeHalfLives = maxAgeHalfLives
        self.halfConfidenceWeight = halfConfidenceWeight
    }

    public var halfLifeSeconds: Double { halfLifeDays * 86_400 }

    /// The weight of news published at `itemTime`, seen at `now`: 2^(-age / half-life),
    /// and 1 for news not older than `now`.
    public func weight(of itemTime: Timestamp, at now: Timestamp) -> Double {
        let age = clock.elapsed(from: itemTime, to: now)
        return pow2(-age / halfLifeSeconds)
    }

    /// Below this weight an item is dropped.
    public var minWeight: Double { pow2(-maxAgeHalfLives) }
}

/// The news of one symbol: an exponentially time-decayed mean of item scores.
///
/// At time `t` each item `i` weighs `wᵢ = 2^(-ageᵢ(t) / half-life)`. The sentiment is
/// `S = Σ wᵢ sᵢ / Σ wᵢ`: recent news dominates, and with no fresh news the mean keeps
/// the tone of the last news while the total weight `W = Σ wᵢ` fades. Confidence grows
/// with `W`: `1 - 2^(-W / halfConfidenceWeight)` (one fresh item: 0.5, two: 0.75, one item
/// a half-life old: 0.29).
public struct NewsSentimentState: Sendable, Equatable {
    public private(set) var items: [ScoredNews] = []
    public let maxItems: Int

    public init(maxItems: Int = 256) { self.maxItems = max(1, maxItems) }

    public var isEmpty: Bool { items.isEmpty }

    public func contains(id: String) -> Bool { items.contains { $0.id == id } }

    /// Adds an item (the oldest item goes when the state is full).
    public mutating func add(_ item: ScoredNews) {
        items.append(item)
        if items.count > maxItems {
            let oldest = items.indices.min { items[$0].time < items[$1].time }!
            items.remove(at: oldest)
        }
    }

    /// Replaces the score of an item (e.g. when a language model's score arrives).
    public mutating func rescore(id: String, score: Double, source: ScoreSource) {
        for i in items.indices where items[i].id == id {
            items[i].score = score
            items[i].source = source
        }
    }

    /// Drops items whose weight at `now` is below the parameters' minimum.
    @discardableResult
    public mutating func prune(at now: Timestamp, _ p: DecayParameters) -> Int {
        let before = items.count
        let floor = p.minWeight
        items.removeAll { p.weight(of: $0.time, at: now) < floor }
        return before - items.count
    }

    /// The decayed mean at `now`.
    public func summary(at now: Timestamp, _ p: DecayParameters) -> SentimentSummary {
        var weights: [Double] = []
        weights.reserveCapacity(items.count)
        var w = 0.0, ws = 0.0
        for item in items {
            let wi = p.weight(of: item.time, at: now)
            weights.append(wi)
            w += wi
            ws += wi * item.score
        }
        let mean = w > 0 ? ws / w : 0
        var contributions: [SentimentSummary.Contribution] = []
        for (i, item) in items.enumerated() {
            contributions.append(.init(item: item, weight: weights[i], share: w > 0 ? weights[i] * item.score / w : 0))
        }
        // Largest moves first; ties by time, then id, so the order is always the same.
        contributions.sort { a, b in
            let x = abs(a.share), y = abs(b.share)
            if x != y { return x > y }
            if a.item.time != b.item.time { return a.item.time > b.item.time }
            return a.item.id < b.item.id
        }
        let confidence = w > 0 ? 1 - pow2(-w / p.halfConfidenceWeight) : 0
        return SentimentSummary(score: mean, totalWeight: w, confidence: confidence, count: items.count, contributions: contributions)
    }
}

/// The decayed sentiment of a symbol at one time.
public struct SentimentSummary: Sendable, Equatable {
    public struct Contribution: Sendable, Equatable {
        public var item: ScoredNews
        public var weight: Double
        /// `wᵢ sᵢ / W`: what the item adds to the mean (the shares sum to the score).
        public var share: Double
    }
    /// The decayed mean score, in [-1, 1].
    public var score: Double
    /// `W = Σ wᵢ`, "how much fresh news there is".
    public var totalWeight: Double
    public var confidence: Double
    public var count: Int
    /// Every item, the largest |share| first.
    public var contributions: [Contribution]
}

/// Turns a summary into the sentiment vote for one bar.
public struct SentimentVoter: Sendable, Equatable {
    /// The score at or above which the vote is buy (VADER's conventional 0.05).
    public var buyThreshold: Double
    /// The score at or below which the vote is sell.
    public var sellThreshold: Double
    /// Headlines named in the reason and listed as components.
    public var reasonHeadlines: Int

    public init(buyThreshold: Double = 0.05, sellThreshold: Double = -0.05, reasonHeadlines: Int = 3) {
        self.buyThreshold = buyThreshold
        self.sellThreshold = sellThreshold
        self.reasonHeadlines = reasonHeadlines
    }

    public static let agentName = "sentiment"

    public func vote(symbol: String, time: Timestamp, summary s: SentimentSummary) -> Vote {
        guard s.count > 0, s.totalWeight > 0 else {
            return Vote(agent: Self.agentName, symbol: symbol, time: time, action: .hold, score: 0, confidence: 0, reason: "no recent news")
        }
        let action = action(for: s.score)
        let top = s.contributions.prefix(max(0, reasonHeadlines))
        var reason = "news sentiment \(Self.signed(s.score)) from \(s.count) item\(s.count == 1 ? "" : "s") (weight \(Fmt.fixed(s.totalWeight, 2)))"
        if !top.isEmpty {
            reason += ": " + top.map { "\"\(Self.clip($0.item.headline))\" \(Self.signed($0.item.score))" }.joined(separator: ", ")
        }
        let components = top.map { c in
            VoteComponent(
                name: "news:\(c.item.id)", action: self.action(for: c.item.score), score: c.item.score,
                confidence: s.totalWeight > 0 ? c.weight / s.totalWeight : 0,
                reason: "\(c.item.headline) [\(c.item.source.rawValue), weight \(Fmt.fixed(c.weight, 3))]")
        }
        return Vote(
            agent: Self.agentName, symbol: symbol, time: time, action: action, score: min(1, max(-1, s.score)),
            confidence: s.confidence, reason: reason, components: components)
    }

    func action(for score: Double) -> Action {
        score >= buyThreshold ? .buy : score <= sellThreshold ? .sell : .hold
    }

    static func clip(_ s: String) -> String { s.count > 80 ? String(s.prefix(77)) + "…" : s }

    static func signed(_ v: Double) -> String { (v >= 0 ? "+" : "") + Fmt.fixed(v, 2) }

}

#if canImport(Glibc)
import Glibc
@inline(__always) func pow2(_ x: Double) -> Double { Glibc.exp2(x) }
#elseif canImport(Darwin)
import Darwin
@inline(__always) func pow2(_ x: Double) -> Double { Darwin.exp2(x) }
#endif
