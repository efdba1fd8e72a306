import Agents
import Bus
import Foundation

/// `agora bench sentiment`: headlines per second for the lexicon scorer on one core.
enum BenchSentimentCommand: AgoraCommand {
    static let spec = CommandSpec("bench sentiment", summary: "Measure the sentiment scorer's headlines/s on one core (release build).")
        .option("headlines", "N", "Headlines scored per lexicon (default 1M).")
        .option("lexicon", "FILE", "Also measure this lexicon file (e.g. VADER's vader_lexicon.txt).")
        .option("lexicon-format", "FORMAT", "vader (default) or lm.")
        .option("seed", "N", "Seed of the synthetic headlines (default 1).")
        .flag("json", "Print one JSON object instead of a table.")
        .detail("""
            Scores synthetic market headlines (seeded: company names, finance words and
            phrases, boosters, negations, "but", capitals, numbers and punctuation; 8–16
            words) one after another on the calling thread. Goal: ≥200k headlines/s on one
            core with the built-in lexicon.
            """)

    struct Row {
        var lexicon: String
        var entries: Int
        var headlines: Int
        var seconds: Double
        var rate: Double { Double(headlines) / seconds }
    }

    static func run(_ args: Arguments) async throws -> Int32 {
        let n = try args.int("headlines", default: 1_000_000, range: 1...100_000_000)
        let seed = try args.int("seed", default: 1, range: 0...Int.max)
        warnIfDebug()
        var scorers: [(String, Int, SentimentScorer)] = [("builtin-finance", Lexicon.finance.count, .finance)]
        if let path = args.string("lexicon") {
            let format = LexiconFormat(rawValue: try args.choice("lexicon-format", LexiconFormat.allCases.map(\.rawValue), default: "vader"))!
            let lex: Lexicon
            do { lex = try Lexicon.load(path: path, format: format) } catch { throw CommandError(error.description) }
            scorers.append((lex.name, lex.count, SentimentScorer(lexicon: lex, rules: format == .vader ? .vader : .finance)))
        }
        let headlines = makeHeadlines(count: min(n, 100_000), seed: UInt64(seed))
        let avgWords = Double(headlines.reduce(0) { $0 + $1.split(separator: " ").count }) / Double(headlines.count)
        var rows: [Row] = []
        var checksum = 0.0
        for (name, entries, scorer) in scorers {
            // Warm-up, then the measured run.
            for h in headlines.prefix(10_000) { checksum += scorer.score(h).compound }
            let t0 = Monotonic.nanoseconds()
            var i = 0
            for _ in 0..<n {
                checksum += scorer.score(headlines[i]).compound
                i += 1
                if i == headlines.count { i = 0 }
            }
            let seconds = Double(Monotonic.nanoseconds() - t0) / 1e9
            rows.append(Row(lexicon: name, entries: entries, headlines: n, seconds: seconds))
        }
        let goal = 200_000.0
        let main = rows[0].rate
        if args.flag("json") {
            var j = BenchJSON(bench: "sentiment")
            j.w.field("words_per_headline", avgWords)
            j.w.key("results")
            j.w.beginArray()
            for r in rows {
                j.w.beginObject()
                j.w.field("lexicon", r.lexicon)
                j.w.field("entries", r.entries)
                j.w.field("headlines", r.headlines)
                j.w.field("seconds", r.seconds)
                j.w.field("headlines_per_s", r.rate)
                j.w.field("ns_per_headline", 1e9 / r.rate)
                j.w.endObject()
            }
            j.w.endArray()
            j.w.field("goal_headlines_per_s", goal)
            j.w.field("ratio_to_goal", main / goal)
            j.w.field("checksum", checksum)
            Console.out(j.finish())
            return 0
        }
        var t = TextTable(["lexicon", "entries", "headlines", "seconds", "headlines/s", "ns/headline"])
        for r in rows {
            t.add([r.lexicon, Fmt.grouped(Double(r.entries)), Fmt.grouped(Double(r.headlines)), Fmt.fixed(r.seconds, 3),
                   rateString(r.rate), Fmt.fixed(1e9 / r.rate, 0)])
        }
        Console.out("Sentiment scorer, one core, synthetic headlines (\(Fmt.fixed(avgWords, 1)) words on average)\n\n")
        Console.out(t.rendered)
        Console.out("\ngoal  ≥200k headlines/s (built-in lexicon):  \(rateString(main))/s  (\(Fmt.fixed(main / goal, 2))× goal) \(verdict(main >= goal))\n")
        withExtendedLifetime(checksum) {}
        return 0
    }

    /// Seeded synthetic headlines.
    static func makeHeadlines(count: Int, seed: UInt64) -> [String] {
        var rng = SplitMix64(seed: seed)
        let companies = ["Apple", "Microsoft", "Tesla", "Nvidia", "Amazon", "Meta", "Alphabet", "Boeing", "JPMorgan", "Pfizer", "Intel", "Netflix", "AMD", "Exxon", "Walmart"]
        let words = Lexicon.finance.words.keys.sorted()
        let phrases = Lexicon.finance.phrases.keys.sorted()
        let neutral = ["shares", "stock", "quarter", "Q3", "revenue", "after", "as", "on", "the", "a", "of", "to", "in", "analysts",
                       "say", "report", "results", "update", "CEO", "FY2024", "$4.2B", "12%", "investors", "market", "deal", "with", "for"]
        let modifiers = ["sharply", "slightly", "very", "not", "no", "never", "despite", "but", "barely", "most", "isn't"]
        func pick<T>(_ a: [T]) -> T { a[Int(rng.next() % UInt64(a.count))] }
        var out: [String] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            let len = 8 + Int(rng.next() % 9)
            var parts = [pick(companies)]
            while parts.count < len {
                let r = rng.next() % 100
                var w = r < 22 ? pick(words) : r < 30 ? pick(phrases) : r < 40 ? pick(modifiers) : pick(neutral)
                if rng.next() % 20 == 0 { w = w.uppercased() }
                parts.append(w)
            }
            var h = parts.joined(separator: " ")
            switch rng.next() % 10 {
            case 0: h += "!"
            case 1: h += "?"
            case 2: h = h.replacingOccurrences(of: " after ", with: ", after ")
            case 3: h += "; " + pick(companies) + " " + pick(words)
            default: break
            }
            out.append(h)
        }
        return out
    }
}
