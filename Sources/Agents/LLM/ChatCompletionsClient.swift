import Bus
import Foundation
import Synchronization

/// One message of a chat.
public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: "system", content: text) }
    public static func user(_ text: String) -> ChatMessage { ChatMessage(role: "user", content: text) }
}

/// A chat completion to ask for.
public struct ChatRequest: Sendable {
    public var messages: [ChatMessage]
    /// The answer must be JSON of this schema (sent as `response_format`, checked locally).
    public var schema: JSONSchema?
    /// The key of the answer in the cache. Default: the model, the messages and the schema.
    public var cacheKey: String?
    /// An extra check of the parsed answer: a message when it is unusable (counted as a
    /// schema violation and retried), nil when it is fine.
    public var check: (@Sendable (JSONValue) -> String?)?

    public init(messages: [ChatMessage], schema: JSONSchema? = nil, cacheKey: String? = nil, check: (@Sendable (JSONValue) -> String?)? = nil) {
        self.messages = messages
        self.schema = schema
        self.cacheKey = cacheKey
        self.check = check
    }
}

/// A successful chat completion.
public struct ChatAnswer: Sendable, Equatable {
    /// The assistant message's text.
    public var content: String
    /// The parsed answer, when a schema was requested.
    public var json: JSONValue?
    /// True when it came from the cache.
    public var cached: Bool
    /// HTTP attempts it took (0 from the cache).
    public var attempts: Int
}

/// Settings that cannot work, each naming its field.
public struct LLMConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { "llm: " + problems.joined(separator: "; ") }
}

/// A client for OpenAI-compatible chat-completions endpoints, safe to share.
///
/// - **Strict JSON answers**: a ``JSONSchema`` goes out as `response_format`
///   (`{"type":"json_schema","json_schema":{"name":…,"strict":true,"schema":…}}`) and the
///   answer is checked against it here too.
/// - **Time limit** per attempt, **bounded retries** with exponential backoff and jitter
///   for failures that may pass, `Retry-After` honoured.
/// - **Cache** of answers (LRU in memory, optionally a JSON Lines file across runs): a
///   cached answer costs no request and makes runs repeatable.
/// - **Concurrency limit**: at most `maxConcurrent` requests in flight.
/// - **Every failure is counted** by kind (``statistics``); the API key is read once from
///   the environment variable the configuration names, and never logged.
///
/// `complete` never throws: it returns the answer or the failure, so callers can fall back.
public final class ChatCompletionsClient: Sendable {
    public let config: LLMConfig
    private let apiKey: String?
    /// Why requests cannot be authorised (the key's variable is unset), if so.
    public let keyProblem: String?
    private let transport: any HTTPTransport
    private let limiter: AsyncSemaphore
    private let cache: ResponseCache
    private let stats = Mutex(LLMStatistics())
    /// Requests being asked right now, by cache key: an identical request waits for that
    /// answer instead of asking again (and counts as answered from the cache).
    private let inFlight = Mutex<[String: Promise<Result<ChatAnswer, LLMFailure>>]>([:])
    private let jitter = Mutex(SplitMix64(seed: 0x5EED_A60A))
    private let breaker: Mutex<CircuitBreaker>
    /// Told when requests are paused (the endpoint kept failing) and resumed: for a log line.
    private let onPause: (@Sendable (_ paused: Bool, _ why: String) -> Void)?

    /// - Parameters:
    ///   - environment: where the API key is looked up (the process environment by default).
    ///   - transport: the HTTP layer (URLSession by default).
    /// - Throws: ``LLMConfigError`` for unusable settings, ``InputError`` for a bad cache file.
    ///   - onPause: called when requests are paused after `pauseAfterFailures` failures in a
    ///     row (`true`, with the last failure) and when they resume (`false`).
    public init(config: LLMConfig, environment: [String: String] = ProcessInfo.processInfo.environment, transport: (any HTTPTransport)? = nil,
                onPause: (@Sendable (_ paused: Bool, _ why: String) -> Void)? = nil) throws {
        let problems = config.problems()
        if !problems.isEmpty { throw LLMConfigError(problems: problems) }
        self.config = config
        if let name = config.apiKeyEnv {
            let key = environment[name] ?? ""
            apiKey = key.isEmpty ? nil : key
            keyProblem = key.isEmpty ? "the environment variable \(name) (llm.apiKeyEnv) is not set" : nil
        } else {
            apiKey = nil
            keyProblem = nil
        }
        self.transport = transport ?? URLSessionTransport()
        limiter = AsyncSemaphore(limit: config.maxConcurrent)
        breaker = Mutex(CircuitBreaker(threshold: config.pauseAfterFailures, pauseSeconds: config.pauseSeconds))
        self.onPause = onPause
        cache = try ResponseCache(capacity: config.cacheCapacity, file: config.cacheFile)
    }

