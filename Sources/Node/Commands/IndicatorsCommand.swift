import Agents
import Bus

/// `agora indicators FILE.csv`: the standard indicators of one symbol, as CSV on stdout.
enum IndicatorsCommand: AgoraCommand {
    static let spec = CommandSpec("indicators", summary: "Compute the standard indicators of a bar file, as CSV.")
        .positional("FILE", "A bar CSV file (Yahoo or time,open,high,low,close,volume).")
        .option("symbol", "S", "The symbol to read from a file with a symbol column (or the name of a file without one).")
        .option("sma", "N", "SMA period (default 20).")
        .option("ema", "N", "EMA period (default 20).")
        .option("rsi", "N", "RSI period (default 14).")
        .option("macd", "F,S,G", "MACD fast, slow and signal periods (default 12,26,9).")
        .option("bb", "N[,K]", "Bollinger period and deviations (default 20,2).")
        .option("atr", "N", "ATR period (default 14).")
        .option("stoch", "K,S,D", "Stochastic %K period, %K smoothing and %D period (default 14,3,3).")
        .flag("skip-bad-rows", "Skip bad rows (counted and reported on stderr) instead of refusing the file.")
        .detail("""
            Columns: time, sma_N, ema_N, rsi_N, macd, macd_signal, macd_hist, bb_upper, bb_middle,
            bb_lower, atr_N, stoch_k, stoch_d, obv. A value still in its warm-up is an empty cell.
            Definitions, warm-up lengths and seeding follow TA-Lib (docs/market-data.md).
            The file is checked completely before anything is written.
            """)

    static func run(_ args: Arguments) async throws -> Int32 {
        let periods = try parsePeriods(args)
        let path = args.positional(0)!
        let options = BarCSVReader.Options(symbol: args.string("symbol"), skipBadRows: args.flag("skip-bad-rows"))
        do {
            try write(path: path, options: options, periods: periods, out: Console.out, err: Console.err)
        } catch {
            throw CommandError(error.description)
        }
        return 0
    }

    /// Writes the CSV through `out`; the skip report (if any) goes to `err`.
    static func write(
        path: String, options: BarCSVReader.Options, periods: IndicatorPeriods,
        out: (String) -> Void, err: (String) -> Void
    ) throws(InputError) {
        // Refuse a bad file (or one without the symbol asked for) before writing anything.
        var bars = 0
        try forEachBar(path: path, options: BarCSVReader.Options(symbol: options.symbol, skipBadRows: true)) { _ in bars += 1 }
        if !options.skipBadRows {
            try forEachBar(path: path, options: options) { _ in }
        }
        if bars == 0 {
            throw InputError(file: path, options.symbol.map { "no bars of symbol \"\($0)\" (symbols are matched exactly, case included)" } ?? "no bars")
        }
        var set = IndicatorSet(periods: periods)
        out("time," + periods.columns.joined(separator: ",") + "\n")
        var line = ""
        line.reserveCapacity(256)
        let skipped = try forEachBar(path: path, options: options) { bar in
            let row = set.update(bar)
            line.removeAll(keepingCapacity: true)
            line += bar.time.iso8601
            for cell in row.cells {
                line += ","
                if let v = cell { line += CSVFormat.number(v) }
            }
            line += "\n"
            out(line)
        }
        if let skipped, skipped.count > 0 { err("agora indicators: \(skipped)\n") }
    }

    /// Reads every bar of one symbol; a second symbol without `--symbol` is an error.
    @discardableResult
    static func forEachBar(path: String, options: BarCSVReader.Options, _ body: (Bar) -> Void) throws(InputError) -> SkipReport? {
        let reader = try BarCSVReader(path: path, options: options)
        var first: String?
        while let r = try reader.next() {
            if let s = first, s != r.bar.symbol {
                throw InputError(file: path, line: r.line, field: "symbol",
                                 "the file holds more than one symbol (\(s), then \(r.bar.symbol)); choose one with --symbol")
            }
            first = r.bar.symbol
            body(r.bar)
        }
        return reader.skipped
    }

    static func parsePeriods(_ args: Arguments) throws(UsageError) -> IndicatorPeriods {
        var p = IndicatorPeriods()
        p.sma = try args.int("sma", default: p.sma, range: 1...100_000)
        p.ema = try args.int("ema", default: p.ema, range: 1...100_000)
        p.rsi = try args.int("rsi", default: p.rsi, range: 1...100_000)
        p.atr = try args.int("atr", default: p.atr, range: 1...100_000)
        if let m = try intList(args, "macd", count: 3...3) { (p.macdFast, p.macdSlow, p.macdSignal) = (m[0], m[1], m[2]) }
        if let s = try intList(args, "stoch", count: 3...3) { (p.stochK, p.stochKSmoothing, p.stochD) = (s[0], s[1], s[2]) }
        if let text = args.string("bb") {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard (1...2).contains(parts.count), let n = Int(parts[0]), (1...100_000).contains(n),
                  parts.count == 1 || Double(parts[1]).map({ $0.isFinite && $0 > 0 }) == true else {
                throw UsageError("agora indicators: --bb: expected N or N,K (period 1…100000, deviations > 0), got '\(text)'")
            }
            p.bollinger = n
            if parts.count == 2 { p.bollingerDeviations = Double(parts[1])! }
        }
        if let problem = p.problem() { throw UsageError("agora indicators: \(problem)") }
        return p
    }

    static func intList(_ args: Arguments, _ name: String, count: ClosedRange<Int>) throws(UsageError) -> [Int]? {
        guard let text = args.string(name) else { return nil }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
        guard count.contains(parts.count), parts.allSatisfy({ $0 != nil && (1...100_000).contains($0!) }) else {
            throw UsageError("agora indicators: --\(name): expected \(count.lowerBound) comma-separated periods in 1…100000, got '\(text)'")
        }
        return parts.map { $0! }
    }
}
