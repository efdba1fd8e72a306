import Bus

/// Settings of an OpenAI-compatible chat-completions endpoint: OpenAI itself, or a local
/// Ollama, llama.cpp or vLLM server.
///
/// The API key is never part of the configuration: `apiKeyEnv` names the environment
/// variable that holds it, and the key is neither logged nor put in any error message.
public struct LLMConfig: Codable, Sendable, Equatable {
    /// The API base, up to and including the version: `https://api.openai.com/v1`,
    /// `http://127.0.0.1:11434/v1` (Ollama), `http://127.0.0.1:8080/v1` (llama.cpp).
    /// Requests go to `<baseURL>/chat/completions`.
    public var baseURL: String
    /// The model name the server knows, e.g. `gpt-4o-mini`, `llama3.1:8b`.
    public var model: String
    /// The name of the environment variable holding the API key (sent as
    /// `Authorization: Bearer …`); nil for servers that need none. Default nil.
    public var apiKeyEnv: String?
    /// Time limit of one HTTP attempt, seconds. Default 10.
    public var timeoutSeconds: Double
    /// Further attempts after a failure that may pass (timeouts, connection errors, HTTP
    /// 408/409/429/5xx, unreadable or off-schema answers). Default 2.
    public var maxRetries: Int
    /// Wait before the first retry, seconds; doubles each retry (with ±50% jitter), up to
    /// `maxBackoffSeconds`. A `Retry-After` header is honoured up to that cap. Default 0.25.
    public var backoffSeconds: Double
    /// Default 4.
    public var maxBackoffSeconds: Double
    /// Requests in flight at once; further requests wait their turn. Default 4.
    public var maxConcurrent: Int
    /// Answers kept in memory (least recently used are evicted). Default 10,000.
    public var cacheCapacity: Int
    /// A JSON Lines file that keeps answers across runs (read at start, appended to);
    /// nil keeps them in memory only. Default nil.
    public var cacheFile: String?
    /// Sampling temperature. Default 0.
    public var temperature: Double
    /// Upper bound on the answer's length, tokens. Default 200.
    public var maxTokens: Int
    /// Sent as `seed` to servers that support reproducible sampling; nil sends none. Default 0.
    public var seed: Int?
    /// Requests failed in a row (retries included) after which none is sent for
    /// `pauseSeconds`: they fail at once as `unavailable`, and the rule-based result stands.
    /// 0 never pauses. Default 3.
    public var pauseAfterFailures: Int
    /// Default 30.
    public var pauseSeconds: Double

    public init(
        baseURL: String, model: String, apiKeyEnv: String? = nil, timeoutSeconds: Double = 10,
        maxRetries: Int = 2, backoffSeconds: Double = 0.25, maxBackoffSeconds: Double = 4,
        maxConcurrent: Int = 4, cacheCapacity: Int = 10_000, cacheFile: String? = nil,
        temperature: Double = 0, maxTokens: Int = 200, seed: Int? = 0, pauseAfterFailures: Int = 3, pauseSeconds: Double = 30
    ) {
        self.baseURL = baseURL
        self.model = model
        self.apiKeyEnv = apiKeyEnv
        self.timeoutSeconds = timeoutSeconds
        self.maxRetries = maxRetries
        self.backoffSeconds = backoffSeconds
        self.maxBackoffSeconds = maxBackoffSeconds
        self.maxConcurrent = maxConcurrent
        self.cacheCapacity = cacheCapacity
        self.cacheFile = cacheFile
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.seed = seed
        self.pauseAfterFailures = pauseAfterFailures
        self.pauseSeconds = pauseSeconds
    }

    private enum Keys: String, CodingKey {
        case baseURL, model, apiKeyEnv, timeoutSeconds, maxRetries, backoffSeconds, maxBackoffSeconds
        case maxConcurrent, cacheCapacity, cacheFile, temperature, maxTokens, seed, pauseAfterFailures, pauseSeconds
    }

