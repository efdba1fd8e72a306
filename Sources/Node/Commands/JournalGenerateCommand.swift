import Agents
import Bus

/// `agora journal generate OUT.csv`: a seeded synthetic journal, optionally carrying
/// behavioural patterns (for demos, tests and benchmarks).
enum JournalGenerateCommand: AgoraCommand {
    static let spec = CommandSpec("journal generate", summary: "Write a seeded synthetic journal (or execution export).")
        .positional("OUT", "The CSV file to write.")
        .option("trades", "N", "Trades to generate (default 400).")
        .option("seed", "N", "Random seed (default 1).")
        .option("per-day", "N", "Trades on a normal day (default 4).")
        .option("inject", "LIST", "Patterns to inject, comma-separated, or 'all': " + PatternKind.allCases.map(\.rawValue).joined(separator: ", ") + ".")
        .option("format", "KIND", "journal (default) or executions (one fill per row, entries split in partial fills).")

    static func run(_ args: Arguments) async throws -> Int32 {
        let out = args.positional(0)!
        let trades = try args.int("trades", default: 400, range: 1...50_000_000)
        let seed = try args.int("seed", default: 1)
        let perDay = try args.int("per-day", default: 4, range: 1...200)
        let format = try args.choice("format", ["journal", "executions"], default: "journal")
        let inject = try parseInject(args.string("inject"))
        let journal = SyntheticJournal.generate(.init(trades: trades, seed: UInt64(seed), inject: inject, tradesPerDay: perDay))
        do {
            if format == "journal" {
                try JournalFile.write(journal, to: out)
            } else {
                try JournalFile.writeExecutions(journal, to: out, splitEntries: true)
            }
        } catch {
            throw CommandError(error.description)
        }
        Console.out("wrote \(JournalFormat.count(journal.count)) trades to \(out)\(inject.isEmpty ? "" : " with " + PatternKind.allCases.filter(inject.contains).map(\.rawValue).joined(separator: ", "))\n")
        return 0
    }

    static func parseInject(_ s: String?) throws(UsageError) -> Set<PatternKind> {
        guard let s, !s.isEmpty else { return [] }
        if s == "all" { return Set(PatternKind.allCases) }
        var out = Set<PatternKind>()
        for part in s.split(separator: ",") {
            let name = part.trimmingCharacters(in: " ")
            if name == "all" { throw UsageError("agora journal generate: --inject: 'all' stands alone (--inject all), not in a list") }
            guard let k = PatternKind(rawValue: name) else {
                throw UsageError("agora journal generate: --inject: unknown pattern '\(name)'; expected one of \(PatternKind.allCases.map(\.rawValue).joined(separator: ", ")) or all")
            }
            out.insert(k)
        }
        return out
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
