import Foundation
import Testing
import TestSupport
@testable import Agents
import Bus

/// A running sentiment agent on an in-memory bus, with a market-data publisher and a
/// subscription that collects the votes.
final class SentimentHarness: Sendable {
    let bus = InMemoryBus()
    let executor = AgentExecutor(name: "sentiment-test")
    let agent: SentimentAgent
    let market: Publisher
    let other: Publisher
    let votes: Subscription
    let runner: Task<Void, Never>

    init(config: SentimentAgentConfig = .init(), llm: LLMHeadlineScorer? = nil, logger: Logger = Logger(label: "agora")) async throws {
        let context = AgentContext(bus: bus, executor: executor, clock: ManualClock(Timestamp(seconds: 1_800_000_000)), logger: logger)
        votes = try await bus.subscribe(["signal.sentiment.*"], options: SubscriptionOptions(name: "votes"))
        agent = try await SentimentAgent(context: context, config: config, llm: llm)
        market = context.publisher(for: "market-data")
        other = Publisher(bus: bus, source: "elsewhere/newsfeed")
        let a = agent
        runner = Task { await a.run() }
    }

    /// Publishes one copy of the item per symbol it names, as the replayer does.
    func news(_ item: NewsItem) async throws {
        for s in item.symbols { try await market.publish(item, topic: "market.news.\(s)") }
    }

    @discardableResult
    func bar(_ symbol: String, _ time: Timestamp, close: Double = 100) async throws -> EventID {
        let b = Bar(symbol: symbol, time: time, open: close, high: close, low: close, close: close, volume: 1000)
        return try await market.publish(b, correlation: Envelope.cycleID(symbol: symbol, time: time))
    }

    /// The next `n` votes (fails after a generous time limit rather than hanging).
    func takeVotes(_ n: Int) async throws -> [(Vote, Envelope)] {
        let sub = votes
        return try await withTimeout {
            var out: [(Vote, Envelope)] = []
            for await e in sub {
                if let v = e.event(as: Vote.self) { out.append((v, e)) }
                if out.count == n { break }
            }
            return out
        }
    }

    func finish() async throws {
        await bus.shutdown()
        let runner = runner
        try await withTimeout { await runner.value }
        executor.stop()
    }

}

@Suite struct SentimentAgentTests {
    static func t(_ s: String) -> Timestamp { try! ISO8601.parse(s) }
    static let monday = t("2024-01-08T14:30:00Z")

    @Test func exactlyOneVotePerBar() async throws {
        let h = try await SentimentHarness()
        var ids: [String: EventID] = [:]
        try await h.news(NewsItem(id: "n1", time: Self.monday + .seconds(-3600), symbols: ["AAPL"], headline: "Apple beats estimates", source: "wire"))
        for (i, sym) in ["AAPL", "MSFT", "AAPL", "TSLA", "AAPL"].enumerated() {
            let time = Self.monday + .seconds(Int64(i) * 86_400)
            ids["\(sym)@\(i)"] = try await h.bar(sym, time)
            if i == 1 { try await h.news(NewsItem(id: "n2", time: time, symbols: ["AAPL", "TSLA"], headline: "Apple and Tesla face probe", source: "wire")) }
        }
        let got = try await h.takeVotes(5)
        #expect(got.map(\.0.symbol) == ["AAPL", "MSFT", "AAPL", "TSLA", "AAPL"])
        for (i, (vote, env)) in got.enumerated() {
            let time = Self.monday + .seconds(Int64(i) * 86_400)
            #expect(env.topic == "signal.sentiment.\(vote.symbol)")
            #expect(env.source == "main/sentiment")
            #expect(vote.time == time)
            #expect(env.correlation == Envelope.cycleID(symbol: vote.symbol, time: time))
            #expect(env.causation == ids["\(vote.symbol)@\(i)"])
        }
        #expect(got[1].0.action == .hold && got[1].0.confidence == 0 && got[1].0.reason == "no recent news")
        let stats = await h.agent.statistics
        #expect(stats.bars == 5 && stats.votes == 5 && stats.news == 3)
        #expect(h.votes.stats.accepted == 5) // every bar handled: no sixth vote
        try await h.finish()
    }