    /// Decodes with the defaults for absent keys; `baseURL` and `model` are required.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["baseURL", "model", "apiKeyEnv", "timeoutSeconds", "maxRetries", "backoffSeconds", "maxBackoffSeconds",
                                       "maxConcurrent", "cacheCapacity", "cacheFile", "temperature", "maxTokens", "seed",
                                       "pauseAfterFailures", "pauseSeconds"], in: "llm")
        let c = try decoder.container(keyedBy: Keys.self)
        let d = LLMConfig(baseURL: "", model: "")
        baseURL = try c.decode(String.self, forKey: .baseURL)
        model = try c.decode(String.self, forKey: .model)
        apiKeyEnv = try c.decodeIfPresent(String.self, forKey: .apiKeyEnv)
        timeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .timeoutSeconds) ?? d.timeoutSeconds
        maxRetries = try c.decodeIfPresent(Int.self, forKey: .maxRetries) ?? d.maxRetries
        backoffSeconds = try c.decodeIfPresent(Double.self, forKey: .backoffSeconds) ?? d.backoffSeconds
        maxBackoffSeconds = try c.decodeIfPresent(Double.self, forKey: .maxBackoffSeconds) ?? d.maxBackoffSeconds
        maxConcurrent = try c.decodeIfPresent(Int.self, forKey: .maxConcurrent) ?? d.maxConcurrent
        cacheCapacity = try c.decodeIfPresent(Int.self, forKey: .cacheCapacity) ?? d.cacheCapacity
        cacheFile = try c.decodeIfPresent(String.self, forKey: .cacheFile)
        temperature = try c.decodeIfPresent(Double.self, forKey: .temperature) ?? d.temperature
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens) ?? d.maxTokens
        seed = c.contains(.seed) ? try c.decodeIfPresent(Int.self, forKey: .seed) : d.seed
        pauseAfterFailures = try c.decodeIfPresent(Int.self, forKey: .pauseAfterFailures) ?? d.pauseAfterFailures
        pauseSeconds = try c.decodeIfPresent(Double.self, forKey: .pauseSeconds) ?? d.pauseSeconds
    }

    /// Every problem with the settings, each naming its field; empty when they are usable.
    public func problems() -> [String] {
        var out: [String] = []
        if let u = parsedURL {
            if u.host.isEmpty { out.append("baseURL: no host in \"\(baseURL)\"") }
        } else {
            out.append("baseURL: expected http://HOST[:PORT]/PATH or https://…, got \"\(baseURL)\"")
        }
        if model.trimmingASCIIWhitespace().isEmpty { out.append("model: empty") }
        if let e = apiKeyEnv, e.isEmpty || e.contains("=") { out.append("apiKeyEnv: not an environment variable name: \"\(e)\"") }
        if !(timeoutSeconds > 0 && timeoutSeconds <= 600) { out.append("timeoutSeconds: expected 0 < s ≤ 600, got \(timeoutSeconds)") }
        if !(0...10).contains(maxRetries) { out.append("maxRetries: expected 0…10, got \(maxRetries)") }
        if !(backoffSeconds >= 0 && backoffSeconds <= 60) { out.append("backoffSeconds: expected 0 ≤ s ≤ 60, got \(backoffSeconds)") }
        if !(maxBackoffSeconds >= backoffSeconds && maxBackoffSeconds <= 600) { out.append("maxBackoffSeconds: expected backoffSeconds ≤ s ≤ 600, got \(maxBackoffSeconds)") }
        if !(1...256).contains(maxConcurrent) { out.append("maxConcurrent: expected 1…256, got \(maxConcurrent)") }
        if cacheCapacity < 1 { out.append("cacheCapacity: expected ≥ 1, got \(cacheCapacity)") }
        if !(temperature >= 0 && temperature <= 2) { out.append("temperature: expected 0…2, got \(temperature)") }
        if !(1...100_000).contains(maxTokens) { out.append("maxTokens: expected 1…100000, got \(maxTokens)") }
        if !(0...1000).contains(pauseAfterFailures) { out.append("pauseAfterFailures: expected 0…1000, got \(pauseAfterFailures)") }
        if !(pauseSeconds > 0 && pauseSeconds <= 86_400) { out.append("pauseSeconds: expected 0 < s ≤ 86400, got \(pauseSeconds)") }
        return out
    }

    /// The chat-completions URL.
    public var endpoint: String {
        var b = baseURL
        while b.hasSuffix("/") { b.removeLast() }
        // The scheme in lower case: `HTTP://` passes the check, and URLSession refuses it.
        if let colon = b.firstIndex(of: ":") { b = b[..<colon].lowercased() + b[colon...] }
        return b + "/chat/completions"
    }

    struct ParsedURL {
        var scheme: String
        var host: String
    }

    var parsedURL: ParsedURL? {
        for scheme in ["http", "https"] where baseURL.lowercased().hasPrefix(scheme + "://") {
            let rest = baseURL.dropFirst(scheme.count + 3)
            let hostPort = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            let host = hostPort.hasPrefix("[") ? String(hostPort.prefix { $0 != "]" }.dropFirst()) : String(hostPort.prefix { $0 != ":" })
            if baseURL.contains(where: { $0 == " " || $0 == "\n" }) { return nil }
            return ParsedURL(scheme: scheme, host: host)
        }
        return nil
    }
}

