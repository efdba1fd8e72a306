import Foundation
import Testing
@testable import Agents
import Bus

@Suite struct StrategyTests {
    typealias K = MarketTestKit

    static func bars(_ closes: [Double], symbol: String = "T") -> [Bar] {
        closes.enumerated().map { K.bar(symbol, day: $0.offset, close: $0.element) }
    }

    // MARK: RSI mean reversion

    @Test func rsiVotes() {
        let s = RSIReversion()
        let buy = s.vote(rsi: 27.4)
        #expect(buy.action == .buy)
        #expect(buy.reason == "RSI 27.4 < 30: oversold")
        #expect(Swift.abs(buy.score - (0.5 + 0.5 * 2.6 / 30)) < 1e-12)
        #expect(buy.confidence == buy.score)
        let sell = s.vote(rsi: 73.1)
        #expect(sell.action == .sell)
        #expect(sell.reason == "RSI 73.1 > 70: overbought")
        #expect(Swift.abs(sell.score + (0.5 + 0.5 * 3.1 / 30)) < 1e-12)
        #expect(sell.confidence == -sell.score)
        #expect(s.vote(rsi: 48.2) == .none("rsi", "RSI 48.2: neutral"))
        #expect(s.vote(rsi: 30).action == .hold)
        #expect(s.vote(rsi: 70).action == .hold)
        #expect(s.vote(rsi: 0).score == 1)
        #expect(s.vote(rsi: 0, flat: true) == .none("rsi", "RSI: no price movement in 14 bars"))
    }

    @Test func rsiStreamWarmsUpThenFollowsTheIndicator() {
        var s = RSIReversion(.init(period: 3))
        var rsi = RSI(period: 3)
        let closes: [Double] = [10, 11, 12, 13, 12, 11, 10, 9, 8, 9, 10, 11]
        for (i, b) in Self.bars(closes).enumerated() {
            let v = s.update(b)
            let r = rsi.update(b.close)
            if i < 3 {
                #expect(v == .none("rsi", "warming up (\(i + 1)/4 bars)"))
                #expect(!s.isReady)
            } else {
                #expect(s.isReady)
                #expect(v == s.vote(rsi: r!))
            }
        }
    }

    // MARK: moving-average crossover

    @Test func maCrossSignalsExactlyOnTheCrossingBars() {
        // fast SMA 2 − slow SMA 3: bar 2: 0, 3: −0.17, 4: −0.5, 5: −0.17, 6: +0.67, 7: +0.83, 8: +0.17, 9: −0.67, 10: −0.83
        var s = MACrossover(.init(fast: 2, slow: 3))
        let votes = Self.bars([10, 10, 10, 9, 8, 9, 11, 12, 11, 9, 8]).map { s.update($0) }
        #expect(votes.map(\.action) == [.hold, .hold, .hold, .hold, .hold, .hold, .buy, .hold, .hold, .sell, .hold])
        #expect(votes[6] == VoteComponent(name: "ma_cross", action: .buy, score: 1, confidence: 1, reason: "SMA 2 crossed above SMA 3 (10 vs 9.33)"))
        #expect(votes[9] == VoteComponent(name: "ma_cross", action: .sell, score: -1, confidence: 1, reason: "SMA 2 crossed below SMA 3 (10 vs 10.67)"))
        // Bar 3 goes from level (0) to below: not a cross, as in backtesting.py (strict on both bars).
        #expect(votes[3] == .none("ma_cross", "SMA 2 below SMA 3, no cross"))
        #expect(votes[2] == .none("ma_cross", "warming up (3/4 bars)"))
        #expect(votes.filter { $0.confidence > 0 }.count == 2)
    }

    @Test func touchingWithoutCrossingIsNoSignal() {
        // fast = close, slow = mean of two closes: their difference has the sign of the change.
        var touch = MACrossover(.init(fast: 1, slow: 2))
        #expect(Self.bars([10, 9, 9, 10, 10, 9]).map { touch.update($0).action } == [.hold, .hold, .hold, .hold, .hold, .hold])
        var cross = MACrossover(.init(fast: 1, slow: 2))
        #expect(Self.bars([10, 9, 10, 9]).map { cross.update($0).action } == [.hold, .hold, .buy, .sell])
    }

    /// On a random walk, votes equal backtesting.py's rule applied to independently computed averages.
    @Test(arguments: [MovingAverage.Kind.sma, .ema, .pandas])
    func maCrossMatchesTheCrossoverRule(kind: MovingAverage.Kind) {
        let closes = IndicatorPropertyTests.randomWalk(3000, seed: 77, step: 0.01)
        var fast = [Double?](), slow = [Double?]()
        switch kind {
        case .sma, .pandas:
            func naive(_ i: Int, _ n: Int) -> Double? { i < n - 1 ? nil : closes[(i - n + 1)...i].reduce(0, +) / Double(n) }
            fast = closes.indices.map { naive($0, 10) }
            slow = closes.indices.map { naive($0, 30) }
        case .ema:
            var f = EMA(period: 10), s = EMA(period: 30)
            fast = closes.map { f.update($0) }
            slow = closes.map { s.update($0) }
        }
        var strategy = MACrossover(.init(fast: 10, slow: 30, average: kind))
        var signals = 0
        for (i, b) in Self.bars(closes).enumerated() {
            let v = strategy.update(b)
            var expected = Action.hold
            if i > 0, let pf = fast[i - 1], let ps = slow[i - 1], let f = fast[i], let s = slow[i] {
                if pf < ps && f > s { expected = .buy } else if ps < pf && s > f { expected = .sell }
            }
            if v.action != expected {
                Issue.record("bar \(i): \(v.action) (\(v.reason)), expected \(expected)")
                return
            }
            if expected != .hold { signals += 1 }
            #expect(v.confidence == (expected == .hold ? 0 : 1))
        }
        #expect(signals > 20)
    }