    public var statistics: LLMStatistics {
        var s = stats.withLock { $0 }
        s.cacheEvictions = cache.evictions
        return s
    }

    /// Requests in flight and waiting for a slot.
    public var load: (inFlight: Int, waiting: Int) {
        let l = limiter.load
        return (l.held, l.waiting)
    }

    /// The cached answer for a request, without sending anything (nil when not cached or
    /// no longer valid).
    public func cachedAnswer(_ request: ChatRequest) -> ChatAnswer? {
        guard let content = cache.get(cacheKey(request)) else { return nil }
        return try? interpret(content, request, attempts: 0, cached: true).get()
    }

    /// Asks for a completion. Never throws: failures come back as `.failure` and are counted.
    public func complete(_ request: ChatRequest) async -> Result<ChatAnswer, LLMFailure> {
        stats.withLock { $0.requests += 1 }
        let key = cacheKey(request)
        if let content = cache.get(key), case .success(let a) = interpret(content, request, attempts: 0, cached: true) {
            stats.withLock {
                $0.cacheHits += 1
                $0.succeeded += 1
            }
            return .success(a)
        }
        if config.apiKeyEnv != nil && apiKey == nil {
            return fail(LLMFailure(.missingAPIKey, keyProblem ?? "no API key"))
        }
        let (promise, leader) = inFlight.withLock { m -> (Promise<Result<ChatAnswer, LLMFailure>>, Bool) in
            if let p = m[key] { return (p, false) }
            let p = Promise<Result<ChatAnswer, LLMFailure>>()
            m[key] = p
            return (p, true)
        }
        if !leader {
            // Bounded by the leader's own deadline and retries; the extra hour only guards a bug.
            guard let shared = await promise.value(before: .now + .seconds(3600)) else { return fail(LLMFailure(.cancelled, "cancelled")) }
            switch shared {
            case .success(var a):
                a.cached = true
                stats.withLock {
                    $0.cacheHits += 1
                    $0.succeeded += 1
                }
                return .success(a)
            case .failure(let f):
                return fail(f)
            }
        }
        let result: Result<ChatAnswer, LLMFailure>
        if breaker.withLock({ $0.allows(at: Self.now()) }) {
            result = await ask(request, key: key)
            // A cancellation is the caller's doing, not the endpoint's.
            var failure: LLMFailure?
            if case .failure(let f) = result, f.kind != .cancelled { failure = f }
            let change = breaker.withLock { $0.record(success: failure == nil, at: Self.now()) }
            switch change {
            case .opened?:
                onPause?(true, "\(config.pauseAfterFailures) requests in a row failed (last: \(failure?.description ?? "?")); none sent for \(Fmt.plain(config.pauseSeconds)) s")
            case .closed?:
                onPause?(false, "the endpoint answers again")
            case nil:
                break
            }
        } else {
            result = fail(LLMFailure(.unavailable, "requests paused: the endpoint failed \(config.pauseAfterFailures) in a row"))
        }
        inFlight.withLock { _ = $0.removeValue(forKey: key) }
        promise.fulfill(result)
        return result
    }

    /// Sends the request (with retries) within the concurrency limit.
    private func ask(_ request: ChatRequest, key: String) async -> Result<ChatAnswer, LLMFailure> {
        guard await limiter.acquire() else { return fail(LLMFailure(.cancelled, "cancelled while waiting for a slot")) }
        defer { limiter.release() }
        let body = requestBody(request)
        var headers = [("Content-Type", "application/json"), ("Accept", "application/json")]
        if let apiKey { headers.append(("Authorization", "Bearer " + apiKey)) }
        var attempt = 0
        while true {
            attempt += 1
            stats.withLock {
                $0.attempts += 1
                if attempt > 1 { $0.retries += 1 }
            }
            let outcome: Result<ChatAnswer, LLMFailure>
            do {
                let response = try await transport.post(url: config.endpoint, headers: headers, body: body, timeout: config.timeoutSeconds)
                outcome = interpretHTTP(response, request, attempts: attempt)
            } catch {
                outcome = .failure(error)
            }
            switch outcome {
            case .success(let answer):
                cache.set(key, answer.content)
                stats.withLock { $0.succeeded += 1 }
                return .success(answer)
            case .failure(let f):
                stats.withLock { $0.attemptFailures[f.kind, default: 0] += 1 }
                guard f.kind.retryable, attempt <= config.maxRetries, !Task.isCancelled else {
                    return fail(f)
                }
                let delay = backoff(attempt: attempt, retryAfter: f.retryAfter)
                do { try await Task.sleep(for: .milliseconds(Int64(delay * 1000))) } catch {
                    return fail(LLMFailure(.cancelled, "cancelled during backoff"))
                }
            }
        }
    }

