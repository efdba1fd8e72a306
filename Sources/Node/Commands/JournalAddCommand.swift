import Agents
import Bus

/// `agora journal add "Long 200 AAPL @ 187.20, out 190.55 stop 185 #fomo"`: free-text
/// capture of one trade into a journal file.
enum JournalAddCommand: AgoraCommand {
    static let spec = CommandSpec("journal add", summary: "Add a trade to a journal from a sentence.")
        .variadic("SENTENCE", "The trade in words (quote it: the shell treats #tags as comments).", min: 1)
        .option("file", "PATH", "The journal to append to (default journal.csv; created with a header).")
        .option("now", "TIME", "The moment of capture (default: the current time); missing times default to it.")
        .option("utc-offset", "MINUTES", "The clock the sentence's dates and times are on (default 0: UTC).")
        .flag("dry-run", "Print what was understood without writing.")
        .detail("""
            Grammar: [date] side quantity [shares] symbol @ price [time] {clause} [, note]
              side    long | buy | bought | short | sell | sold | shorted
              clauses out|exit|closed|covered|sold [at] PRICE [time],  stop|sl [at] PRICE,
                      fees AMOUNT,  [on] YYYY-MM-DD | today | yesterday
              time    HH:MM[:SS] right after the entry or exit price
              #word anywhere is a tag; the first comma-separated part that is not a clause
              starts the note. Example:
                agora journal add "Long 200 AAPL @ 187.20 09:45, out 190.55 10:30 stop 185, chased the open #fomo"
            See docs/journal.md.
            """)

    static func run(_ args: Arguments) async throws -> Int32 {
        let sentence = args.positionals.joined(separator: " ")
        let path = args.string("file") ?? "journal.csv"
        let offset = try args.int("utc-offset", default: 0, range: -1440...1440)
        var now = SystemClock().now()
        if let s = args.string("now") {
            do { now = try ISO8601.parse(s) } catch {
                throw UsageError("agora journal add: --now: \(error.description)")
            }
        }
        let captured: TradeCapture.Captured
        do {
            captured = try TradeCapture.parse(sentence, now: now, utcOffsetMinutes: offset)
        } catch {
            throw CommandError(error.message)
        }
        Console.out("understood: " + TradeCapture.describe(captured) + "\n")
        if args.flag("dry-run") { return 0 }
        do {
            let id = try JournalFile.append(captured.trade, to: path)
            Console.out("added trade \(id) to \(path)\n")
        } catch {
            throw CommandError(error.description)
        }
        return 0
    }
}