    @Test func aNewsItemNamingSeveralSymbolsCountsOncePerSymbol() async throws {
        let h = try await SentimentHarness()
        let item = NewsItem(id: "n1", time: Self.monday, symbols: ["AAPL", "MSFT"], headline: "Apple beats estimates; Microsoft guidance cut", source: "wire")
        try await h.news(item)
        // The same item again on AAPL (a repeat from another client): not counted twice.
        try await h.other.publish(item, topic: "market.news.AAPL")
        try await h.bar("AAPL", Self.monday)
        try await h.bar("MSFT", Self.monday)
        let votes = try await h.takeVotes(2).map(\.0)
        let expected = SentimentScorer.finance.score(item.headline).compound
        for v in votes {
            #expect(abs(v.score - expected) < 1e-12)
            #expect(v.confidence == 0.5) // one fresh item
            #expect(v.reason.contains("from 1 item "))
        }
        #expect(await h.agent.state(for: "AAPL")?.items.count == 1)
        #expect(await h.agent.state(for: "MSFT")?.items.count == 1)
        let stats = await h.agent.statistics
        #expect(stats.news == 3 && stats.duplicates == 1)
        try await h.finish()
    }

    @Test func newsFromAnyClientAppliesToTheSymbolOfItsTopic() async throws {
        let h = try await SentimentHarness()
        // Published once, on AAPL's topic only, though it names MSFT too.
        try await h.other.publish(
            NewsItem(id: "x1", time: Self.monday, symbols: ["AAPL", "MSFT"], headline: "Apple shares soar", source: "feed"),
            topic: "market.news.AAPL")
        try await h.bar("AAPL", Self.monday)
        try await h.bar("MSFT", Self.monday)
        let votes = try await h.takeVotes(2).map(\.0)
        #expect(votes[0].action == .buy && votes[0].confidence == 0.5)
        #expect(votes[1].action == .hold && votes[1].confidence == 0)
        try await h.finish()
    }

    @Test func newsDecaysBetweenBarsAndStaleNewsIsIgnored() async throws {
        let h = try await SentimentHarness(config: SentimentAgentConfig(halfLifeDays: 1, decayClock: .trading))
        let friday = Self.t("2024-01-05T20:00:00Z")
        try await h.news(NewsItem(id: "n1", time: friday, symbols: ["AAPL"], headline: "Apple beats estimates", source: "wire"))
        try await h.bar("AAPL", friday)
        // Monday 14:30 is 18.5 trading hours later (the weekend does not count).
        try await h.bar("AAPL", Self.monday)
        // Two weeks later the item is gone: no recent news.
        try await h.bar("AAPL", Self.monday + .seconds(14 * 86_400))
        // An item already too old when it arrives is ignored.
        try await h.news(NewsItem(id: "old", time: friday, symbols: ["AAPL"], headline: "Apple misses estimates", source: "wire"))
        try await h.bar("AAPL", Self.monday + .seconds(15 * 86_400))
        let votes = try await h.takeVotes(4).map(\.0)
        #expect(votes[0].confidence == 0.5)
        let w = exp2(-18.5 / 24)
        #expect(abs(votes[1].confidence - (1 - exp2(-w))) < 1e-12)
        #expect(votes[1].score == votes[0].score) // one item: the mean is its score
        #expect(votes[2].reason == "no recent news" && votes[3].reason == "no recent news")
        #expect(await h.agent.statistics.stale == 1)
        try await h.finish()
    }