    @Test func maStateModeVotesTheTrend() {
        let s = MACrossover(.init(fast: 2, slow: 4, mode: .state))
        let up = s.stateVote(fast: 101, slow: 100)
        #expect(up.action == .buy)
        #expect(Swift.abs(up.score - 0.5) < 1e-12)
        #expect(up.reason == "SMA 2 1% above SMA 4: uptrend")
        let down = s.stateVote(fast: 90, slow: 100)
        #expect(down.score == -1)
        #expect(down.confidence == 1)
        #expect(s.stateVote(fast: 100, slow: 100).confidence == 0)
        #expect(s.warmUpBars == 4)
    }

    // MARK: MACD cross

    @Test func macdCrossSignalsWhereTheHistogramChangesSign() {
        let closes = IndicatorPropertyTests.randomWalk(2000, seed: 12, step: 0.01)
        var strategy = MACDCross()
        var macd = MACD()
        var previous: Double?
        var signals = 0
        for (i, b) in Self.bars(closes).enumerated() {
            let v = strategy.update(b)
            let out = macd.update(b.close)
            var expected = Action.hold
            if let p = previous, let h = out?.histogram {
                if p < 0 && h > 0 { expected = .buy } else if p > 0 && h < 0 { expected = .sell }
            }
            previous = out?.histogram
            if v.action != expected {
                Issue.record("bar \(i): \(v.action), expected \(expected)")
                return
            }
            if expected != .hold { signals += 1 }
            if i < 34 { #expect(v.reason.hasPrefix("warming up")) }
        }
        #expect(signals > 20)
        let s = MACDCross()
        #expect(s.vote(previousHistogram: -0.1, current: .init(macd: 0.42, signal: 0.37, histogram: 0.05)).reason
                == "MACD crossed above signal (0.42 vs 0.37)")
    }

    // MARK: Bollinger reversion

    @Test func bollingerVotes() {
        let s = BollingerReversion()
        let bands = BollingerBands.Output(upper: 110, middle: 100, lower: 90)
        let buy = s.vote(close: 85, bands: bands)
        #expect(buy == VoteComponent(name: "bollinger", action: .buy, score: 0.75, confidence: 0.75, reason: "close 85 < lower band 90: stretched down"))
        let sell = s.vote(close: 120, bands: bands)
        #expect(sell == VoteComponent(name: "bollinger", action: .sell, score: -1, confidence: 1, reason: "close 120 > upper band 110: stretched up"))
        #expect(s.vote(close: 100, bands: bands) == .none("bollinger", "close 100 inside the bands"))
        #expect(s.vote(close: 100, bands: .init(upper: 100, middle: 100, lower: 100)).confidence == 0)
    }

    // MARK: combination

    @Test func confidenceZeroDoesNotDilute() {
        let buy = VoteComponent(name: "ma_cross", action: .buy, score: 1, confidence: 1, reason: "crossed")
        let r = VoteCombiner().combine([
            (.none("rsi", "RSI 48.2: neutral"), 1), (buy, 1), (.none("macd", "no cross"), 1), (.none("bollinger", "inside"), 1),
        ])
        #expect(r == VoteCombiner.Result(action: .buy, score: 1, confidence: 1, reason: "crossed"))
    }

    @Test func disagreementLowersConfidence() {
        let buy = VoteComponent(name: "a", action: .buy, score: 1, confidence: 1, reason: "up")
        let sell = VoteComponent(name: "b", action: .sell, score: -0.6, confidence: 0.6, reason: "down")
        let r = VoteCombiner().combine([(sell, 1), (buy, 1)])
        // w = (0.6, 1); score = (−0.36 + 1) / 1.6; mean confidence = (0.36 + 1) / 1.6; agreement = 0.64 / 1.36.
        #expect(Swift.abs(r.score - 0.4) < 1e-12)
        #expect(Swift.abs(r.confidence - 0.4) < 1e-12)
        #expect(r.action == .buy)
        #expect(r.reason == "up; down")
        // Weights scale the contributions; weight 0 leaves a strategy out.
        let weighted = VoteCombiner().combine([(sell, 3), (buy, 1)])
        #expect(weighted.action == .sell)
        #expect(VoteCombiner().combine([(sell, 0), (buy, 1)]).score == 1)
        // A minimum score turns a weak majority into a hold.
        #expect(VoteCombiner(minScore: 0.5).combine([(sell, 1), (buy, 1)]).action == .hold)
    }

