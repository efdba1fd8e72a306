import Agents
import Bus

/// `agora data synth`: a deterministic synthetic bar series (geometric Brownian motion).
enum DataSynthCommand: AgoraCommand {
    static let spec = CommandSpec("data synth", summary: "Write a seeded synthetic bar series (GBM) as CSV.")
        .option("bars", "N", "Number of bars (default 1000).")
        .option("seed", "S", "Random seed (default 1): the same seed gives the same bars.")
        .option("drift", "MU", "Annual drift μ of the log price (default 0.05).")
        .option("volatility", "SIGMA", "Annual volatility σ (default 0.2).")
        .option("interval", "DUR", "Bar length: 1d, 4h, 15m, 30s, or seconds (default 1d).")
        .option("start", "TIME", "Start of the first bar, ISO 8601 (default 2020-01-01).")
        .option("price", "P", "First open (default 100).")
        .option("volume", "V", "Median volume per bar (default 1000000).")
        .option("decimals", "N", "Round prices to N decimals, 0…8 (default 2).")
        .option("symbol", "S", "Add a symbol column with this symbol.")
        .detail("""
            Writes time,open,high,low,close,volume (time,symbol,… with --symbol) to stdout.
            Each bar opens at the previous close; the close follows GBM over one interval, the
            high and low come from the Brownian bridge between open and close, so every bar is
            a valid OHLCV bar. Drift and volatility are per year of 365.25 days.
            Example: agora data synth --bars 5000 --seed 7 > data/SYN.csv
            """)

    static func run(_ args: Arguments) async throws -> Int32 {
        let series = try parseSeries(args)
        write(series, symbolColumn: args.string("symbol") != nil, out: Console.out)
        return 0
    }

    /// Writes the series as CSV through `out`; dates without a time of day for daily bars.
    static func write(_ series: SyntheticSeries, symbolColumn: Bool, out: (String) -> Void) {
        let daily = series.intervalSeconds % 86_400 == 0 && series.start.secondOfDay == 0
        var generator = SyntheticBarGenerator(series)
        out(CSVFormat.barHeader(symbolColumn: symbolColumn) + "\n")
        while let bar = generator.next() {
            out(CSVFormat.barLine(bar, symbolColumn: symbolColumn, dateOnly: daily))
        }
    }

    static func parseSeries(_ args: Arguments) throws(UsageError) -> SyntheticSeries {
        var s = SyntheticSeries()
        s.bars = try args.int("bars", default: s.bars, range: 0...100_000_000)
        s.seed = UInt64(try args.int("seed", default: Int(s.seed), range: 0...Int.max))
        s.drift = try args.double("drift", default: s.drift, range: -10...10)
        s.volatility = try args.double("volatility", default: s.volatility, range: 0...10)
        s.price = try args.double("price", default: s.price, range: 1e-6...1e12)
        s.volume = try args.double("volume", default: s.volume, range: 0...1e15)
        s.decimals = try args.int("decimals", default: 2, range: 0...8)
        if let text = args.string("interval") {
            guard let secs = parseInterval(text) else {
                throw UsageError("agora data synth: --interval: expected a duration such as 1d, 4h, 15m, 30s or a number of seconds, got '\(text)'")
            }
            s.intervalSeconds = secs
        }
        if let text = args.string("start") {
            guard let t = try? ISO8601.parse(text) else {
                throw UsageError("agora data synth: --start: \(ISO8601.problem(text))")
            }
            s.start = t
        }
        if let sym = args.string("symbol") { s.symbol = sym }
        if let p = s.problem() { throw UsageError("agora data synth: \(p)") }
        return s
    }

    /// `1d`, `4h`, `15m`, `30s`, `90` (seconds) → seconds; nil when malformed or not positive.
    static func parseInterval(_ text: String) -> Int64? {
        var t = Substring(text)
        var unit: Int64 = 1
        if let last = t.last, last.isLetter {
            switch last {
            case "d": unit = 86_400
            case "h": unit = 3600
            case "m": unit = 60
            case "s": unit = 1
            default: return nil
            }
            t.removeLast()
        }
        guard let n = Int64(t), n > 0 else { return nil }
        let (r, o) = n.multipliedReportingOverflow(by: unit)
        return o ? nil : r
    }
}
