import Agents
import Bus
import Foundation
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
        .llmOptions(url: "Also ask an OpenAI-compatible server (e.g. http://127.0.0.1:11434/v1).")
        .option("llm-cache", "FILE", "A JSON Lines cache of answers, kept across runs.")
        .option("llm-concurrency", "N", "Requests in flight at once (default 4).")
        .detail("""
            Output, one line per input line (empty lines included):
              {"text":…,"compound":…,"pos":…,"neu":…,"neg":…}
            With --news: {"id":…,"time":…,"symbols":[…],"text":…,"compound":…,…} per item, in time order.
            The compound score is in [-1, 1]; pos, neu and neg are proportions of the text.
            With --llm-url each line also gets "llm":{"score":…,"reason":…,"cached":…}, or
            "llm":{"error":KIND,"message":…} when the model failed (the lexicon score stands);
            a summary of the model's requests and failures goes to standard error.
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
        let llm = try makeLLM(args)
        if let problem = llm?.client.keyProblem {
            Console.err("agora sentiment: warning: \(problem); the model will not be asked\n")
        }
        var batch: [(text: String, item: NewsItem?)] = []
        func flush() async {
            var answers: [Result<LLMHeadlineScore, LLMFailure>?] = Array(repeating: nil, count: batch.count)
            if let llm {
                let texts = batch.map(\.text)
                await withTaskGroup(of: (Int, Result<LLMHeadlineScore, LLMFailure>).self) { g in
                    for (i, t) in texts.enumerated() where !t.trimmingCharacters(in: .whitespaces).isEmpty {
                        g.addTask { (i, await llm.score(t)) }
                    }
                    for await (i, r) in g { answers[i] = r }
                }
            }
            var w = JSONWriter(capacity: 512)
            for (i, rec) in batch.enumerated() {
                w.reset()
                w.beginObject()
                if let item = rec.item {
                    w.field("id", item.id)
                    w.field("time", item.time)
                    w.field("symbols", item.symbols)
                }
                writeScore(&w, rec.text, scorer.score(rec.text), precise)
                if let a = answers[i] {
                    w.key("llm")
                    w.beginObject()
                    switch a {
                    case .success(let s):
                        w.field("score", s.score)
                        w.field("reason", s.reason)
                        w.field("cached", s.cached)
                    case .failure(let f):
                        w.field("error", f.kind.rawValue)
                        w.field("message", f.message)
                    }
                    w.endObject()
                }
                w.endObject()
                Console.out(w.string + "\n")
            }
            batch.removeAll(keepingCapacity: true)
        }
        let batchSize = llm == nil ? 1024 : 64
        if let path = args.string("news") {
            let items: [NewsItem]
            do { items = try NewsFile.read(path: path) } catch { throw CommandError(error.description) }
            for item in items {
                batch.append((item.headline, item))
                if batch.count == batchSize { await flush() }
            }
        } else {
            let input: LineReader
            do { input = try LineReader(path: "/dev/stdin") } catch { throw CommandError(error.description) }
            do {
                while let line = try input.nextLine() {
                    batch.append((line, nil))
                    if batch.count == batchSize { await flush() }
                }
            } catch { throw CommandError(error.description) }
        }
        await flush()
        if let llm { Console.err(summary(llm.client.statistics)) }
        return 0
    }

    /// The language-model scorer the options ask for, if any.
    static func makeLLM(_ args: Arguments) throws -> LLMHeadlineScorer? {
        guard let config = try LLMFlags.config(args, extra: ["llm-cache", "llm-concurrency"], customize: { c in
            c.maxConcurrent = try args.int("llm-concurrency", default: 4, range: 1...256)
            c.cacheFile = args.string("llm-cache")
        }) else { return nil }
        do {
            return LLMHeadlineScorer(client: try ChatCompletionsClient(config: config))
        } catch let e as LLMConfigError {
            throw UsageError("agora \(args.spec.path): " + e.problems.joined(separator: "; "))
        } catch let e as InputError {
            throw CommandError(e.description)
        }
    }

    static func summary(_ s: LLMStatistics) -> String {
        var out = "llm: \(s.requests) requests, \(s.succeeded) answered (\(s.cacheHits) from the cache), \(s.attempts) HTTP attempts, \(s.retries) retries"
        if !s.failures.isEmpty {
            out += "; failed: " + s.failures.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
        }
        return out + "\n"
    }

    static func writeScore(_ w: inout JSONWriter, _ text: String, _ s: SentimentScore, _ precise: Bool) {
        w.field("text", text)
        w.field("compound", precise ? s.compound : pythonRound(s.compound, 4))
        w.field("pos", precise ? s.positive : pythonRound(s.positive, 3))
        w.field("neu", precise ? s.neutral : pythonRound(s.neutral, 3))
        w.field("neg", precise ? s.negative : pythonRound(s.negative, 3))
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

extension CommandSpec {
    /// `--llm-url`, `--llm-model`, `--llm-key-env` and `--llm-timeout`, read by `LLMFlags.config`.
    func llmOptions(url help: String) -> CommandSpec {
        option("llm-url", "URL", help)
            .option("llm-model", "NAME", "The model to ask (required with --llm-url).")
            .option("llm-key-env", "VAR", "The environment variable holding the API key (none by default).")
            .option("llm-timeout", "S", "Time limit per request attempt, seconds (default 10).")
    }
}

/// The `--llm-*` options shared by `sentiment` and `journal analyze`.
enum LLMFlags {
    /// The settings `--llm-url`, `--llm-model`, `--llm-key-env` and `--llm-timeout` ask for
    /// (nil without `--llm-url`; any other `--llm-…` option without it is a usage error).
    static func config(_ args: Arguments, extra: [String] = [], customize: (inout LLMConfig) throws -> Void = { _ in }) throws -> LLMConfig? {
        guard let url = args.string("llm-url") else {
            for o in ["llm-model", "llm-key-env", "llm-timeout"] + extra where args.string(o) != nil {
                throw UsageError("agora \(args.spec.path): --\(o) needs --llm-url URL")
            }
            return nil
        }
        guard let model = args.string("llm-model") else { throw UsageError("agora \(args.spec.path): --llm-url needs --llm-model NAME") }
        var config = LLMConfig(baseURL: url, model: model, apiKeyEnv: args.string("llm-key-env"),
                               timeoutSeconds: try args.double("llm-timeout", default: 10, range: 0.001...600))
        try customize(&config)
        // The settings' problems, named by the flag that gave the value.
        let flags = ["baseURL": "--llm-url", "model": "--llm-model", "apiKeyEnv": "--llm-key-env", "timeoutSeconds": "--llm-timeout"]
        if let p = config.problems().first {
            let field = String(p.prefix { $0 != ":" })
            let named = flags[field].map { $0 + p.dropFirst(field.count) } ?? p
            throw UsageError("agora \(args.spec.path): \(named)")
        }
        return config
    }
}
