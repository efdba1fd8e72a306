import Agents
import Bus
import Foundation

/// `agora bench journal`: trades/s for a full analysis (metrics, every pattern, the
/// report in JSON and Markdown) of a synthetic journal carrying every pattern.
enum BenchJournalCommand: AgoraCommand {
    static let spec = CommandSpec("bench journal", summary: "Measure journal analysis throughput (release build).")
        .option("trades", "N", "Trades in the synthetic journal (default 1M).")
        .option("runs", "N", "Timed runs per scenario; the median is reported (default 3).")
        .option("seed", "N", "Seed of the synthetic journal (default 7).")
        .flag("no-csv", "Skip the scenario that reads the journal from a CSV file.")
        .flag("json", "Print one JSON object instead of a table.")
        .detail("""
            The journal has 20 trades a day and carries every behavioural pattern.
            Scenarios: the analysis of trades in memory (table, metrics, patterns, report,
            JSON and Markdown), and the same preceded by reading the journal's CSV file.
            Goal: a full analysis of 1M trades in under 2 s.
            """)

    struct Row {
        var scenario: String
        var seconds: Double
        var trades: Int
        var perSecond: Double { Double(trades) / seconds }
    }

    static func run(_ args: Arguments) async throws -> Int32 {
        let n = try args.int("trades", default: 1_000_000, range: 1...20_000_000)
        let runs = try args.int("runs", default: 3, range: 1...50)
        let seed = try args.int("seed", default: 7)
        warnIfDebug()
        var t0 = Monotonic.nanoseconds()
        let trades = SyntheticJournal.generate(.init(
            trades: n, seed: UInt64(seed), inject: Set(PatternKind.allCases), tradesPerDay: 20,
            start: Timestamp(seconds: 946_857_600))) // 2000-01-03
        let generateSeconds = Double(Monotonic.nanoseconds() - t0) / 1e9

        var outputBytes = 0
        var detected = 0
        func analyse(_ trades: [JournalTrade], source: JournalSource) -> Int {
            let report = JournalAnalysis(trades).report(source: source)
            detected = report.patterns.filter { $0.finding.detected }.count
            return report.jsonText(pretty: true).utf8.count + report.markdown.utf8.count
        }
        func journalMedian(_ samples: [Double]) -> Double { samples.sorted()[samples.count / 2] }

        var rows: [Row] = []
        var samples: [Double] = []
        for _ in 0..<runs {
            t0 = Monotonic.nanoseconds()
            outputBytes = analyse(trades, source: .bus)
            samples.append(Double(Monotonic.nanoseconds() - t0) / 1e9)
        }
        rows.append(Row(scenario: "analyse (in memory)", seconds: journalMedian(samples), trades: n))

        if !args.flag("no-csv") {
            let path = NSTemporaryDirectory() + "agora-bench-journal-\(getpid()).csv"
            defer { unlink(path) }
            do { try JournalFile.write(trades, to: path) } catch { throw CommandError(error.description) }
            samples = []
            for _ in 0..<runs {
                t0 = Monotonic.nanoseconds()
                let loaded: JournalFile.Loaded
                do { loaded = try JournalFile.load(path: path) } catch { throw CommandError(error.description) }
                guard loaded.badRows.isEmpty, loaded.trades.count == n else {
                    throw CommandError("the synthetic journal did not read back: \(loaded.badRows.first?.description ?? "\(loaded.trades.count) trades")")
                }
                _ = analyse(loaded.trades, source: JournalSource(name: path, format: "journal", rows: loaded.rows))
                samples.append(Double(Monotonic.nanoseconds() - t0) / 1e9)
            }
            rows.append(Row(scenario: "read CSV + analyse", seconds: journalMedian(samples), trades: n))
        }

        let analysis = rows[0]
        let goalSeconds = 2.0 * Double(n) / 1e6
        if args.flag("json") {
            var j = BenchJSON(bench: "journal")
            j.w.field("trades", n)
            j.w.field("runs", runs)
            j.w.field("generate_seconds", generateSeconds)
            j.w.field("patterns_detected", detected)
            j.w.field("report_bytes", outputBytes)
            j.w.key("results")
            j.w.beginArray()
            for r in rows {
                j.w.beginObject()
                j.w.field("scenario", r.scenario)
                j.w.field("seconds", r.seconds)
                j.w.field("trades_per_s", r.perSecond)
                j.w.endObject()
            }
            j.w.endArray()
            j.w.key("goals")
            j.w.beginObject()
            j.w.field("analysis_seconds", analysis.seconds)
            j.w.field("goal_seconds", goalSeconds)
            j.w.field("analysis_ratio_to_goal", analysis.seconds / goalSeconds)
            j.w.endObject()
            Console.out(j.finish())
            return 0
        }
        var table = TextTable(["scenario", "trades", "seconds", "trades/s"])
        for r in rows { table.add([r.scenario, Fmt.grouped(Double(r.trades)), Fmt.fixed(r.seconds, 3), rateString(r.perSecond)]) }
        Console.out("Journal analysis, synthetic journal with every pattern (median of \(runs) run\(runs == 1 ? "" : "s"); generated in \(Fmt.fixed(generateSeconds, 2)) s)\n")
        Console.out("\(detected) of \(PatternKind.allCases.count) patterns detected; report \(Fmt.grouped(Double(outputBytes))) bytes (JSON + Markdown)\n\n")
        Console.out(table.rendered)
        Console.out("""

            goal  full analysis of \(Fmt.grouped(Double(n))) trades in < \(Fmt.fixed(goalSeconds, 2)) s:  \(Fmt.fixed(analysis.seconds, 3)) s  (\(Fmt.fixed(analysis.seconds / goalSeconds, 2))× goal) \(verdict(analysis.seconds < goalSeconds))

            """)
        return 0
    }
}
