import Agents
import Bus

/// `agora bench indicators`: indicator throughput over a synthetic series.
enum BenchIndicatorsCommand: AgoraCommand {
    static let spec = CommandSpec("bench indicators", summary: "Measure indicator throughput (release build).")
        .option("bars", "N", "Bars in the synthetic series (default 1M).")
        .option("seed", "S", "Seed of the series (default 42).")
        .option("repeat", "R", "Runs per measurement; the best is kept (default 3).")
        .flag("json", "Print one JSON object instead of a table.")
        .detail("""
            Runs each indicator alone, then all 8 together (SMA 20, EMA 20, RSI 14, MACD 12/26/9,
            Bollinger 20/2, ATR 14, stochastic 14/3/3, OBV), over the same in-memory series.
            Units: bars/s = bars processed per second; bar-updates/s = bars/s × indicators
            updated per bar (8 for the full set). Goal: ≥ 20M bar-updates/s for the full set.
            """)

    struct Row {
        var name: String
        var indicators: Int
        var seconds: Double
        var bars: Int
        var barsPerSecond: Double { Double(bars) / seconds }
        var updatesPerSecond: Double { barsPerSecond * Double(indicators) }
    }

    static let goal = 20e6

    static func run(_ args: Arguments) async throws -> Int32 {
        let n = try args.int("bars", default: 1_000_000, range: 1_000...100_000_000)
        let seed = try args.int("seed", default: 42, range: 0...Int.max)
        let repeats = try args.int("repeat", default: 3, range: 1...100)
        warnIfDebug()
        var series = SyntheticSeries()
        series.bars = n
        series.seed = UInt64(seed)
        series.intervalSeconds = 60
        series.volatility = 0.3
        var gen = SyntheticBarGenerator(series)
        var high = [Double](), low = [Double](), close = [Double](), volume = [Double]()
        high.reserveCapacity(n); low.reserveCapacity(n); close.reserveCapacity(n); volume.reserveCapacity(n)
        while let b = gen.next() {
            high.append(b.high); low.append(b.low); close.append(b.close); volume.append(b.volume)
        }
        let p = IndicatorPeriods()
        var checksum = 0.0
        func best(_ name: String, _ indicators: Int, _ body: () -> Double) -> Row {
            var bestSeconds = Double.infinity
            for _ in 0..<repeats {
                let t0 = Monotonic.nanoseconds()
                checksum += body()
                let dt = Double(Monotonic.nanoseconds() - t0) / 1e9
                bestSeconds = min(bestSeconds, dt)
            }
            return Row(name: name, indicators: indicators, seconds: bestSeconds, bars: n)
        }
        var rows: [Row] = []
        rows.append(best("SMA \(p.sma)", 1) {
            var x = SMA(period: p.sma); var s = 0.0
            for i in 0..<n { s += x.update(close[i]) ?? 0 }
            return s
        })
        rows.append(best("EMA \(p.ema)", 1) {
            var x = EMA(period: p.ema); var s = 0.0
            for i in 0..<n { s += x.update(close[i]) ?? 0 }
            return s
        })
        rows.append(best("RSI \(p.rsi)", 1) {
            var x = RSI(period: p.rsi); var s = 0.0
            for i in 0..<n { s += x.update(close[i]) ?? 0 }
            return s
        })
        rows.append(best("MACD \(p.macdFast)/\(p.macdSlow)/\(p.macdSignal)", 1) {
            var x = MACD(fast: p.macdFast, slow: p.macdSlow, signal: p.macdSignal); var s = 0.0
            for i in 0..<n { s += x.update(close[i])?.histogram ?? 0 }
            return s
        })
        rows.append(best("Bollinger \(p.bollinger)/\(CSVFormat.number(p.bollingerDeviations))", 1) {
            var x = BollingerBands(period: p.bollinger, deviations: p.bollingerDeviations); var s = 0.0
            for i in 0..<n { s += x.update(close[i])?.upper ?? 0 }
            return s
        })
        rows.append(best("ATR \(p.atr)", 1) {
            var x = ATR(period: p.atr); var s = 0.0
            for i in 0..<n { s += x.update(high: high[i], low: low[i], close: close[i]) ?? 0 }
            return s
        })
        rows.append(best("Stochastic \(p.stochK)/\(p.stochKSmoothing)/\(p.stochD)", 1) {
            var x = Stochastic(kPeriod: p.stochK, kSmoothing: p.stochKSmoothing, dPeriod: p.stochD); var s = 0.0
            for i in 0..<n { s += x.update(high: high[i], low: low[i], close: close[i])?.k ?? 0 }
            return s
        })
        rows.append(best("OBV", 1) {
            var x = OBV(); var s = 0.0
            for i in 0..<n { s += x.update(close: close[i], volume: volume[i]) }
            return s
        })
        let all = best("all \(IndicatorSet.count) together", IndicatorSet.count) {
            var set = IndicatorSet(periods: p); var s = 0.0
            for i in 0..<n {
                let r = set.update(high: high[i], low: low[i], close: close[i], volume: volume[i])
                s += (r.sma ?? 0) + (r.stochastic?.d ?? 0) + (r.obv ?? 0)
            }
            return s
        }
        rows.append(all)

        if args.flag("json") {
            var j = BenchJSON(bench: "indicators")
            j.w.field("bars", n)
            j.w.field("seed", seed)
            j.w.key("results")
            j.w.beginArray()
            for r in rows {
                j.w.beginObject()
                j.w.field("indicator", r.name)
                j.w.field("indicators", r.indicators)
                j.w.field("seconds", r.seconds)
                j.w.field("bars_per_s", r.barsPerSecond)
                j.w.field("bar_updates_per_s", r.updatesPerSecond)
                j.w.field("ns_per_bar", r.seconds * 1e9 / Double(r.bars))
                j.w.endObject()
            }
            j.w.endArray()
            j.w.key("goals")
            j.w.beginObject()
            j.w.field("all_bar_updates_per_s", all.updatesPerSecond)
            j.w.field("all_ratio_to_goal", all.updatesPerSecond / goal)
            j.w.endObject()
            j.w.field("checksum", checksum)
            Console.out(j.finish())
            return 0
        }
        var t = TextTable(["indicator", "bars/s", "bar-updates/s", "ns/bar"])
        for r in rows {
            t.add([r.name, rateString(r.barsPerSecond), rateString(r.updatesPerSecond), Fmt.fixed(r.seconds * 1e9 / Double(r.bars), 1)])
        }
        Console.out("Indicators over \(Fmt.grouped(Double(n))) synthetic bars (best of \(repeats); bar-updates/s = bars/s × indicators)\n\n")
        Console.out(t.rendered)
        Console.out("""

            goal  ≥20M bar-updates/s, all \(IndicatorSet.count) together: \(rateString(all.updatesPerSecond))/s = \(rateString(all.barsPerSecond)) bars/s × \(IndicatorSet.count)  (\(Fmt.fixed(all.updatesPerSecond / goal, 2))× goal) \(verdict(all.updatesPerSecond >= goal))
            checksum \(checksum)

            """)
        return 0
    }
}
