import Testing
@testable import Agents

/// Properties of the indicators beyond the golden values: edge cases TA-Lib defines,
/// agreement with naive definitions on random data, and no drift over millions of bars.
@Suite struct IndicatorPropertyTests {
    static func randomWalk(_ n: Int, seed: UInt64, start: Double = 100, step: Double = 0.02) -> [Double] {
        var rng = SplitMix64(seed: seed)
        var x = start
        return (0..<n).map { _ in
            x *= exp(step * rng.nextGaussian())
            return x
        }
    }

    @Test(arguments: [1, 2, 7, 20, 64])
    func smaMatchesTheNaiveMean(period: Int) {
        let xs = Self.randomWalk(3000, seed: UInt64(period))
        var sma = SMA(period: period)
        for (i, x) in xs.enumerated() {
            let v = sma.update(x)
            if i < period - 1 {
                #expect(v == nil)
                continue
            }
            let naive = xs[(i - period + 1)...i].reduce(0, +) / Double(period)
            if Swift.abs(v! - naive) > 1e-12 * naive {
                Issue.record("SMA \(period) at \(i): \(v!) vs \(naive)")
                return
            }
        }
    }

    @Test(arguments: [1, 3, 14, 50])
    func rollingExtremesMatchTheNaiveOnes(period: Int) {
        var rng = SplitMix64(seed: 5)
        // Many ties: values from a small set.
        let xs = (0..<5000).map { _ in Double(rng.next() % 9) }
        var hi = RollingExtreme(period: period, kind: .max)
        var lo = RollingExtreme(period: period, kind: .min)
        for i in xs.indices {
            let window = xs[max(0, i - period + 1)...i]
            let h = hi.update(xs[i]), l = lo.update(xs[i])
            if h != window.max()! || l != window.min()! {
                Issue.record("period \(period) at \(i): max \(h) vs \(window.max()!), min \(l) vs \(window.min()!)")
                return
            }
        }
    }

    @Test func rollingWindowKeepsTheLastValuesInOrder() {
        var w = RollingWindow(capacity: 3)
        #expect(w.push(1) == nil)
        #expect(w.push(2) == nil)
        #expect(w.values == [1, 2])
        #expect(w.push(3) == nil)
        #expect(w.push(4) == 1)
        #expect(w.values == [2, 3, 4])
        #expect(w.sum() == 9)
    }

    @Test func flatSeriesFollowTALib() {
        // TA-Lib: RSI 0 when there is no movement at all, stochastic 0 when the range is 0,
        // Bollinger bands of zero width. Values are present (not nil) after the warm-up.
        var rsi = RSI(period: 5)
        var stoch = Stochastic(kPeriod: 5, kSmoothing: 3, dPeriod: 3)
        var bb = BollingerBands(period: 5, deviations: 2)
        for _ in 0..<20 {
            rsi.update(42)
            stoch.update(high: 42, low: 42, close: 42)
            bb.update(42)
        }
        #expect(rsi.value == 0)
        #expect(rsi.isFlat)
        #expect(stoch.value == Stochastic.Output(k: 0, d: 0))
        #expect(bb.value == BollingerBands.Output(upper: 42, middle: 42, lower: 42))
        #expect(bb.value?.percentB(42) == nil)
        rsi.update(43)
        #expect(rsi.value == 100)
        #expect(!rsi.isFlat)
    }

    @Test func obvStartsAtTheFirstVolume() {
        var obv = OBV()
        #expect(obv.value == nil)
        #expect(obv.update(close: 10, volume: 500) == 500)
        #expect(obv.update(close: 11, volume: 100) == 600)
        #expect(obv.update(close: 11, volume: 50) == 600)
        #expect(obv.update(close: 9, volume: 200) == 400)
    }

    @Test func macdSwapsAFastPeriodLongerThanTheSlowOne() {
        var a = MACD(fast: 26, slow: 12, signal: 9), b = MACD(fast: 12, slow: 26, signal: 9)
        for x in Self.randomWalk(200, seed: 3) { #expect(a.update(x) == b.update(x)) }
    }

    @Test func warmUpValuesAreAbsentExactlyForTheLookback() {
        let p = IndicatorPeriods()
        let lookbacks = [
            SMA.lookback(period: p.sma), EMA.lookback(period: p.ema), RSI.lookback(period: p.rsi),
            MACD.lookback(), MACD.lookback(), MACD.lookback(),
            BollingerBands.lookback(period: 20), BollingerBands.lookback(period: 20), BollingerBands.lookback(period: 20),
            ATR.lookback(period: p.atr), Stochastic.lookback(), Stochastic.lookback(), OBV.lookback,
        ]
        #expect(lookbacks == [19, 19, 14, 33, 33, 33, 19, 19, 19, 14, 17, 17, 0])
        var set = IndicatorSet(periods: p)
        for (i, x) in Self.randomWalk(60, seed: 9).enumerated() {
            let row = set.update(high: x * 1.01, low: x * 0.99, close: x, volume: 1000)
            let present = row.cells.map { $0 != nil }
            #expect(present == lookbacks.map { i >= $0 }, "row \(i)")
        }
    }

    /// Running sums must not drift: over 3 million bars of a series that falls from 10,000
    /// to about 1 (so early rounding errors would dominate late values), SMA and Bollinger
    /// stay within 1e-12 of the exact window statistics.
    @Test func noDriftOverMillionsOfBars() {
        let n = 3_000_000
        var rng = SplitMix64(seed: 2024)
        var x = 10_000.0
        let decay = log(10_000.0) / Double(n)
        var recent = [Double](repeating: 0, count: 20)
        var sma = SMA(period: 20)
        var bb = BollingerBands(period: 20, deviations: 2)
        var worstMean = 0.0, worstUpper = 0.0
        for i in 0..<n {
            x *= exp(-decay + 0.01 * rng.nextGaussian())
            recent[i % 20] = x
            let m = sma.update(x)
            let b = bb.update(x)
            guard i >= 19, i % 997 == 0 || i == n - 1 else { continue }
            // Exact statistics of the window: compensated mean, two-pass variance.
            var sum = 0.0, c = 0.0
            for v in recent {
                let y = v - c
                let t = sum + y
                c = (t - sum) - y
                sum = t
            }
            let mean = sum / 20
            let variance = recent.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20
            let upper = mean + 2 * variance.squareRoot()
            worstMean = max(worstMean, Swift.abs(m! - mean) / mean, Swift.abs(b!.middle - mean) / mean)
            worstUpper = max(worstUpper, Swift.abs(b!.upper - upper) / upper)
        }
        #expect(x < 10)
        #expect(worstMean < 1e-12)
        #expect(worstUpper < 1e-12)
    }
}

#if canImport(Glibc)
import Glibc
#endif
