import Foundation
import Testing
@testable import Agents
import Bus

@Suite struct SentimentStateTests {
    static func t(_ s: String) -> Timestamp { try! ISO8601.parse(s) }
    static let day = 86_400.0

    @Test func calendarClockCountsWallTime() {
        let c = DecayClock.calendar
        #expect(c.elapsed(from: Self.t("2024-01-05T16:00:00Z"), to: Self.t("2024-01-08T14:30:00Z")) == 2 * Self.day + 22.5 * 3600)
        #expect(c.elapsed(from: Self.t("2024-01-08T00:00:00Z"), to: Self.t("2024-01-05T00:00:00Z")) == 0)
    }

    @Test func tradingClockSkipsWeekends() {
        let c = DecayClock.trading
        // Friday 16:00 → Monday 14:30: 8 h of Friday and 14.5 h of Monday.
        #expect(c.elapsed(from: Self.t("2024-01-05T16:00:00Z"), to: Self.t("2024-01-08T14:30:00Z")) == 22.5 * 3600)
        // Saturday noon → Sunday noon: no trading time.
        #expect(c.elapsed(from: Self.t("2024-01-06T12:00:00Z"), to: Self.t("2024-01-07T12:00:00Z")) == 0)
        // Saturday → Monday 01:00: one hour.
        #expect(c.elapsed(from: Self.t("2024-01-06T09:00:00Z"), to: Self.t("2024-01-08T01:00:00Z")) == 3600)
        // Any whole week holds five days, before and after 1970 too.
        for start in ["2024-02-14T10:11:12Z", "1969-12-30T03:00:00Z", "1950-06-10T23:59:59Z"] {
            let a = Self.t(start)
            #expect(c.elapsed(from: a, to: a + .seconds(7 * 86_400)) == 5 * Self.day, "\(start)")
        }
        // Wednesday → Thursday: a plain day.
        #expect(c.elapsed(from: Self.t("2024-01-03T10:00:00Z"), to: Self.t("2024-01-04T10:00:00Z")) == Self.day)
    }

    @Test func weightsHalveEachHalfLife() {
        let p = DecayParameters(halfLifeDays: 1, clock: .calendar)
        let t0 = Self.t("2024-01-03T00:00:00Z")
        #expect(p.weight(of: t0, at: t0) == 1)
        #expect(p.weight(of: t0, at: t0 + .seconds(86_400)) == 0.5)
        #expect(p.weight(of: t0, at: t0 + .seconds(3 * 86_400)) == 0.125)
        #expect(abs(p.weight(of: t0, at: t0 + .seconds(43_200)) - 0.5.squareRoot()) < 1e-15)
        // News stamped after the bar counts as fresh.
        #expect(p.weight(of: t0 + .seconds(600), at: t0) == 1)
        #expect(p.minWeight == 1.0 / 32)
        let halfDay = DecayParameters(halfLifeDays: 0.5, clock: .calendar)
        #expect(halfDay.weight(of: t0, at: t0 + .seconds(86_400)) == 0.25)
    }

    @Test func decayedMeanWeightsAndConfidence() {
        let p = DecayParameters(halfLifeDays: 1, clock: .calendar)
        let t0 = Self.t("2024-01-03T00:00:00Z")
        var s = NewsSentimentState()
        s.add(ScoredNews(id: "a", time: t0, headline: "old good", score: 0.9))
        s.add(ScoredNews(id: "b", time: t0 + .seconds(86_400), headline: "new bad", score: -0.3))
        let sum = s.summary(at: t0 + .seconds(86_400), p)
        // Weights 0.5 and 1: (0.45 - 0.3) / 1.5 = 0.1.
        #expect(abs(sum.score - 0.1) < 1e-15)
        #expect(sum.totalWeight == 1.5)
        #expect(abs(sum.confidence - (1 - exp2(-1.5))) < 1e-15)
        #expect(sum.contributions.map(\.item.id) == ["a", "b"])
        #expect(abs(sum.contributions[0].share - 0.3) < 1e-15 && abs(sum.contributions[1].share + 0.2) < 1e-15)
        #expect(abs(sum.contributions.map(\.share).reduce(0, +) - sum.score) < 1e-15)
    }