    @Test func runsAreRepeatable() async throws {
        func run() async throws -> [Vote] {
            let h = try await SentimentHarness()
            var rng = SplitMix64(seed: 5)
            let headlines = ["Apple beats estimates", "Tesla recall widens", "Microsoft guidance cut", "Nvidia shares soar", "Quiet day"]
            for day in 0..<10 {
                let time = Self.monday + .seconds(Int64(day) * 86_400)
                for k in 0..<Int(rng.next() % 3) {
                    let sym = ["AAPL", "MSFT", "TSLA"][Int(rng.next() % 3)]
                    try await h.news(NewsItem(id: "d\(day)-\(k)", time: time + .seconds(-600), symbols: [sym], headline: headlines[Int(rng.next() % 5)], source: "wire"))
                }
                for s in ["AAPL", "MSFT", "TSLA"] { try await h.bar(s, time) }
            }
            let v = try await h.takeVotes(30).map(\.0)
            try await h.finish()
            return v
        }
        let a = try await run(), b = try await run()
        #expect(a == b)
        #expect(a.contains { $0.action == .buy } && a.contains { $0.action == .sell })
    }

    @Test func badSettingsAreRefused() async throws {
        let bus = InMemoryBus()
        let executor = AgentExecutor(name: "t")
        defer { executor.stop() }
        let context = AgentContext(bus: bus, executor: executor)
        let config = SentimentAgentConfig(halfLifeDays: 0, rules: "vadr", llm: LLMConfig(baseURL: "x", model: "m"))
        await #expect(throws: AgentConfigError(agent: "sentiment", problems: [
            "halfLifeDays: expected > 0, got 0.0",
            "rules: expected \"finance\" or \"vader\", got \"vadr\"",
            "llm.baseURL: expected http://HOST[:PORT]/PATH or https://…, got \"x\"",
        ])) { _ = try await SentimentAgent(context: context, config: config) }
        let missing = SentimentAgentConfig(lexicon: .init(path: "/nonexistent/lex.txt"))
        await #expect(throws: InputError(file: "/nonexistent/lex.txt", "cannot open: No such file or directory")) {
            _ = try await SentimentAgent(context: context, config: missing)
        }
        await bus.shutdown()
    }

    @Test func configDecodesWithDefaults() throws {
        let c = try JSONDecoder().decode(SentimentAgentConfig.self, from: Data(#"{"halfLifeDays":2,"lexicon":{"path":"lm.csv","format":"lm"}}"#.utf8))
        #expect(c == SentimentAgentConfig(halfLifeDays: 2, lexicon: .init(path: "lm.csv", format: .lm)))
        #expect(try JSONDecoder().decode(SentimentAgentConfig.self, from: Data("{}".utf8)) == SentimentAgentConfig())
    }
}

/// The agent with a language model served by the loopback server: every failure path
/// falls back to the lexicon score and is counted.
@Suite struct SentimentAgentLLMTests {
    static let monday = SentimentAgentTests.monday
    static let headline = "Apple beats estimates"
    static var lexicon: Double { SentimentScorer.finance.score(headline).compound }

    static func scorer(_ server: LoopbackHTTPServer, retries: Int = 0, timeout: Double = patience, key: String? = nil) throws -> LLMHeadlineScorer {
        let config = LLMConfig(baseURL: server.baseURL, model: "m", apiKeyEnv: key, timeoutSeconds: timeout, maxRetries: retries, backoffSeconds: 0.01, maxBackoffSeconds: 0.02)
        return LLMHeadlineScorer(client: try ChatCompletionsClient(config: config, environment: [:]))
    }

    /// One item, one bar; returns the vote and the agent's counters. The vote's deadline is
    /// long unless a test is about it: an answer (or a failure) ends the wait at once, and a
    /// loaded machine must not turn "in time" into "late".
    static func vote(_ llm: LLMHeadlineScorer, deadline: Double = patience) async throws -> (Vote, SentimentAgentStatistics) {
        let h = try await SentimentHarness(config: SentimentAgentConfig(llmVoteDeadlineSeconds: deadline), llm: llm)
        try await h.news(NewsItem(id: "n1", time: monday, symbols: ["AAPL"], headline: headline, source: "wire"))
        try await h.bar("AAPL", monday)
        let v = try await h.takeVotes(1)[0].0
        let s = await h.agent.statistics
        try await h.finish()
        return (v, s)
    }

    /// A failing model is said, once per kind of failure (every failure is counted).
    @Test func failuresAreLoggedOncePerKind() async throws {
        let server = try LoopbackHTTPServer { _, _ in .http(status: 500, body: "internal error") }
        let sink = LogSink(fd: -1, format: .logfmt, level: .debug, capture: true)
        let h = try await SentimentHarness(config: SentimentAgentConfig(llmVoteDeadlineSeconds: patience), llm: try Self.scorer(server),
                                           logger: Logger(label: "t", sink: sink))
        for (i, headline) in ["Apple beats estimates", "Apple misses estimates", "Apple holds steady"].enumerated() {
            try await h.news(NewsItem(id: "n\(i)", time: Self.monday, symbols: ["AAPL"], headline: headline, source: "wire"))
        }
        try await h.bar("AAPL", Self.monday)
        _ = try await h.takeVotes(1)
        let s = await h.agent.statistics
        try await h.finish()
        #expect(s.llmFallbacks == ["http_5xx": 3])
        let lines = (sink.lines ?? []).filter { $0.contains("language model: http_5xx") }
        #expect(lines.count == 1, "\(sink.lines ?? [])")
        server.stop()
    }

    @Test func theModelsScoreIsUsedWhenItComesInTime() async throws {
        let server = try LoopbackHTTPServer { _, _ in
            .http(status: 200, body: LoopbackHTTPServer.completion(#"{"score":0.9,"reason":"beat"}"#), delay: 0.05)
        }
        let llm = try Self.scorer(server)
        let (v, s) = try await Self.vote(llm)
        #expect(v.score == 0.9)
        #expect(v.components[0].reason.contains("[llm,"))
        #expect(s.llmRequests == 1 && s.llmInTime == 1 && s.fallbackCount == 0)
        let body = try JSONValue(parsing: try #require(server.requests.first).body)
        #expect(body["messages"]?.arrayValue?.last?["content"] == .string("Headline: Apple beats estimates"))
        // A second run is served from the cache, on arrival, without a request.
        let (v2, s2) = try await Self.vote(llm)
        #expect(v2.score == 0.9 && s2.llmCached == 1 && s2.llmRequests == 0)
        #expect(server.requests.count == 1)
    }

    @Test(arguments: [
        ("slow", "deadline"),
        ("http500", "http_5xx"),
        ("garbage", "invalid_response"),
        ("outOfRange", "schema_violation"),
        ("notJSON", "schema_violation"),
        ("hangUp", "transport"),
        ("refusal", "refused"),
        ("timeout", "timeout"),
    ])
    func everyFailureFallsBackToTheLexicon(behaviour: String, counted: String) async throws {
        // "slow" and "timeout" answer only after the vote: late however loaded the machine is.
        let gate = LoopbackHTTPServer.Gate()
        defer { gate.open() }
        let server = try LoopbackHTTPServer { _, _ in
            switch behaviour {
            case "slow", "timeout":
                gate.pass()
                return .http(status: 200, body: LoopbackHTTPServer.completion(#"{"score":0.9,"reason":"late"}"#))
            case "http500": return .http(status: 500, body: "internal error")
            case "garbage": return .http(status: 200, body: "\u{1}\u{2}garbage{{{")
            case "outOfRange": return .http(status: 200, body: LoopbackHTTPServer.completion(#"{"score":3,"reason":"very"}"#))
            case "notJSON": return .http(status: 200, body: LoopbackHTTPServer.completion("Positive!"))
            case "refusal": return .http(status: 200, body: #"{"choices":[{"message":{"content":null,"refusal":"no"},"finish_reason":"stop"}]}"#)
            default: return .hangUp
            }
        }
        // "slow": the vote's deadline (0.2 s) passes first; "timeout": the client's own time
        // limit (0.2 s) ends the request before the vote's deadline (60 s).
        let llm = try Self.scorer(server, timeout: behaviour == "timeout" ? 0.2 : patience)
        let (v, s) = try await Self.vote(llm, deadline: behaviour == "slow" ? 0.2 : patience)
        #expect(abs(v.score - Self.lexicon) < 1e-12)
        #expect(v.components[0].reason.contains("[lexicon,"))
        #expect(s.llmFallbacks == [counted: 1])
        #expect(s.votes == 1)
        server.stop()
    }

    @Test func aMissingKeyFallsBackWithoutARequest() async throws {
        let server = try LoopbackHTTPServer { _, _ in .http(status: 200, body: LoopbackHTTPServer.completion("{}")) }
        let llm = try Self.scorer(server, key: "AGORA_NO_SUCH_KEY")
        let (v, s) = try await Self.vote(llm)
        #expect(abs(v.score - Self.lexicon) < 1e-12)
        #expect(s.llmFallbacks == ["missing_api_key": 1])
        #expect(server.requests.isEmpty)
    }

    @Test func aLateScoreIsUsedFromTheNextBarOn() async throws {
        // The answer is held until the first vote is out: late however loaded the machine is
        // (a fixed delay was not: the request starts with the news, the deadline with the bar).
        let gate = LoopbackHTTPServer.Gate()
        defer { gate.open() }
        let server = try LoopbackHTTPServer { _, _ in
            gate.pass()
            return .http(status: 200, body: LoopbackHTTPServer.completion(#"{"score":-0.8,"reason":"actually bad"}"#))
        }
        let llm = try Self.scorer(server)
        let h = try await SentimentHarness(config: SentimentAgentConfig(llmVoteDeadlineSeconds: 0.05), llm: llm)
        try await h.news(NewsItem(id: "n1", time: Self.monday, symbols: ["AAPL"], headline: Self.headline, source: "wire"))
        try await h.bar("AAPL", Self.monday)
        let first = try await h.takeVotes(1)[0].0
        #expect(abs(first.score - Self.lexicon) < 1e-12)
        gate.open()
        // Wait for the answer to land, then the next bar uses it.
        // Bounded: this loop, unbounded, once hung a whole CI run when the answer had come
        // in time (and so was never pending).
        try await eventually("the late answer lands") { await h.agent.llmAnswerHasCome(for: Self.headline) }
        try await h.bar("AAPL", Self.monday + .seconds(3600))
        let second = try await h.takeVotes(1)[0].0
        #expect(second.score == -0.8 && second.action == .sell)
        let s = await h.agent.statistics
        #expect(s.llmFallbacks == ["deadline": 1] && s.llmLate == 1 && s.llmInTime == 0)
        try await h.finish()
    }

    @Test func oneRequestPerHeadlineAcrossSymbols() async throws {
        let server = try LoopbackHTTPServer { _, _ in
            .http(status: 200, body: LoopbackHTTPServer.completion(#"{"score":0.5,"reason":"ok"}"#), delay: 0.05)
        }
        let llm = try Self.scorer(server)
        let h = try await SentimentHarness(config: SentimentAgentConfig(llmVoteDeadlineSeconds: patience), llm: llm)
        try await h.news(NewsItem(id: "n1", time: Self.monday, symbols: ["AAPL", "MSFT", "TSLA"], headline: "Big tech rallies", source: "wire"))
        for s in ["AAPL", "MSFT", "TSLA"] { try await h.bar(s, Self.monday) }
        let votes = try await h.takeVotes(3).map(\.0)
        #expect(votes.allSatisfy { $0.score == 0.5 })
        #expect(server.requests.count == 1)
        #expect(await h.agent.statistics.llmInTime == 3)
        try await h.finish()
    }
}