    /// Counts a request that failed in the end. The key is masked should a server have
    /// echoed it into the message.
    private func fail(_ failure: LLMFailure) -> Result<ChatAnswer, LLMFailure> {
        var f = failure
        if let apiKey, f.message.contains(apiKey) { f.message = f.message.replacingOccurrences(of: apiKey, with: "[redacted]") }
        stats.withLock { $0.failures[f.kind, default: 0] += 1 }
        return .failure(f)
    }

    static func now() -> Double { Double(Monotonic.nanoseconds()) / 1e9 }

    /// Seconds to wait before attempt `attempt + 1`.
    func backoff(attempt: Int, retryAfter: Double?) -> Double {
        if let r = retryAfter, r >= 0 { return min(r, config.maxBackoffSeconds) }
        let base = min(config.maxBackoffSeconds, config.backoffSeconds * Double(1 << min(attempt - 1, 20)))
        let u = jitter.withLock { $0.nextUnit() }
        return min(config.maxBackoffSeconds, base * (0.5 + u))
    }

    // MARK: wire

    func cacheKey(_ r: ChatRequest) -> String {
        if let k = r.cacheKey { return config.model + "\u{1F}" + k }
        var w = JSONWriter(capacity: 512)
        w.beginArray()
        w.value(config.model)
        for m in r.messages {
            w.value(m.role)
            w.value(m.content)
        }
        if let s = r.schema { w.value(s.schema) }
        w.endArray()
        return w.string
    }

    func requestBody(_ r: ChatRequest) -> [UInt8] {
        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        w.field("model", config.model)
        w.key("messages")
        w.beginArray()
        for m in r.messages {
            w.beginObject()
            w.field("role", m.role)
            w.field("content", m.content)
            w.endObject()
        }
        w.endArray()
        w.field("temperature", config.temperature)
        w.field("max_tokens", config.maxTokens)
        w.field("seed", config.seed)
        w.field("stream", false)
        if let s = r.schema {
            w.key("response_format")
            w.beginObject()
            w.field("type", "json_schema")
            w.key("json_schema")
            w.beginObject()
            w.field("name", s.name)
            w.field("strict", s.strict)
            w.key("schema")
            w.value(s.schema)
            w.endObject()
            w.endObject()
        }
        w.endObject()
        return w.bytes
    }

    func interpretHTTP(_ http: HTTPResponse, _ r: ChatRequest, attempts: Int) -> Result<ChatAnswer, LLMFailure> {
        guard (200..<300).contains(http.status) else {
            let snippet = Self.snippet(http.body)
            var f: LLMFailure
            switch http.status {
            case 429: f = LLMFailure(.rateLimited, "HTTP 429 (rate limited)\(snippet)", status: 429)
            case 408: f = LLMFailure(.timeout, "HTTP 408 (request timeout)\(snippet)", status: 408)
            case 500...599: f = LLMFailure(.httpServer, "HTTP \(http.status)\(snippet)", status: http.status)
            default: f = LLMFailure(.httpClient, "HTTP \(http.status)\(snippet)", status: http.status)
            }
            if let ra = http.headers["retry-after"].flatMap({ HTTPDate.retryAfterSeconds($0, date: http.headers["date"]) }) { f.retryAfter = ra }
            return .failure(f)
        }
        let body: JSONValue
        do { body = try JSONReader.withReader(http.body) { (rd: inout JSONReader) throws(WireError) in
            let v = try JSONValue(from: &rd)
            try rd.expectEnd()
            return v
        } } catch {
            return .failure(LLMFailure(.invalidResponse, "the body is not JSON: \(error.message)\(Self.snippet(http.body))"))
        }
        if let e = body["error"], e != .null {
            let m = e["message"]?.stringValue ?? e.description
            return .failure(LLMFailure(.invalidResponse, "error in a \(http.status) answer: \(Self.clip(m))"))
        }
        guard let choices = body["choices"]?.arrayValue, let first = choices.first else {
            return .failure(LLMFailure(.invalidResponse, "no \"choices\" in the answer"))
        }
        guard let message = first["message"], case .object = message else {
            return .failure(LLMFailure(.invalidResponse, "no \"choices[0].message\" object in the answer"))
        }
        if let refusal = message["refusal"]?.stringValue, !refusal.isEmpty {
            return .failure(LLMFailure(.refused, Self.clip(refusal)))
        }
        guard let content = message["content"]?.stringValue else {
            return .failure(LLMFailure(.invalidResponse, "\"choices[0].message.content\" is not a string"))
        }
        if first["finish_reason"]?.stringValue == "length" {
            return .failure(LLMFailure(.invalidResponse, "the answer was cut off at maxTokens (\(config.maxTokens))"))
        }
        return interpret(content, r, attempts: attempts, cached: false)
    }