    /// The total weight is the exponentially decayed count: W(t) = W(s)·2^(-(t-s)/h) + 1 at
    /// each new item, for any arrival pattern.
    @Test func totalWeightFollowsTheRecursion() {
        var rng = SplitMix64(seed: 99)
        let p = DecayParameters(halfLifeDays: 0.7, clock: .calendar, maxAgeHalfLives: 60)
        var s = NewsSentimentState(maxItems: 1000)
        var t = Self.t("2024-03-01T00:00:00Z")
        var w = 0.0, ws = 0.0
        for i in 0..<200 {
            let gap = rng.nextUnit() * 20_000
            t = t + .milliseconds(Int64(gap * 1000))
            let f = exp2(-(Double(Int64(gap * 1000)) / 1000) / p.halfLifeSeconds)
            let score = rng.nextUnit() * 2 - 1
            w = w * f + 1
            ws = ws * f + score
            s.add(ScoredNews(id: "n\(i)", time: t, headline: "h", score: score))
            let sum = s.summary(at: t, p)
            #expect(abs(sum.totalWeight - w) < 1e-9 * w)
            #expect(abs(sum.score - ws / w) < 1e-9)
        }
    }

    @Test func pruningAndCapacity() {
        let p = DecayParameters(halfLifeDays: 1, clock: .calendar, maxAgeHalfLives: 5)
        let now = Self.t("2024-01-20T00:00:00Z")
        var s = NewsSentimentState(maxItems: 3)
        s.add(ScoredNews(id: "six-days", time: now + .seconds(-6 * 86_400), headline: "h", score: 1))
        s.add(ScoredNews(id: "four-days", time: now + .seconds(-4 * 86_400), headline: "h", score: 1))
        #expect(s.prune(at: now, p) == 1)
        #expect(s.items.map(\.id) == ["four-days"])
        s.add(ScoredNews(id: "x", time: now, headline: "h", score: 0))
        s.add(ScoredNews(id: "y", time: now + .seconds(-86_400), headline: "h", score: 0))
        s.add(ScoredNews(id: "z", time: now, headline: "h", score: 0))
        // Full: the oldest ("four-days") went.
        #expect(s.items.map(\.id) == ["x", "y", "z"])
        s.rescore(id: "y", score: 0.5, source: .llm)
        #expect(s.items[1].score == 0.5 && s.items[1].source == .llm)
    }

    @Test func votesFromSummaries() {
        let voter = SentimentVoter()
        let p = DecayParameters(halfLifeDays: 1, clock: .calendar)
        let t0 = Self.t("2024-01-03T14:30:00Z")
        let empty = voter.vote(symbol: "AAPL", time: t0, summary: NewsSentimentState().summary(at: t0, p))
        #expect(empty == Vote(agent: "sentiment", symbol: "AAPL", time: t0, action: .hold, score: 0, confidence: 0, reason: "no recent news"))
        var s = NewsSentimentState()
        s.add(ScoredNews(id: "n1", time: t0, headline: "Apple beats estimates", score: 0.4939))
        s.add(ScoredNews(id: "n2", time: t0 + .seconds(-86_400), headline: "Apple recall widens", score: -0.2))
        let v = voter.vote(symbol: "AAPL", time: t0, summary: s.summary(at: t0, p))
        #expect(v.action == .buy)
        #expect(abs(v.score - (0.4939 - 0.1) / 1.5) < 1e-12)
        #expect(v.reason == #"news sentiment +0.26 from 2 items (weight 1.50): "Apple beats estimates" +0.49, "Apple recall widens" -0.20"#)
        #expect(v.components.map(\.name) == ["news:n1", "news:n2"])
        #expect(v.components[1].action == .sell && abs(v.components[1].confidence - 1.0 / 3) < 1e-12)
        #expect(v.components[0].reason == "Apple beats estimates [lexicon, weight 1.000]")
        let tight = SentimentVoter(buyThreshold: 0.3, sellThreshold: -0.3, reasonHeadlines: 1)
        let h = tight.vote(symbol: "AAPL", time: t0, summary: s.summary(at: t0, p))
        #expect(h.action == .hold && h.components.count == 1)
    }
}
