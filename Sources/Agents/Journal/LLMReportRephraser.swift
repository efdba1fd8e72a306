import Bus

/// Rephrases the journal report's sentences with the OpenAI-compatible client (the one the
/// sentiment agent uses). The model gets each sentence with the facts it may use and must
/// answer with one rewording per sentence (a strict JSON schema). `CoachingReport`
/// keeps a rewording only when it carries exactly the same numbers; any failure leaves
/// the template text.
public struct LLMReportRephraser: ReportRephraser {
    public let client: ChatCompletionsClient

    public init(client: ChatCompletionsClient) { self.client = client }

    public init(config: LLMConfig) throws {
        client = try ChatCompletionsClient(config: config)
    }

    static let schema = JSONSchema(name: "rephrased_report", schema: .object([
        .init("type", .string("object")),
        .init("properties", .object([
            .init("sentences", .object([
                .init("type", .string("array")),
                .init("items", .object([.init("type", .string("string"))])),
            ])),
        ])),
        .init("required", .array([.string("sentences")])),
        .init("additionalProperties", .bool(false)),
    ]))

    public func rephrase(_ sentences: [RephraseItem]) async throws -> [String] {
        var prompt = "Reword each sentence of a trading coach's report so it reads naturally. Keep every number exactly as written; add no number, fact or advice.\n"
        for (i, s) in sentences.enumerated() {
            prompt += "\n\(i + 1). \(s.text)"
            if !s.facts.isEmpty { prompt += "  [facts: " + s.facts.map { "\($0.name) = \($0.display)" }.joined(separator: "; ") + "]" }
        }
        let count = sentences.count
        let request = ChatRequest(
            messages: [
                ChatMessage(role: "system", content: "You rephrase text. Answer with JSON only."),
                ChatMessage(role: "user", content: prompt),
            ],
            schema: Self.schema,
            check: { v in (v["sentences"]?.arrayValue?.count == count) ? nil : "expected \(count) sentences" })
        switch await client.complete(request) {
        case .success(let answer):
            return answer.json?["sentences"]?.arrayValue?.compactMap(\.stringValue) ?? []
        case .failure(let f):
            throw f
        }
    }
}