    /// Checks an assistant message against the request's schema and check.
    func interpret(_ content: String, _ r: ChatRequest, attempts: Int, cached: Bool) -> Result<ChatAnswer, LLMFailure> {
        guard r.schema != nil || r.check != nil else {
            return .success(ChatAnswer(content: content, json: nil, cached: cached, attempts: attempts))
        }
        let text = Self.stripFence(content)
        let json: JSONValue
        do { json = try JSONValue(parsing: text) } catch {
            return .failure(LLMFailure(.schemaViolation, "the answer is not JSON: \(Self.clip(text))"))
        }
        if let s = r.schema, let v = s.violation(in: json) {
            return .failure(LLMFailure(.schemaViolation, "the answer does not match the schema \(s.name): \(v)"))
        }
        if let check = r.check, let problem = check(json) {
            return .failure(LLMFailure(.schemaViolation, problem))
        }
        return .success(ChatAnswer(content: content, json: json, cached: cached, attempts: attempts))
    }

    /// Some local servers wrap JSON in a Markdown code fence; take what is inside.
    static func stripFence(_ s: String) -> String {
        let t = s.trimmingASCIIWhitespace()
        guard t.hasPrefix("```"), t.hasSuffix("```"), t.count >= 6 else { return t }
        var inner = t.dropFirst(3).dropLast(3)
        if let nl = inner.firstIndex(of: "\n") { inner = inner[inner.index(after: nl)...] }
        return String(inner).trimmingASCIIWhitespace()
    }

    static func clip(_ s: String) -> String {
        let one = s.split(whereSeparator: \.isNewline).joined(separator: " ")
        return one.count > 160 ? String(one.prefix(157)) + "…" : one
    }

    static func snippet(_ body: [UInt8]) -> String {
        if body.isEmpty { return "" }
        return ": " + clip(String(decoding: body.prefix(400), as: UTF8.self))
    }
}

/// The answer cache: an LRU in memory, optionally backed by a JSON Lines file of
/// `{"key":…,"content":…}` lines (read at start; every new answer appended).
final class ResponseCache: Sendable {
    private let lru: Mutex<LRUCache<String>>
    private let file: String?
    private let writer: Mutex<UnsafeMutablePointer<FILE>?>

    init(capacity: Int, file: String?) throws {
        var lru = LRUCache<String>(capacity: capacity)
        self.file = file
        var handle: UnsafeMutablePointer<FILE>?
        if let file {
            if FileManager.default.fileExists(atPath: file) {
                let reader = try LineReader(path: file)
                while let line = try reader.nextLine() {
                    if line.trimmingASCIIWhitespace().isEmpty { continue }
                    let v: JSONValue
                    do { v = try JSONValue(parsing: line) } catch {
                        throw InputError(file: file, line: reader.lineNumber, "invalid JSON: \(error.description)")
                    }
                    guard let k = v["key"]?.stringValue else { throw InputError(file: file, line: reader.lineNumber, field: "key", "missing or not a string") }
                    guard let c = v["content"]?.stringValue else { throw InputError(file: file, line: reader.lineNumber, field: "content", "missing or not a string") }
                    lru.set(k, c)
                }
            }
            guard let h = fopen(file, "a") else {
                throw InputError(file: file, "cannot open for appending: \(String(cString: strerror(errno)))")
            }
            handle = h
        }
        self.lru = Mutex(lru)
        writer = Mutex(handle)
    }

    deinit {
        writer.withLock { h in if let h { fclose(h) } }
    }

    var evictions: Int { lru.withLock { $0.evictions } }

    func get(_ key: String) -> String? { lru.withLock { $0.get(key) } }

    func set(_ key: String, _ content: String) {
        lru.withLock { $0.set(key, content) }
        guard file != nil else { return }
        var w = JSONWriter(capacity: 256)
        w.beginObject()
        w.field("key", key)
        w.field("content", content)
        w.endObject()
        var line = w.string + "\n"
        writer.withLock { h in
            guard let h else { return }
            line.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, h) }
            fflush(h)
        }
    }
}
