import Testing
@testable import Agents

/// Every indicator against TA-Lib's own output on a fixed series (TALibGolden): the same
/// warm-up (nil exactly where TA-Lib has NaN) and the same values to 1e-12 relative.
@Suite struct IndicatorGoldenTests {
    static var closes: [Double] { TALibGolden.bars.map(\.3) }

    func check(_ name: String, _ ours: [Double?], _ golden: [Double?]) {
        #expect(ours.count == golden.count, "\(name): length")
        for (i, (a, g)) in zip(ours, golden).enumerated() {
            switch (a, g) {
            case (nil, nil): continue
            case (let a?, let g?):
                let err = g == 0 ? Swift.abs(a) : Swift.abs(a - g) / Swift.abs(g)
                if err > 1e-12 {
                    Issue.record("\(name)[\(i)] = \(a), TA-Lib \(g) (relative error \(err))")
                    return
                }
            default:
                Issue.record("\(name)[\(i)] = \(String(describing: a)), TA-Lib \(String(describing: g)): warm-up differs")
                return
            }
        }
    }

    @Test func sma() {
        for (period, golden) in [(20, TALibGolden.sma20), (5, TALibGolden.sma5)] {
            var x = SMA(period: period)
            check("SMA \(period)", Self.closes.map { x.update($0) }, golden)
            #expect(golden.prefix { $0 == nil }.count == SMA.lookback(period: period))
        }
    }

    @Test func ema() {
        for (period, golden) in [(20, TALibGolden.ema20), (5, TALibGolden.ema5)] {
            var x = EMA(period: period)
            check("EMA \(period)", Self.closes.map { x.update($0) }, golden)
            #expect(golden.prefix { $0 == nil }.count == EMA.lookback(period: period))
        }
    }

    @Test func rsi() {
        for (period, golden) in [(14, TALibGolden.rsi14), (5, TALibGolden.rsi5)] {
            var x = RSI(period: period)
            check("RSI \(period)", Self.closes.map { x.update($0) }, golden)
            #expect(golden.prefix { $0 == nil }.count == RSI.lookback(period: period))
        }
    }

    @Test func macd() {
        let cases: [((Int, Int, Int), [Double?], [Double?], [Double?])] = [
            ((12, 26, 9), TALibGolden.macd, TALibGolden.macdSignal, TALibGolden.macdHist),
            ((3, 10, 4), TALibGolden.macd3_10_4, TALibGolden.macdSignal3_10_4, TALibGolden.macdHist3_10_4),
        ]
        for ((f, s, g), line, signal, hist) in cases {
            var x = MACD(fast: f, slow: s, signal: g)
            let out = Self.closes.map { x.update($0) }
            check("MACD \(f)/\(s)/\(g) line", out.map { $0?.macd }, line)
            check("MACD \(f)/\(s)/\(g) signal", out.map { $0?.signal }, signal)
            check("MACD \(f)/\(s)/\(g) histogram", out.map { $0?.histogram }, hist)
            #expect(line.prefix { $0 == nil }.count == MACD.lookback(fast: f, slow: s, signal: g))
        }
    }

    @Test func bollinger() {
        var x = BollingerBands(period: 20, deviations: 2)
        let out = Self.closes.map { x.update($0) }
        check("BB upper", out.map { $0?.upper }, TALibGolden.bbUpper)
        check("BB middle", out.map { $0?.middle }, TALibGolden.bbMiddle)
        check("BB lower", out.map { $0?.lower }, TALibGolden.bbLower)
        var y = BollingerBands(period: 5, deviations: 1.5)
        let out5 = Self.closes.map { y.update($0) }
        check("BB 5/1.5 upper", out5.map { $0?.upper }, TALibGolden.bbUpper5)
        check("BB 5/1.5 lower", out5.map { $0?.lower }, TALibGolden.bbLower5)
    }

    @Test func atr() {
        for (period, golden) in [(14, TALibGolden.atr14), (3, TALibGolden.atr3)] {
            var x = ATR(period: period)
            check("ATR \(period)", TALibGolden.bars.map { x.update(high: $0.1, low: $0.2, close: $0.3) }, golden)
            #expect(golden.prefix { $0 == nil }.count == ATR.lookback(period: period))
        }
    }

    @Test func stochastic() {
        let cases: [((Int, Int, Int), [Double?], [Double?])] = [
            ((14, 3, 3), TALibGolden.stochK, TALibGolden.stochD),
            ((5, 2, 4), TALibGolden.stochK5_2_4, TALibGolden.stochD5_2_4),
        ]
        for ((k, ks, d), gk, gd) in cases {
            var x = Stochastic(kPeriod: k, kSmoothing: ks, dPeriod: d)
            let out = TALibGolden.bars.map { x.update(high: $0.1, low: $0.2, close: $0.3) }
            check("STOCH \(k)/\(ks)/\(d) %K", out.map { $0?.k }, gk)
            check("STOCH \(k)/\(ks)/\(d) %D", out.map { $0?.d }, gd)
            #expect(gk.prefix { $0 == nil }.count == Stochastic.lookback(kPeriod: k, kSmoothing: ks, dPeriod: d))
        }
    }

    @Test func obv() {
        var x = OBV()
        check("OBV", TALibGolden.bars.map { x.update(close: $0.3, volume: $0.4) }, TALibGolden.obv)
    }

    @Test func theSetGivesTheSameValuesAsEachIndicatorAlone() {
        var set = IndicatorSet()
        let rows = TALibGolden.bars.map { set.update(high: $0.1, low: $0.2, close: $0.3, volume: $0.4) }
        check("set sma_20", rows.map(\.sma), TALibGolden.sma20)
        check("set macd_hist", rows.map { $0.macd?.histogram }, TALibGolden.macdHist)
        check("set stoch_d", rows.map { $0.stochastic?.d }, TALibGolden.stochD)
        check("set obv", rows.map(\.obv), TALibGolden.obv)
        #expect(IndicatorPeriods().columns == ["sma_20", "ema_20", "rsi_14", "macd", "macd_signal", "macd_hist",
                                               "bb_upper", "bb_middle", "bb_lower", "atr_14", "stoch_k", "stoch_d", "obv"])
        #expect(rows[33].cells.allSatisfy { $0 != nil })
        #expect(rows[32].cells.filter { $0 == nil }.count == 3)
    }
}
