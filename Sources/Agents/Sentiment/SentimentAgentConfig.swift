import Bus
import Foundation

/// Settings of the sentiment agent (the `sentiment` section of `topology.json`). Every
/// field has a default, so `{}` is a valid configuration.
public struct SentimentAgentConfig: Codable, Sendable, Equatable {
    /// Half-life of a news item's weight, in days of the decay clock. Default 1 (one
    /// trading day).
    public var halfLifeDays: Double
    /// `trading` (weekends do not age news; the default) or `calendar`.
    public var decayClock: DecayClock
    /// Items older than this many half-lives are dropped. Default 5 (weight < 1/32).
    public var maxAgeHalfLives: Double
    /// The total decayed weight of news at which confidence is 0.5. Default 1 (one fresh item).
    public var halfConfidenceWeight: Double
    /// Score at or above which the vote is buy. Default 0.05.
    public var buyThreshold: Double
    /// Score at or below which the vote is sell. Default -0.05.
    public var sellThreshold: Double
    /// Headlines named in a vote's reason. Default 3.
    public var reasonHeadlines: Int
    /// Items kept per symbol (the oldest go first). Default 256.
    public var maxItemsPerSymbol: Int
    /// Also score the body, when there is one: the item's score is then the mean of the
    /// headline's and the body's. Default false (headlines carry the news).
    public var includeBody: Bool
    /// A lexicon file instead of the built-in finance lexicon. Default nil.
    public var lexicon: LexiconFile?
    /// `finance` (VADER's rules plus headline degree adverbs; the default) or `vader`.
    public var rules: String
    /// Optional language-model scoring. Default nil (lexicon only).
    public var llm: LLMConfig?
    /// How long a vote may wait for language-model scores still in flight, seconds, from
    /// the bar's arrival. Past it the vote uses the lexicon scores. Default 1.
    public var llmVoteDeadlineSeconds: Double

    public struct LexiconFile: Codable, Sendable, Equatable {
        public var path: String
        /// `vader` or `lm`. Default `vader`.
        public var format: LexiconFormat
        /// Match multi-word entries of a VADER file as phrases. Default false.
        public var phrases: Bool

        public init(path: String, format: LexiconFormat = .vader, phrases: Bool = false) {
            self.path = path
            self.format = format
            self.phrases = phrases
        }

