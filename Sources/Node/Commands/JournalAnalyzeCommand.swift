import Agents
import Bus
import Foundation

/// `agora journal analyze FILE.csv`: a coaching report from a trade journal or an
/// execution export.
enum JournalAnalyzeCommand: AgoraCommand {
    static let spec = CommandSpec("journal analyze", summary: "Coaching report from a trade journal or execution export (CSV).")
        .positional("FILE", "A journal (one trade per row) or an execution export (one fill per row).")
        .option("json", "PATH", "Write the report as JSON ('-' for stdout).")
        .option("markdown", "PATH", "Write the report as Markdown ('-' for stdout; the default without --json).")
        .flag("skip-bad-rows", "Skip bad rows (each is reported and counted) instead of refusing the file.")
        .option("config", "PATH", "Analysis settings as JSON (JournalConfig; any subset of keys).")
        .option("format", "KIND", "auto (default, from the header), journal or executions.")
        .llmOptions(url: "Let an OpenAI-compatible server reword the report's sentences (numbers are checked; the template stays on any failure).")
        .detail("""
            Journal columns: id, symbol, side (long/short; buy/sell accepted), quantity, entry_time,
            entry_price, exit_time, exit_price, fees, stop_price (optional), tags (optional, ;-separated),
            notes (optional). Execution exports: time, symbol, side (buy/sell), quantity, price, fee
            (optional); fills are paired first-in-first-out into round trips.
            Times are ISO 8601; a time without a zone is UTC. See docs/journal.md.
            A bad row is reported as FILE:LINE: field: message; by default the whole file is refused.
            """)

    static func run(_ args: Arguments) async throws -> Int32 {
        let path = args.positional(0)!
        let formatName = try args.choice("format", ["auto", "journal", "executions"], default: "auto")
        let format: JournalFile.Format? = formatName == "auto" ? nil : JournalFile.Format(rawValue: formatName)
        let config = try args.string("config").map { p throws(CommandError) in try loadJournalConfig(p) } ?? JournalConfig()
        let loaded: JournalFile.Loaded
        do {
            loaded = try JournalFile.load(path: path, format: format)
        } catch {
            throw CommandError(error.description)
        }
        let skip = args.flag("skip-bad-rows")
        if !loaded.badRows.isEmpty {
            for e in loaded.badRows { Console.err((skip ? "skipped " : "") + e.description + "\n") }
            if !skip {
                let n = loaded.badRows.count
                throw CommandError("refused \(path): \(n) bad row\(n == 1 ? "" : "s") (fix \(n == 1 ? "it" : "them"), or use --skip-bad-rows to skip and count them)")
            }
        }
        for p in loaded.openPositions {
            Console.err("note: \(path):\(p.line): \(p.symbol) \(p.side.rawValue) \(Fmt.plain(p.quantity)) @ \(Fmt.plain(p.averagePrice)) is still open at the end of the export; not analysed\n")
        }
        let source = JournalSource(
            name: path, format: loaded.format.rawValue, rows: loaded.rows, skippedRows: loaded.badRows.count,
            openPositions: loaded.openPositions.count)
        var report = JournalAnalysis(loaded.trades, config: config).report(source: source)
        if let rephraser = try makeRephraser(args) {
            let outcome = await report.rephrase(with: rephraser)
            Console.err("llm: \(outcome.accepted) of \(outcome.sentences) sentences reworded" + (outcome.failure.map { "; kept the template: \($0)" } ?? "")
                        + (outcome.rejected.isEmpty ? "" : "; rejected \(outcome.rejected.count) that changed, dropped or added a fact, or were not plain sentences") + "\n")
        }
        let jsonPath = args.string("json")
        let mdPath = args.string("markdown") ?? (jsonPath == nil ? "-" : nil)
        if let jsonPath { try write(report.jsonText(pretty: true), to: jsonPath) }
        if let mdPath { try write(report.markdown, to: mdPath) }
        if jsonPath != "-" && mdPath != "-" {
            var line = "\(path): \(report.headline)"
            if !loaded.badRows.isEmpty { line += "; skipped \(loaded.badRows.count) bad row\(loaded.badRows.count == 1 ? "" : "s")" }
            let detected = report.patterns.filter { $0.finding.detected }.map { $0.finding.kind.rawValue }
            line += detected.isEmpty ? "; no behavioural pattern detected" : "; detected: " + detected.joined(separator: ", ")
            Console.out(line + "\n")
            for p in [jsonPath, mdPath].compactMap({ $0 }) { Console.out("wrote \(p)\n") }
        }
        return 0
    }

    /// The LLM rephraser the options ask for, if any.
    static func makeRephraser(_ args: Arguments) throws -> LLMReportRephraser? {
        guard let config = try LLMFlags.config(args) else { return nil }
        do {
            return try LLMReportRephraser(config: config)
        } catch let e as LLMConfigError {
            throw UsageError("agora \(args.spec.path): " + e.problems.joined(separator: "; "))
        }
    }

    static func write(_ text: String, to path: String) throws(CommandError) {
        if path == "-" {
            Console.out(text)
            return
        }
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw CommandError("\(path): cannot write: \(RunReports.writeFailure(path, error))")
        }
    }
}

/// Reads a `JournalConfig` from a JSON file: any subset of its keys, unknown keys refused,
/// each problem reported as `file: key.path: message`.
func loadJournalConfig(_ path: String) throws(CommandError) -> JournalConfig {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CommandError("\(path): cannot read the configuration file")
    }
    let config: JournalConfig
    do {
        config = try JSONDecoder().decode(JournalConfig.self, from: data)
    } catch let e as DecodingError where NumberDiagnosis.isUnlocated(e) {
        // Valid JSON, but a number that does not fit its field: name the key.
        if let json = try? JSONValue(parsing: String(decoding: data, as: UTF8.self)),
           let found = NumberDiagnosis.locate(JournalConfig.self, in: json, at: "") {
            throw CommandError("\(path): \(found.path): \(found.message)")
        }
        throw CommandError("\(path): " + describeDecodingError(e))
    } catch let e as DecodingError {
        throw CommandError("\(path): " + describeDecodingError(e))
    } catch {
        throw CommandError("\(path): \(error)")
    }
    if let problem = config.problems().first { throw CommandError("\(path): \(problem)") }
    return config
}

/// One line for a decoding error: `revenge.windowMinutes: expected a number`.
func describeDecodingError(_ e: DecodingError) -> String {
    func path(_ keys: [any CodingKey]) -> String {
        let p = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        return p.isEmpty ? "" : p + ": "
    }
    switch e {
    case .typeMismatch(let type, let c): return path(c.codingPath) + "expected \(typeName(type))"
    case .valueNotFound(let type, let c): return path(c.codingPath) + "expected \(typeName(type)), found null"
    case .keyNotFound(let k, let c): return path(c.codingPath) + "missing \"\(k.stringValue)\""
    case .dataCorrupted(let c):
        if c.codingPath.isEmpty { return "not valid JSON" }
        return path(c.codingPath) + c.debugDescription
    @unknown default: return "\(e)"
    }
}

private func typeName(_ t: Any.Type) -> String {
    switch t {
    case is Double.Type, is Int.Type: "a number"
    case is Bool.Type: "true or false"
    case is String.Type: "a string"
    default: "a " + String(describing: t).lowercased()
    }
}