/// Why a chat completion failed. Every kind is counted.
public enum LLMFailureKind: String, Sendable, CaseIterable, Codable {
    /// The environment variable named by `apiKeyEnv` is unset or empty (nothing is sent).
    case missingAPIKey = "missing_api_key"
    /// No answer within `timeoutSeconds`.
    case timeout
    /// The connection failed (refused, reset, DNS, TLS …).
    case transport
    /// HTTP 429.
    case rateLimited = "http_429"
    /// Another HTTP 4xx (bad request, bad key, unknown model …): not retried, except 408 and 409.
    case httpClient = "http_4xx"
    /// HTTP 5xx.
    case httpServer = "http_5xx"
    /// The body is not a chat completion (garbage, HTML, truncated, no choices).
    case invalidResponse = "invalid_response"
    /// The answer is not JSON of the requested schema, or fails the caller's check.
    case schemaViolation = "schema_violation"
    /// The model refused to answer.
    case refused
    /// The request was cancelled by its caller.
    case cancelled
    /// Not sent: the endpoint failed `pauseAfterFailures` requests in a row, and requests
    /// are paused for `pauseSeconds`.
    case unavailable

    /// Whether another attempt may succeed.
    var retryable: Bool {
        switch self {
        case .timeout, .transport, .rateLimited, .httpServer, .invalidResponse, .schemaViolation: true
        case .missingAPIKey, .httpClient, .refused, .cancelled, .unavailable: false
        }
    }
}

/// A failed chat completion: its kind and a one-line message (never containing the key).
public struct LLMFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var kind: LLMFailureKind
    public var message: String
    /// HTTP status, when there was one.
    public var status: Int?
    /// Seconds the server asked to wait (`Retry-After`), when it did.
    var retryAfter: Double?

    public init(_ kind: LLMFailureKind, _ message: String, status: Int? = nil) {
        self.kind = kind
        self.message = message
        self.status = status
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}

/// Counters of a client. `attemptFailures` counts every failed attempt by kind;
/// `failures` counts requests that failed in the end, by the kind of their last attempt.
public struct LLMStatistics: Sendable, Equatable {
    public var requests = 0
    public var succeeded = 0
    public var cacheHits = 0
    /// HTTP attempts made (first tries plus retries).
    public var attempts = 0
    public var retries = 0
    public var failures: [LLMFailureKind: Int] = [:]
    public var attemptFailures: [LLMFailureKind: Int] = [:]
    public var cacheEvictions = 0

    public init() {}

    public var failed: Int { failures.values.reduce(0, +) }
}