    @Test func nobodyWithAnOpinionIsAHoldWithConfidenceZero() {
        let r = VoteCombiner().combine([(.none("rsi", "RSI 48.2: neutral"), 1), (.none("macd", "MACD above signal, no cross"), 1)])
        #expect(r == VoteCombiner.Result(action: .hold, score: 0, confidence: 0, reason: "no signal: RSI 48.2: neutral; MACD above signal, no cross"))
        // Empty reasons are left out; none at all is just "no signal".
        #expect(VoteCombiner().combine([(.none("a", ""), 1), (.none("b", "flat"), 1)]).reason == "no signal: flat")
        #expect(VoteCombiner().combine([(.none("a", ""), 1)]).reason == "no signal")
        #expect(VoteCombiner().combine([]).reason == "no signal")
    }
}

@Suite struct TechnicalAnalyzerTests {
    @Test func warmUpIsAHoldWithConfidenceZeroUntilEveryStrategyIsReady() {
        var a = TechnicalAnalyzer(symbol: "T")
        #expect(a.warmUpBars == 201)
        let closes = IndicatorPropertyTests.randomWalk(400, seed: 1, step: 0.02)
        let votes = StrategyTests.bars(closes).map { a.update($0) }
        for (i, v) in votes.prefix(200).enumerated() {
            #expect(v.action == .hold && v.confidence == 0 && v.score == 0)
            #expect(v.reason == "warming up (\(i + 1)/201 bars)")
            #expect(v.components.map(\.name) == ["rsi", "ma_cross", "macd", "bollinger"])
        }
        #expect(votes.dropFirst(200).contains { $0.confidence > 0 })
        #expect(votes.allSatisfy { $0.agent == "technical" && $0.symbol == "T" })
        #expect(votes.allSatisfy { (-1...1).contains($0.score) && (0...1).contains($0.confidence) })
    }

    @Test func eachStrategyCanCountAsSoonAsItIsReady() {
        var config = TechnicalConfig()
        config.holdUntilAllReady = false
        var a = TechnicalAnalyzer(symbol: "T", config: config)
        // Falling prices: RSI is oversold long before the 200-bar average exists.
        let votes = StrategyTests.bars((0..<40).map { 100 - Double($0) }).map { a.update($0) }
        // RSI 14 needs 15 bars: the 15th bar (index 14) is the first with an opinion.
        #expect(votes[13] == Vote(agent: "technical", symbol: "T", time: votes[13].time, action: .hold, score: 0, confidence: 0,
                                  reason: "warming up (14/201 bars)",
                                  components: votes[13].components))
        #expect(votes[14].action == .buy)
        #expect(votes[14].reason == "RSI 0 < 30: oversold")
        #expect(votes[14].components.first { $0.name == "ma_cross" }?.reason == "warming up (15/201 bars)")
    }

    @Test func aBarThatIsNotLaterChangesNothing() {
        let bars = StrategyTests.bars(IndicatorPropertyTests.randomWalk(300, seed: 4, step: 0.02))
        var clean = TechnicalAnalyzer(symbol: "T"), noisy = TechnicalAnalyzer(symbol: "T")
        for (i, b) in bars.enumerated() {
            let expected = clean.update(b)
            #expect(noisy.update(b) == expected)
            if i % 50 == 10 {
                let again = noisy.update(b)
                #expect(again.action == .hold && again.confidence == 0)
                #expect(again.reason == "ignored: bar at \(b.time) is not after the previous bar at \(b.time)")
            }
        }
    }

    @Test func configurationDecodesWithDefaultsAndRefusesTypos() throws {
        let d = JSONDecoder()
        #expect(try d.decode(TechnicalConfig.self, from: Data("{}".utf8)) == TechnicalConfig())
        let custom = try d.decode(TechnicalConfig.self, from: Data("""
            {"rsi": {"period": 10}, "maCross": {"fast": 10, "slow": 30, "average": "ema"}, "bollinger": {"enabled": false}}
            """.utf8))
        #expect(custom.rsi.period == 10 && custom.rsi.oversold == 30)
        #expect(custom.maCross == MACrossover.Config(fast: 10, slow: 30, average: .ema))
        #expect(!custom.bollinger.enabled)
        #expect(custom.strategies().map(\.strategy.name) == ["rsi", "ma_cross", "macd"])
        do {
            _ = try d.decode(TechnicalConfig.self, from: Data(#"{"rsi": {"perod": 10}}"#.utf8))
            Issue.record("a typo was accepted")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription == "unknown key \"perod\" in technical.rsi (known keys: enabled, weight, period, oversold, overbought)")
        }
        do {
            _ = try d.decode(TechnicalConfig.self, from: Data(#"{"maCross": {"slow": 20}}"#.utf8))
            Issue.record("fast ≥ slow was accepted")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription == "maCross.fast (50) must be shorter than maCross.slow (20)")
        }
        let encoded = try JSONEncoder().encode(custom)
        #expect(try d.decode(TechnicalConfig.self, from: encoded) == custom)
    }
}
