import Agents
import Bus
#if canImport(Glibc)
import Glibc
#endif

/// `agora sentiment`: scores one text per line of standard input (or the headlines of a
/// news file) and writes one JSON line per text.
enum SentimentCommand: AgoraCommand {
    static let spec = CommandSpec("sentiment", summary: "Score texts (one per stdin line) with the sentiment scorer.")
        .option("lexicon", "FILE", "Use this lexicon file instead of the built-in finance lexicon.")
        .option("lexicon-format", "FORMAT", "vader (tab-separated, the default) or lm (Loughran–McDonald CSV).")
        .option("rules", "RULES", "vader or finance (default: finance with the built-in lexicon, vader with a file).")
        .flag("lexicon-phrases", "Match multi-word entries of a VADER file as phrases (VADER itself never does).")
        .flag("precise", "Print full-precision scores instead of VADER's rounding (compound 4 decimals, proportions 3).")
        .option("news", "FILE.jsonl", "Score the headlines of a news file instead of standard input.")
        .flag("dump-lexicon", "Print the lexicon in VADER's format (phrases included) and exit.")
        .detail("""
            Output, one line per input line (empty lines included):
              {"text":…,"compound":…,"pos":…,"neu":…,"neg":…}
            With --news: {"id":…,"time":…,"symbols":[…],"text":…,"compound":…,…} per item, in time order.
            The compound score is in [-1, 1]; pos, neu and neg are proportions of the text.
            """)

    static func run(_ args: Arguments) async throws -> Int32 {
        let (lexicon, rules) = try makeLexicon(args)
        if args.flag("dump-lexicon") {
            for (k, v) in lexicon.words.merging(lexicon.phrases, uniquingKeysWith: { a, _ in a }).sorted(by: { $0.key < $1.key }) {
                Console.out("\(k)\t\(v)\n")
            }
            return 0
        }
        let scorer = SentimentScorer(lexicon: lexicon, rules: rules)
        let precise = args.flag("precise")
        var w = JSONWriter(capacity: 512)
        if let path = args.string("news") {
            let items: [NewsItem]
            do { items = try NewsFile.read(path: path) } catch { throw CommandError(error.description) }
            for item in items {
                w.reset()
                w.beginObject()
                w.field("id", item.id)
                w.field("time", item.time)
                w.field("symbols", item.symbols)
                writeScore(&w, item.headline, scorer.score(item.headline), precise)
                Console.out(w.string + "\n")
            }
            return 0
        }
        let input: LineReader
        do { input = try LineReader(path: "/dev/stdin") } catch { throw CommandError(error.description) }
        do {
            while let line = try input.nextLine() {
                w.reset()
                w.beginObject()
                writeScore(&w, line, scorer.score(line), precise)
                Console.out(w.string + "\n")
            }
        } catch { throw CommandError(error.description) }
        return 0
    }

    static func writeScore(_ w: inout JSONWriter, _ text: String, _ s: SentimentScore, _ precise: Bool) {
        w.field("text", text)
        w.field("compound", precise ? s.compound : pythonRound(s.compound, 4))
        w.field("pos", precise ? s.positive : pythonRound(s.positive, 3))
        w.field("neu", precise ? s.neutral : pythonRound(s.neutral, 3))
        w.field("neg", precise ? s.negative : pythonRound(s.negative, 3))
        w.endObject()
    }

    /// The lexicon and rules the options ask for.
    static func makeLexicon(_ args: Arguments) throws -> (Lexicon, SentimentRules) {
        let rulesName = try args.string("rules").map { _ in try args.choice("rules", ["vader", "finance"], default: "vader") }
        guard let path = args.string("lexicon") else {
            if args.string("lexicon-format") != nil { throw UsageError("agora \(args.spec.path): --lexicon-format needs --lexicon FILE") }
            return (.finance, rulesName == "vader" ? .vader : .finance)
        }
        let format = LexiconFormat(rawValue: try args.choice("lexicon-format", LexiconFormat.allCases.map(\.rawValue), default: "vader"))!
        let lexicon: Lexicon
        do {
            lexicon = try Lexicon.load(path: path, format: format, phrases: args.flag("lexicon-phrases"))
        } catch { throw CommandError(error.description) }
        return (lexicon, rulesName == "finance" ? .finance : .vader)
    }

    /// Python's `round(x, digits)`: the nearest multiple of 10⁻ᵈ to the exact binary value,
    /// ties to even, as VADER reports its scores.
    static func pythonRound(_ x: Double, _ digits: Int32) -> Double {
        var buf = [CChar](repeating: 0, count: 64)
        _ = withVaList([x]) { vsnprintf(&buf, 64, "%.\(digits)f", $0) }
        let v = strtod(buf, nil)
        return v == 0 ? 0 : v
    }
}
