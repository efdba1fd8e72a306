import Bus

/// A language model's score of a headline.
public struct LLMHeadlineScore: Sendable, Equatable {
    /// In [-1, 1].
    public var score: Double
    /// The model's one-line reason.
    public var reason: String
    public var cached: Bool
}

/// Scores headlines with a chat-completions model, asking for strict JSON
/// `{"score": -1…1, "reason": "…"}`. Answers are cached by headline (and prompt version).
public final class LLMHeadlineScorer: Sendable {
    public let client: ChatCompletionsClient

    public init(client: ChatCompletionsClient) { self.client = client }

    /// Changes whenever the prompt or schema changes, so old cached answers are not reused.
    public static let promptVersion = "headline-sentiment-v1"

    public static let schema = JSONSchema(name: "headline_sentiment", schema: .object([
        .init("type", .string("object")),
        .init("properties", .object([
            .init("score", .object([.init("type", .string("number"))])),
            .init("reason", .object([.init("type", .string("string"))])),
        ])),
        .init("required", .array([.string("score"), .string("reason")])),
        .init("additionalProperties", .bool(false)),
    ]))

    static let system = """
        You rate financial news headlines for a trading system. For the headline you are \
        given, judge how the news is likely to move the stock of the company it is about, \
        from -1 (very negative) through 0 (neutral or irrelevant) to 1 (very positive). \
        Answer only with JSON: {"score": number, "reason": "one short sentence"}.
        """

    /// The request for one headline.
    public static func request(_ headline: String) -> ChatRequest {
        ChatRequest(
            messages: [.system(system), .user("Headline: " + headline)],
            schema: schema,
            cacheKey: promptVersion + "\u{1F}" + headline,
            check: { json in
                // Strict structured outputs cannot express the range; check it here.
                guard let s = json["score"]?.doubleValue, s.isFinite else { return "score: not a number" }
                return (-1...1).contains(s) ? nil : "score: \(s) is outside [-1, 1]"
            })
    }

    /// The cached score of a headline, without any request.
    public func cached(_ headline: String) -> LLMHeadlineScore? {
        client.cachedAnswer(Self.request(headline)).flatMap { Self.score(of: $0) }
    }

    /// Asks the model (or the cache).
    public func score(_ headline: String) async -> Result<LLMHeadlineScore, LLMFailure> {
        switch await client.complete(Self.request(headline)) {
        case .success(let a):
            guard let s = Self.score(of: a) else { return .failure(LLMFailure(.schemaViolation, "no score in the answer")) }
            return .success(s)
        case .failure(let f):
            return .failure(f)
        }
    }

    static func score(of a: ChatAnswer) -> LLMHeadlineScore? {
        guard let s = a.json?["score"]?.doubleValue else { return nil }
        return LLMHeadlineScore(score: s, reason: a.json?["reason"]?.stringValue ?? "", cached: a.cached)
    }
}
