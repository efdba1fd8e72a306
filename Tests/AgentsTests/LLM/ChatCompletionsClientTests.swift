import Foundation
import Synchronization
import Testing
@testable import Agents
import Bus

/// The client against a real HTTP server on loopback (`LoopbackHTTPServer`).
@Suite struct ChatCompletionsClientTests {
    static let schema = JSONSchema(name: "rating", schema: try! JSONValue(parsing: """
        {"type":"object","properties":{"score":{"type":"number","minimum":-1,"maximum":1},"reason":{"type":"string"}},
         "required":["score","reason"],"additionalProperties":false}
        """))
    static let request = ChatRequest(messages: [.system("Rate it."), .user("Apple beats estimates")], schema: schema)

    // Generous: on a loaded CI machine the loopback answer can take seconds to be read; only
    // the timeout tests use a short one.
    static func config(_ server: LoopbackHTTPServer, retries: Int = 2, timeout: Double = 60, key: String? = nil) -> LLMConfig {
        LLMConfig(baseURL: server.baseURL, model: "test-model", apiKeyEnv: key, timeoutSeconds: timeout,
                  maxRetries: retries, backoffSeconds: 0.01, maxBackoffSeconds: 0.05)
    }

    @Test func sendsAStrictJSONSchemaRequestAndParsesTheAnswer() async throws {
        let server = try LoopbackHTTPServer { _, _ in
            .http(status: 200, body: LoopbackHTTPServer.completion(#"{"score":0.7,"reason":"beat"}"#))
        }
        let client = try ChatCompletionsClient(
            config: Self.config(server, key: "AGORA_TEST_KEY"), environment: ["AGORA_TEST_KEY": "sk-secret-123"])
        let answer = try await client.complete(Self.request).get()
        #expect(answer.json?["score"]?.doubleValue == 0.7)
        #expect(answer.cached == false && answer.attempts == 1)
        let sent = try #require(server.requests.first)
        #expect(sent.method == "POST" && sent.path == "/v1/chat/completions")
        #expect(sent.headers["authorization"] == "Bearer sk-secret-123")
        #expect(sent.headers["content-type"] == "application/json")
        let body = try JSONValue(parsing: sent.body)
        #expect(body["model"] == .string("test-model"))
        #expect(body["temperature"] == .number(0))
        #expect(body["messages"]?.arrayValue?.count == 2)
        #expect(body["messages"]?.arrayValue?[1]["content"] == .string("Apple beats estimates"))
        let format = try #require(body["response_format"])
        #expect(format["type"] == .string("json_schema"))
        #expect(format["json_schema"]?["strict"] == .bool(true))
        #expect(format["json_schema"]?["name"] == .string("rating"))
        #expect(format["json_schema"]?["schema"] == Self.schema.schema)
        // The key appears in no configuration or statistics description.
        #expect(!String(describing: client.config).contains("sk-secret"))
    }

    @Test func answersAreCachedAndCountedAsHits() async throws {
        let server = try LoopbackHTTPServer { _, _ in
            .http(status: 200, body: LoopbackHTTPServer.completion(#"{"score":-0.2,"reason":"meh"}"#))
        }
        let client = try ChatCompletionsClient(config: Self.config(server))
        _ = try await client.complete(Self.request).get()
        let again = try await client.complete(Self.request).get()
        #expect(again.cached && again.json?["score"]?.doubleValue == -0.2)
        #expect(client.cachedAnswer(Self.request)?.json?["score"]?.doubleValue == -0.2)
        #expect(server.requests.count == 1)
        let s = client.statistics
        #expect(s.requests == 2 && s.cacheHits == 1 && s.succeeded == 2 && s.attempts == 1)
    }

    @Test func http500IsRetriedThenCounted() async throws {
        let server = try LoopbackHTTPServer { _, _ in .http(status: 500, body: #"{"error":{"message":"boom"}}"#) }
        let client = try ChatCompletionsClient(config: Self.config(server, retries: 2))
        let result = await client.complete(Self.request)
        guard case .failure(let f) = result else { Issue.record("expected a failure"); return }
        #expect(f.kind == .httpServer && f.status == 500)
        #expect(f.message == #"HTTP 500: {"error":{"message":"boom"}}"#)
        #expect(server.requests.count == 3)
        let s = client.statistics
        #expect(s.attempts == 3 && s.retries == 2)
        #expect(s.attemptFailures == [.httpServer: 3])
        #expect(s.failures == [.httpServer: 1])
    }

    @Test func aRetryCanSucceed() async throws {
        let server = try LoopbackHTTPServer { _, n in
            n == 0 ? .http(status: 503, headers: [("Retry-After", "0")], body: "busy")
                : .http(status: 200, body: LoopbackHTTPServer.completion(#"{"score":1,"reason":"ok"}"#))
        }
        let client = try ChatCompletionsClient(config: Self.config(server))
        let answer = try await client.complete(Self.request).get()
        #expect(answer.attempts == 2)
        #expect(client.statistics.attemptFailures == [.httpServer: 1])
        #expect(client.statistics.failures.isEmpty)
    }

    @Test(arguments: [
        (429, LLMFailureKind.rateLimited, 3),
        (401, LLMFailureKind.httpClient, 1),
        (404, LLMFailureKind.httpClient, 1),
        (408, LLMFailureKind.timeout, 3),
    ])
    func statusesAreClassifiedAndRetriedOnlyWhenThatMayHelp(status: Int, kind: LLMFailureKind, attempts: Int) async throws {
        let server = try LoopbackHTTPServer { _, _ in .http(status: status, headers: [("Retry-After", "0")], body: "") }
        let client = try ChatCompletionsClient(config: Self.config(server, retries: 2))
        let result = await client.complete(Self.request)
        guard case .failure(let f) = result else { Issue.record("expected a failure"); return }
        #expect(f.kind == kind)
        #expect(server.requests.count == attempts)
        #expect(client.statistics.failures == [kind: 1])
    }

    @Test func theKeyNeverAppearsInFailures() async throws {
        let server = try LoopbackHTTPServer { req, _ in
            .http(status: 401, body: "invalid key: " + (req.headers["authorization"] ?? ""))
        }
        let client = try ChatCompletionsClient(config: Self.config(server, key: "K"), environment: ["K": "sk-live-abcdef"])
        guard case .failure(let f) = await client.complete(Self.request) else { Issue.record("expected a failure"); return }
        #expect(f.kind == .httpClient)
        #expect(f.message == "HTTP 401: invalid key: Bearer [redacted]")
    }

    @Test func garbageIsAnInvalidResponse() async throws {
        let server = try LoopbackHTTPServer { _, _ in .http(status: 200, body: "<html>hello</html>") }
        let client = try ChatCompletionsClient(config: Self.config(server, retries: 1))
        guard case .failure(let f) = await client.complete(Self.request) else { Issue.record("expected a failure"); return }
        #expect(f.kind == .invalidResponse)
        #expect(f.message.hasPrefix("the body is not JSON: "))
        #expect(server.requests.count == 2)
    }

    @Test(arguments: [
        (#"{"choices":[]}"#, "no \"choices\" in the answer"),
        (#"{"choices":[{"message":{"content":null,"refusal":null}}]}"#, "\"choices[0].message.content\" is not a string"),
        (#"{"error":{"message":"model overloaded"}}"#, "error in a 200 answer: model overloaded"),
        (LoopbackHTTPServer.completion(#"{"score":0.1,"#, finish: "length"), "the answer was cut off at maxTokens (200)"),
    ])
    func malformedCompletionsAreInvalidResponses(body: String, message: String) async throws {
        let server = try LoopbackHTTPServer { _, _ in .http(status: 200, body: body) }
        let client = try ChatCompletionsClient(config: Self.config(server, retries: 0))
        guard case .failure(let f) = await client.complete(Self.request) else { Issue.record("expected a failure"); return }
        #expect(f.kind == .invalidResponse)
        #expect(f.message == message)
    }

    @Test(arguments: [
        (#"{"score":5,"reason":"x"}"#, "the answer does not match the schema rating: $.score: 5 is above the maximum 1"),
        (#"{"score":0.5}"#, "the answer does not match the schema rating: $: missing property \"reason\""),
        (#"{"score":"high","reason":"x"}"#, "the answer does not match the schema rating: $.score: expected number, found a string"),
        (#"{"score":0.5,"reason":"x","mood":1}"#, "the answer does not match the schema rating: $: unexpected property \"mood\""),
        ("I think it is positive", "the answer is not JSON: I think it is positive"),
    ])
    func offSchemaAnswersAreSchemaViolations(content: String, message: String) async throws {
        let server = try LoopbackHTTPServer { _, _ in .http(status: 200, body: LoopbackHTTPServer.completion(content)) }
        let client = try ChatCompletionsClient(config: Self.config(server, retries: 1))
        guard case .failure(let f) = await client.complete(Self.request) else { Issue.record("expected a failure"); return }
        #expect(f.kind == .schemaViolation)
        #expect(f.message == message)
        #expect(server.requests.count == 2)
        #expect(client.statistics.attemptFailures == [.schemaViolation: 2])
    }

    @Test func fencedJSONFromLocalServersIsAccepted() async throws {
        let server = try LoopbackHTTPServer { _, _ in
            .http(status: 200, body: LoopbackHTTPServer.completion("```json\n{\"score\":0.25,\"reason\":\"ok\"}\n```"))
        }
        let client = try ChatCompletionsClient(config: Self.config(server))
        #expect(try await client.complete(Self.request).get().json?["score"]?.doubleValue == 0.25)
    }

    @Test func refusalsAreNotRetried() async throws {
        let server = try LoopbackHTTPServer { _, _ in
            .http(status: 200, body: #"{"choices":[{"message":{"role":"assistant","content":null,"refusal":"I can't help with that."},"finish_reason":"stop"}]}"#)
        }
        let client = try ChatCompletionsClient(config: Self.config(server))
        guard case .failure(let f) = await client.complete(Self.request) else { Issue.record("expected a failure"); return }
        #expect(f.kind == .refused && f.message == "I can't help with that.")
        #expect(server.requests.count == 1)
    }

    @Test func aSlowServerTimesOut() async throws {
        let gate = LoopbackHTTPServer.Gate()
        defer { gate.open() }
        let server = try LoopbackHTTPServer { _, _ in
            gate.pass()
            return .http(status: 200, body: LoopbackHTTPServer.completion(#"{"score":1,"reason":"late"}"#))
        }
        let client = try ChatCompletionsClient(config: Self.config(server, retries: 1, timeout: 0.2))
        guard case .failure(let f) = await client.complete(Self.request) else { Issue.record("expected a failure"); return }
        // Only our own deadline can produce this: the server would have answered, late.
        #expect(f.kind == .timeout)
        #expect(client.statistics.attemptFailures == [.timeout: 2])
        server.stop()
    }

    /// Many slow requests at once, each abandoned at its deadline: the process never stalls
    /// (cancelling URLSession tasks from the cooperative pool could deadlock it on Linux).
    @Test(.timeLimit(.minutes(1))) func manySlowRequestsAtOnceAllTimeOutAndNothingStalls() async throws {
        // The server answers only when the test ends: a request can only end by its deadline.
        let gate = LoopbackHTTPServer.Gate()
        let server = try LoopbackHTTPServer { _, _ in
            gate.pass()
            return .http(status: 200, body: LoopbackHTTPServer.completion(#"{"score":1,"reason":"late"}"#))
        }
        defer { gate.open(); server.stop() }
        // A whole second: FoundationNetworking rounds shorter request timeouts down to nothing.
        var config = Self.config(server, retries: 0, timeout: 1)
        config.maxConcurrent = 12
        let client = try ChatCompletionsClient(config: config)
        let started = ContinuousClock.now
        let kinds = await withTaskGroup(of: LLMFailureKind?.self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        if case .failure(let f) = await client.complete(Self.request) { return f.kind }
                        return nil
                    }
                }
                var out: [LLMFailureKind?] = []
                for await k in group { out.append(k) }
                return out
        }
        #expect(kinds.count == 12 && kinds.allSatisfy { $0 == .timeout }, "\(kinds) after \(ContinuousClock.now - started)")
        // Not held until the gate's limit (20 s): generous for a loaded machine.
        #expect(ContinuousClock.now - started < .seconds(15), "a deadline of 1 s was not kept")
        // The process is still responsive: another request is answered by a fast server.
        let fast = try LoopbackHTTPServer { _, _ in .http(status: 200, body: LoopbackHTTPServer.completion(#"{"score":1,"reason":"ok"}"#)) }
        defer { fast.stop() }
        let again = try ChatCompletionsClient(config: Self.config(fast, retries: 0, timeout: 5))
        guard case .success = await again.complete(Self.request) else { Issue.record("a fast server after slow ones must answer"); return }
    }

    @Test func identicalRequestsInFlightAreAskedOnce() async throws {
        let server = try LoopbackHTTPServer { _, _ in
            .http(status: 200, body: LoopbackHTTPServer.completion(#"{"score":0.5,"reason":"once"}"#), delay: 0.3)
        }
        defer { server.stop() }
        let client = try ChatCompletionsClient(config: Self.config(server, retries: 0))
        let answers = await withTaskGroup(of: ChatAnswer?.self) { group in
            for _ in 0..<10 { group.addTask { try? await client.complete(Self.request).get() } }
            var out: [ChatAnswer?] = []
            for await a in group { out.append(a) }
            return out
        }
        #expect(answers.compactMap { $0?.json?["score"]?.doubleValue } == Array(repeating: 0.5, count: 10))
        #expect(server.requests.count == 1)
        #expect(answers.filter { $0?.cached == true }.count == 9)
        #expect(client.statistics.cacheHits == 9 && client.statistics.succeeded == 10)
    }

    /// An answer past the transport's size limit fails as an invalid response instead of
    /// being read whole into memory: announced by its length (stopped before the body) or
    /// streamed without one (dropped from the limit on); an answer within it is read.
    @Test func answersOverTheSizeLimitAreNotRead() async throws {
        let big = String(repeating: "x", count: 5_000)
        let server = try LoopbackHTTPServer { _, n in
            switch n {
            case 0: .http(status: 200, body: big)
            case 1: .raw("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" + big)
            default: .http(status: 200, body: String(repeating: "y", count: 900))
            }
        }
        defer { server.stop() }
        let transport = URLSessionTransport(maxResponseBytes: 1_000)
        let url = server.baseURL + "/chat/completions"
        for expected in ["(announced as 5000 bytes)", "(longer than that, not read further)"] {
            do {
                _ = try await transport.post(url: url, headers: [], body: [], timeout: 30)
                Issue.record("expected a failure: \(expected)")
            } catch {
                #expect(error.kind == .invalidResponse)
                #expect(error.message == "the answer is over the limit of 1000 bytes \(expected)")
            }
        }
        let fine = try await transport.post(url: url, headers: [], body: [], timeout: 30)
        #expect(fine.status == 200 && fine.body.count == 900)
        #expect(URLSessionTransport.defaultMaxResponseBytes == 8 << 20)
    }

    @Test func hangUpsAndNonHTTPBytesAreTransportFailures() async throws {
        for reply in [LoopbackHTTPServer.Reply.hangUp, .raw("SSH-2.0-OpenSSH\r\n\r\n")] {
            let server = try LoopbackHTTPServer { _, _ in reply }
            let client = try ChatCompletionsClient(config: Self.config(server, retries: 0))
            guard case .failure(let f) = await client.complete(Self.request) else { Issue.record("expected a failure"); return }
            #expect(f.kind == .transport, "\(f)")
            #expect(client.statistics.failed == 1)
        }
    }

    @Test func aClosedPortIsATransportFailure() async throws {
        // Held closed for the whole test: a stopped server's port could be handed to another
        // test's server running in parallel (this test then reached it: seen once in 10 runs).
        let closed = try LoopbackHTTPServer.ClosedPort()
        let config = LLMConfig(baseURL: closed.baseURL, model: "test-model", apiKeyEnv: nil, timeoutSeconds: 60,
                               maxRetries: 1, backoffSeconds: 0.01, maxBackoffSeconds: 0.05)
        let client = try ChatCompletionsClient(config: config)
        guard case .failure(let f) = await client.complete(Self.request) else { Issue.record("expected a failure"); return }
        #expect(f.kind == .transport)
        #expect(client.statistics.attemptFailures == [.transport: 2])
        withExtendedLifetime(closed) {}
    }

    @Test func aMissingKeySendsNothing() async throws {
        let server = try LoopbackHTTPServer { _, _ in .http(status: 200, body: LoopbackHTTPServer.completion("{}")) }
        let client = try ChatCompletionsClient(config: Self.config(server, key: "AGORA_UNSET_KEY"), environment: [:])
        #expect(client.keyProblem == "the environment variable AGORA_UNSET_KEY (llm.apiKeyEnv) is not set")
        guard case .failure(let f) = await client.complete(Self.request) else { Issue.record("expected a failure"); return }
        #expect(f.kind == .missingAPIKey)
        #expect(server.requests.isEmpty)
        #expect(client.statistics.failures == [.missingAPIKey: 1] && client.statistics.attempts == 0)
    }

    @Test func concurrencyIsLimited() async throws {
        let server = try LoopbackHTTPServer { req, _ in
            .http(status: 200, body: LoopbackHTTPServer.completion(#"{"score":0,"reason":"x"}"#), delay: 0.15)
        }
        var config = Self.config(server)
        config.maxConcurrent = 2
        let client = try ChatCompletionsClient(config: config)
        await withTaskGroup(of: Void.self) { g in
            for i in 0..<6 {
                g.addTask {
                    let r = ChatRequest(messages: [.user("headline \(i)")], schema: Self.schema)
                    _ = await client.complete(r)
                }
            }
        }
        #expect(server.requests.count == 6)
        #expect(server.maxConcurrent <= 2)
        #expect(client.statistics.succeeded == 6)
    }

    @Test func theCacheFileServesLaterRuns() async throws {
        let dir = TempDir()
        let file = dir.path + "/llm-cache.jsonl"
        let server = try LoopbackHTTPServer { _, _ in
            .http(status: 200, body: LoopbackHTTPServer.completion(#"{"score":0.4,"reason":"ok"}"#))
        }
        var config = Self.config(server)
        config.cacheFile = file
        let first = try ChatCompletionsClient(config: config)
        _ = try await first.complete(Self.request).get()
        let second = try ChatCompletionsClient(config: config)
        let answer = try await second.complete(Self.request).get()
        #expect(answer.cached && answer.json?["score"]?.doubleValue == 0.4)
        #expect(server.requests.count == 1)
        // A damaged cache file is reported with its line.
        try "{\"key\":1}\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: InputError(file: file, line: 1, field: "key", "missing or not a string")) {
            try ChatCompletionsClient(config: config)
        }
    }

    @Test func unusableSettingsAreListed() throws {
        var c = LLMConfig(baseURL: "ftp://x", model: " ", timeoutSeconds: 0, maxRetries: 11, maxConcurrent: 0)
        #expect(throws: LLMConfigError(problems: [
            "baseURL: expected http://HOST[:PORT]/PATH or https://…, got \"ftp://x\"",
            "model: empty",
            "timeoutSeconds: expected 0 < s ≤ 600, got 0.0",
            "maxRetries: expected 0…10, got 11",
            "maxConcurrent: expected 1…256, got 0",
        ])) { try ChatCompletionsClient(config: c) }
        c = LLMConfig(baseURL: "https://api.openai.com/v1/", model: "gpt-4o-mini")
        #expect(c.problems().isEmpty)
        #expect(c.endpoint == "https://api.openai.com/v1/chat/completions")
        // The scheme in any case passes the check; the endpoint has it in lower case.
        c = LLMConfig(baseURL: "HTTP://127.0.0.1:8080/V1", model: "m")
        #expect(c.problems().isEmpty && c.endpoint == "http://127.0.0.1:8080/V1/chat/completions")
    }

    @Test func configDecodesWithDefaults() throws {
        let c = try JSONDecoder().decode(LLMConfig.self, from: Data(#"{"baseURL":"http://127.0.0.1:11434/v1","model":"llama3.1:8b","maxRetries":1}"#.utf8))
        #expect(c == LLMConfig(baseURL: "http://127.0.0.1:11434/v1", model: "llama3.1:8b", maxRetries: 1))
        #expect(c.seed == 0 && c.timeoutSeconds == 10 && c.maxConcurrent == 4)
    }

    @Test func backoffGrowsAndIsCapped() throws {
        let c = LLMConfig(baseURL: "http://127.0.0.1:1/v1", model: "m", backoffSeconds: 0.5, maxBackoffSeconds: 3)
        let client = try ChatCompletionsClient(config: c)
        for attempt in 1...6 {
            let d = client.backoff(attempt: attempt, retryAfter: nil)
            let base = min(3, 0.5 * Double(1 << (attempt - 1)))
            #expect(d >= base * 0.5 && d <= min(3, base * 1.5), "attempt \(attempt): \(d)")
        }
        #expect(client.backoff(attempt: 1, retryAfter: 2) == 2)
        #expect(client.backoff(attempt: 1, retryAfter: 30) == 3)
    }
}

/// The pause after failures in a row: the rule that keeps a dead endpoint from costing a
/// run every request's timeouts and retries.
@Suite struct CircuitBreakerTests {
    @Test func opensAfterTheThresholdProbesOnceAfterThePauseAndCloses() {
        var b = CircuitBreaker(threshold: 3, pauseSeconds: 30)
        var allowed: [Bool] = [], changes: [CircuitBreaker.Change?] = []
        for t in 0..<3 {
            allowed.append(b.allows(at: Double(t)))
            changes.append(b.record(success: false, at: Double(t)))
        }
        #expect(allowed == [true, true, true] && changes == [nil, nil, .opened])
        let during = [b.allows(at: 3), b.allows(at: 31.9)]
        #expect(during == [false, false])
        let probe = b.allows(at: 32), second = b.allows(at: 32.5)
        #expect(probe && !second, "one probe after the pause, only one")
        let failedProbe = b.record(success: false, at: 33)
        #expect(failedProbe == nil, "a failed probe opens it again, silently")
        let stillClosed = b.allows(at: 62.9), nextProbe = b.allows(at: 63.1)
        #expect(!stillClosed && nextProbe)
        let closed = b.record(success: true, at: 64)
        #expect(closed == .closed)
        let after = [b.allows(at: 64), b.allows(at: 64)]
        #expect(after == [true, true])
    }

    @Test func aSuccessResetsTheCountAndZeroNeverOpens() {
        var b = CircuitBreaker(threshold: 2, pauseSeconds: 5)
        _ = b.record(success: false, at: 0)
        _ = b.record(success: true, at: 1)
        let change = b.record(success: false, at: 2)
        #expect(change == nil, "not two in a row")
        var never = CircuitBreaker(threshold: 0, pauseSeconds: 5)
        for t in 0..<50 { _ = never.record(success: false, at: Double(t)) }
        let allowed = never.allows(at: 51)
        #expect(!never.isOpen && allowed)
    }

    /// Against a server that always fails: after `pauseAfterFailures` requests nothing more
    /// is sent (the rest fail at once as `unavailable`), and the pause is announced once.
    @Test func aFailingEndpointIsPausedAndSaidOnce() async throws {
        let server = try LoopbackHTTPServer { _, _ in .http(status: 500, body: #"{"error":{"message":"boom"}}"#) }
        var config = ChatCompletionsClientTests.config(server, retries: 0)
        config.pauseAfterFailures = 2
        let said = Mutex<[String]>([])
        let client = try ChatCompletionsClient(config: config, onPause: { paused, why in said.withLock { $0.append("\(paused) \(why)") } })
        var kinds: [LLMFailureKind] = []
        for i in 0..<6 {
            let r = ChatRequest(messages: [.user("headline \(i)")], schema: ChatCompletionsClientTests.schema)
            if case .failure(let f) = await client.complete(r) { kinds.append(f.kind) }
        }
        #expect(kinds == [.httpServer, .httpServer, .unavailable, .unavailable, .unavailable, .unavailable])
        #expect(server.requests.count == 2)
        #expect(said.withLock { $0 } == [#"true 2 requests in a row failed (last: http_5xx: HTTP 500: {"error":{"message":"boom"}}); none sent for 30 s"#])
        #expect(client.statistics.failures[.unavailable] == 4)
    }
}
