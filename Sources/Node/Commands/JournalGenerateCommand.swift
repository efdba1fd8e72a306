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
        if let mismatch = verify(journal, injected: inject, perDay: perDay) { Console.err("warning: \(mismatch)\n") }
        return 0
    }

    /// The layout carries exactly its injected patterns at a few trades a day; at 1 a day
    /// some cannot occur, and at many a day the clean spacing falls inside the revenge
    /// window. So the journal is analysed (up to `verifyLimit` trades) and any difference
    /// between what was asked and what the analysis finds is said.
    static func verify(_ journal: [JournalTrade], injected: Set<PatternKind>, perDay: Int) -> String? {
        guard journal.count <= verifyLimit else { return nil }
        let found = Set(JournalAnalysis(journal).findings.filter(\.detected).map(\.kind))
        let missing = PatternKind.allCases.filter { injected.contains($0) && !found.contains($0) }
        let extra = PatternKind.allCases.filter { !injected.contains($0) && found.contains($0) }
        if missing.isEmpty && extra.isEmpty { return nil }
        var parts: [String] = []
        if !missing.isEmpty { parts.append("not detectable in it: " + missing.map(\.rawValue).joined(separator: ", ")) }
        if !extra.isEmpty { parts.append("detected without being injected: " + extra.map(\.rawValue).joined(separator: ", ")) }
        return "at \(perDay) trade\(perDay == 1 ? "" : "s") a day and \(JournalFormat.count(journal.count)) trades the layout does not carry exactly what was asked (\(parts.joined(separator: "; ")))"
    }

    static let verifyLimit = 1_000_000

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