        public init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(["path", "format", "phrases"], in: "lexicon")
            let c = try decoder.container(keyedBy: CodingKeys.self)
            path = try c.decode(String.self, forKey: .path)
            format = try c.decodeIfPresent(LexiconFormat.self, forKey: .format) ?? .vader
            phrases = try c.decodeIfPresent(Bool.self, forKey: .phrases) ?? false
        }
    }

    public init(
        halfLifeDays: Double = 1, decayClock: DecayClock = .trading, maxAgeHalfLives: Double = 5,
        halfConfidenceWeight: Double = 1, buyThreshold: Double = 0.05, sellThreshold: Double = -0.05,
        reasonHeadlines: Int = 3, maxItemsPerSymbol: Int = 256, includeBody: Bool = false,
        lexicon: LexiconFile? = nil, rules: String = "finance", llm: LLMConfig? = nil, llmVoteDeadlineSeconds: Double = 1
    ) {
        self.halfLifeDays = halfLifeDays
        self.decayClock = decayClock
        self.maxAgeHalfLives = maxAgeHalfLives
        self.halfConfidenceWeight = halfConfidenceWeight
        self.buyThreshold = buyThreshold
        self.sellThreshold = sellThreshold
        self.reasonHeadlines = reasonHeadlines
        self.maxItemsPerSymbol = maxItemsPerSymbol
        self.includeBody = includeBody
        self.lexicon = lexicon
        self.rules = rules
        self.llm = llm
        self.llmVoteDeadlineSeconds = llmVoteDeadlineSeconds
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case halfLifeDays, decayClock, maxAgeHalfLives, halfConfidenceWeight, buyThreshold, sellThreshold
        case reasonHeadlines, maxItemsPerSymbol, includeBody, lexicon, rules, llm, llmVoteDeadlineSeconds
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue), in: "sentiment")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SentimentAgentConfig()
        halfLifeDays = try c.decodeIfPresent(Double.self, forKey: .halfLifeDays) ?? d.halfLifeDays
        decayClock = try c.decodeIfPresent(DecayClock.self, forKey: .decayClock) ?? d.decayClock
        maxAgeHalfLives = try c.decodeIfPresent(Double.self, forKey: .maxAgeHalfLives) ?? d.maxAgeHalfLives
        halfConfidenceWeight = try c.decodeIfPresent(Double.self, forKey: .halfConfidenceWeight) ?? d.halfConfidenceWeight
        buyThreshold = try c.decodeIfPresent(Double.self, forKey: .buyThreshold) ?? d.buyThreshold
        sellThreshold = try c.decodeIfPresent(Double.self, forKey: .sellThreshold) ?? d.sellThreshold
        reasonHeadlines = try c.decodeIfPresent(Int.self, forKey: .reasonHeadlines) ?? d.reasonHeadlines
        maxItemsPerSymbol = try c.decodeIfPresent(Int.self, forKey: .maxItemsPerSymbol) ?? d.maxItemsPerSymbol
        includeBody = try c.decodeIfPresent(Bool.self, forKey: .includeBody) ?? d.includeBody
        lexicon = try c.decodeIfPresent(LexiconFile.self, forKey: .lexicon)
        rules = try c.decodeIfPresent(String.self, forKey: .rules) ?? d.rules
        llm = try c.decodeIfPresent(LLMConfig.self, forKey: .llm)
        llmVoteDeadlineSeconds = try c.decodeIfPresent(Double.self, forKey: .llmVoteDeadlineSeconds) ?? d.llmVoteDeadlineSeconds
    }

    /// Every problem with the settings, each naming its field; empty when usable.
    public func problems() -> [String] {
        var out: [String] = []
        if !(halfLifeDays > 0 && halfLifeDays.isFinite) { out.append("halfLifeDays: expected > 0, got \(halfLifeDays)") }
        if !(maxAgeHalfLives > 0 && maxAgeHalfLives <= 64) { out.append("maxAgeHalfLives: expected 0 < n ≤ 64, got \(maxAgeHalfLives)") }
        if !(halfConfidenceWeight > 0 && halfConfidenceWeight.isFinite) { out.append("halfConfidenceWeight: expected > 0, got \(halfConfidenceWeight)") }
        if !(buyThreshold >= 0 && buyThreshold <= 1) { out.append("buyThreshold: expected 0…1, got \(buyThreshold)") }
        if !(sellThreshold <= 0 && sellThreshold >= -1) { out.append("sellThreshold: expected -1…0, got \(sellThreshold)") }
        if !(0...20).contains(reasonHeadlines) { out.append("reasonHeadlines: expected 0…20, got \(reasonHeadlines)") }
        if !(1...100_000).contains(maxItemsPerSymbol) { out.append("maxItemsPerSymbol: expected 1…100000, got \(maxItemsPerSymbol)") }
        if rules != "finance" && rules != "vader" { out.append("rules: expected \"finance\" or \"vader\", got \"\(rules)\"") }
        if !(llmVoteDeadlineSeconds >= 0 && llmVoteDeadlineSeconds <= 600) { out.append("llmVoteDeadlineSeconds: expected 0…600, got \(llmVoteDeadlineSeconds)") }
        if let llm { out += llm.problems().map { "llm." + $0 } }
        return out
    }

    public var decay: DecayParameters {
        DecayParameters(halfLifeDays: halfLifeDays, clock: decayClock, maxAgeHalfLives: maxAgeHalfLives, halfConfidenceWeight: halfConfidenceWeight)
    }

    public var voter: SentimentVoter {
        SentimentVoter(buyThreshold: buyThreshold, sellThreshold: sellThreshold, reasonHeadlines: reasonHeadlines)
    }

    /// The scorer these settings describe (loads the lexicon file, if any).
    public func makeScorer() throws(InputError) -> SentimentScorer {
        let r: SentimentRules = rules == "vader" ? .vader : .finance
        guard let lexicon else { return SentimentScorer(lexicon: .finance, rules: r) }
        return SentimentScorer(lexicon: try Lexicon.load(path: lexicon.path, format: lexicon.format, phrases: lexicon.phrases), rules: r)
    }

    /// The language-model scorer, when `llm` is set.
    public func makeLLM(environment: [String: String] = ProcessInfo.processInfo.environment, transport: (any HTTPTransport)? = nil,
                        onPause: (@Sendable (_ paused: Bool, _ why: String) -> Void)? = nil) throws -> LLMHeadlineScorer? {
        guard let llm else { return nil }
        return LLMHeadlineScorer(client: try ChatCompletionsClient(config: llm, environment: environment, transport: transport, onPause: onPause))
    }
}
