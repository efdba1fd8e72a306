/// A configuration or URL mistake, with a message that names the offending part.
/// Passwords never appear in it.
public struct RedisConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Where the Redis server is and how to log in:
/// `redis://[user:password@]host[:port][/db]`.
///
/// - `host` is a name, an IPv4 address or a bracketed IPv6 address (`[::1]`);
/// - `port` defaults to 6379, `db` to 0;
/// - `user` and `password` are percent-decoded (`p%40ss` is `p@ss`); with only a password
///   (`redis://:secret@host`) Agora sends `AUTH secret`, with both `AUTH user secret`
///   (an ACL user, Redis 6 and later).
///
/// `rediss://` (TLS) is refused: hiredis 0.14 has no TLS.
public struct RedisURL: Sendable, Hashable, CustomStringConvertible, Codable {
    public var host: String
    public var port: Int
    public var user: String?
    public var password: String?
    public var db: Int

    public static let defaultPort = 6379

    public init(host: String = "127.0.0.1", port: Int = RedisURL.defaultPort, user: String? = nil, password: String? = nil, db: Int = 0) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.db = db
    }

    public init(parsing text: String) throws(RedisConfigurationError) {
        let shown = RedisURL.redact(text)
        func fail(_ why: String) -> RedisConfigurationError {
            RedisConfigurationError("redis URL \"\(shown)\": \(why)")
        }
        let lower = text.lowercased()
        if lower.hasPrefix("rediss://") {
            throw fail("TLS (rediss://) is not supported: hiredis 0.14 has no TLS; reach a TLS server through a tunnel (stunnel, spiped) with redis://")
        }
        guard lower.hasPrefix("redis://") else {
            throw fail("must start with redis://, as in redis://[user:password@]host:port[/db]")
        }
        var rest = Substring(text.dropFirst("redis://".count))
        if rest.contains("?") { throw fail("query parameters are not supported; set other options (timeouts, whenDisconnected, …) beside the URL in the topology's bus section") }
        if rest.contains("#") { throw fail("a fragment (#…) is not allowed") }

        var user: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let info = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = info.firstIndex(of: ":") {
                let u = info[..<colon]
                let p = info[info.index(after: colon)...]
                if !u.isEmpty { user = try RedisURL.percentDecode(u, field: "user", shown: shown) }
                password = try RedisURL.percentDecode(p, field: "password", shown: shown)
                if password == "" { throw fail("the password after \":\" is empty") }
            } else if !info.isEmpty {
                // `redis://secret@host`: a lone userinfo is a password (as redis-cli reads it).
                password = try RedisURL.percentDecode(info, field: "password", shown: shown)
            }
        }

        var hostPort = rest
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            hostPort = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        }

        var host: Substring
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw fail("IPv6 address is missing its closing \"]\"") }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { throw fail("unexpected \"\(after)\" after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = hostPort.firstIndex(of: ":") {
            host = hostPort[..<colon]
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = hostPort
        }
        if host.isEmpty { throw fail("the host is missing") }
        if host.contains(where: { $0 == " " || $0 == "@" }) { throw fail("host \"\(host)\" is not valid") }

        var port = RedisURL.defaultPort
        if let portText {
            guard let p = Int(portText), (1...65_535).contains(p), portText.allSatisfy(\.isASCII) else {
                throw fail("port \"\(portText)\" is not a number in 1…65535")
            }
            port = p
        }

        var db = 0
        if !path.isEmpty {
            guard let d = Int(path), d >= 0, path.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw fail("database \"\(path)\" is not a number ≥ 0 (the path is the database, as in redis://host:6379/2)")
            }
            db = d
        }
        self.init(host: String(host), port: port, user: user, password: password, db: db)
    }

    /// `host:port`, with IPv6 addresses in brackets.
    public var address: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The URL with the password replaced by `***`: safe for logs and errors.
    public var description: String {
        var s = "redis://"
        if let user { s += RedisURL.percentEncode(user) }
        if password != nil { s += ":***" }
        if user != nil || password != nil { s += "@" }
        s += address
        if db != 0 { s += "/\(db)" }
        return s
    }

    /// The full URL, password included (for configuration files).
    public var urlString: String {
        var s = "redis://"
        if let user { s += RedisURL.percentEncode(user) }
        if let password { s += ":" + RedisURL.percentEncode(password) }
        if user != nil || password != nil { s += "@" }
        s += address
        if db != 0 { s += "/\(db)" }
        return s
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(urlString)
    }

    /// Hides the password of a URL that may not parse.
    static func redact(_ text: String) -> String {
        let chars = Array(text)
        var start = -1
        if chars.count >= 3 {
            for i in 0...(chars.count - 3) where chars[i] == ":" && chars[i + 1] == "/" && chars[i + 2] == "/" {
                start = i + 3
                break
            }
        }
        guard start >= 0, let at = chars.lastIndex(of: "@"), at >= start else { return text }
        if let colon = chars[start..<at].firstIndex(of: ":") {
            return String(chars[..<colon]) + ":***" + String(chars[at...])
        }
        return String(chars[..<start]) + "***" + String(chars[at...])
    }

    static func percentDecode(_ s: Substring, field: String, shown: String) throws(RedisConfigurationError) -> String {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b != 0x25 {
                out.append(b)
                continue
            }
            guard bytes.count >= 2, let hi = hexValue(bytes[bytes.startIndex]), let lo = hexValue(bytes[bytes.startIndex + 1]) else {
                throw RedisConfigurationError("redis URL \"\(shown)\": the \(field) has an invalid %-escape (use %25 for a literal %)")
            }
            out.append(hi << 4 | lo)
            bytes = bytes.dropFirst(2)
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }

    static func percentEncode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F, 0x7E:
                out.unicodeScalars.append(UnicodeScalar(b))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(UnicodeScalar(hex[Int(b >> 4)])) + String(UnicodeScalar(hex[Int(b & 15)]))
            }
        }
        return out
    }
}

/// Everything the Redis transport needs to know. Every field but `url` has a documented
/// default, and a missing field in JSON takes its default.
public struct RedisConfiguration: Codable, Sendable, Equatable {
    /// What `publish` (and `subscribe`) do while the transport is not connected.
    public enum WhenDisconnected: String, Codable, Sendable, Equatable, CaseIterable {
        /// Keep accepting events into the bounded publish queue (sent after reconnecting);
        /// `publish` suspends once the queue is full. `subscribe` waits for the server.
        case wait
        /// Throw `BusError(.disconnected, …)` at once.
        case fail

        /// Names the choices when the value is none of them (Foundation's own message is
        /// "Cannot initialize WhenDisconnected from invalid String value").
        public init(from decoder: any Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let v = WhenDisconnected(rawValue: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription:
                    "expected one of \(Self.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(text)\""))
            }
            self = v
        }
    }

    /// The server and credentials. Default `redis://127.0.0.1:6379`.
    public var url: RedisURL
    /// Prepended to every channel (topic) and pattern so that several Agora deployments can
    /// share one Redis, e.g. `"prod."`. Default: none. Pub/sub channels ignore the database
    /// number, so the prefix is what separates deployments.
    public var prefix: String
    /// Longest wait for a TCP connection, in seconds. Default 2.
    public var connectTimeout: Double
    /// Longest wait for a reply (publish acknowledgements, a health-check PING), in seconds;
    /// a server that stays silent longer is treated as gone. Default 5.
    public var readTimeout: Double
    /// An idle connection is checked with a PING after this many seconds. Default 5.
    public var healthCheckInterval: Double
    /// Default `wait`.
    public var whenDisconnected: WhenDisconnected
    /// Events accepted but not yet sent; `publish` suspends when it is full. Default 65,536.
    public var publishQueueCapacity: Int
    /// Bytes accepted but not yet sent; `publish` suspends above it. Default 64 MiB.
    public var publishQueueBytes: Int
    /// Largest message accepted, on both sides, in bytes. Default 1 MiB. A larger event
    /// is refused by `publish` (`BusError(.tooLarge, …)`) and counted as malformed (and
    /// dropped) by subscribers.
    public var maxMessageBytes: Int
    /// First pause before reconnecting, in seconds; doubled after every failure. Default 0.05.
    public var reconnectInitialDelay: Double
    /// Cap of the reconnection pause, in seconds. Default 2.
    public var reconnectMaxDelay: Double
    /// How long `shutdown()` waits to send what was accepted and for subscribers to
    /// receive it, in seconds. Default 5.
    public var shutdownTimeout: Double
    /// Shown in `CLIENT LIST` (suffixed `-pub` and `-sub`). Default `agora`.
    public var clientName: String

    public init(
        url: RedisURL = RedisURL(), prefix: String = "", connectTimeout: Double = 2, readTimeout: Double = 5,
        healthCheckInterval: Double = 5, whenDisconnected: WhenDisconnected = .wait,
        publishQueueCapacity: Int = 65_536, publishQueueBytes: Int = 64 << 20, maxMessageBytes: Int = 1 << 20,
        reconnectInitialDelay: Double = 0.05, reconnectMaxDelay: Double = 2, shutdownTimeout: Double = 5,
        clientName: String = "agora"
    ) {
        self.url = url
        self.prefix = prefix
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.healthCheckInterval = healthCheckInterval
        self.whenDisconnected = whenDisconnected
        self.publishQueueCapacity = publishQueueCapacity
        self.publishQueueBytes = publishQueueBytes
        self.maxMessageBytes = maxMessageBytes
        self.reconnectInitialDelay = reconnectInitialDelay
        self.reconnectMaxDelay = reconnectMaxDelay
        self.shutdownTimeout = shutdownTimeout
        self.clientName = clientName
    }

    /// A configuration for `url` (`redis://[user:password@]host:port[/db]`) with defaults.
    public init(url: String, prefix: String = "") throws(RedisConfigurationError) {
        self.init(url: try RedisURL(parsing: url), prefix: prefix)
    }

    enum CodingKeys: String, CodingKey {
        case url, prefix, connectTimeout, readTimeout, healthCheckInterval, whenDisconnected
        case publishQueueCapacity, publishQueueBytes, maxMessageBytes, reconnectInitialDelay
        case reconnectMaxDelay, shutdownTimeout, clientName
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RedisConfiguration()
        self.init(
            url: try c.decodeIfPresent(RedisURL.self, forKey: .url) ?? d.url,
            prefix: try c.decodeIfPresent(String.self, forKey: .prefix) ?? d.prefix,
            connectTimeout: try c.decodeIfPresent(Double.self, forKey: .connectTimeout) ?? d.connectTimeout,
            readTimeout: try c.decodeIfPresent(Double.self, forKey: .readTimeout) ?? d.readTimeout,
            healthCheckInterval: try c.decodeIfPresent(Double.self, forKey: .healthCheckInterval) ?? d.healthCheckInterval,
            whenDisconnected: try c.decodeIfPresent(WhenDisconnected.self, forKey: .whenDisconnected) ?? d.whenDisconnected,
            publishQueueCapacity: try c.decodeIfPresent(Int.self, forKey: .publishQueueCapacity) ?? d.publishQueueCapacity,
            publishQueueBytes: try c.decodeIfPresent(Int.self, forKey: .publishQueueBytes) ?? d.publishQueueBytes,
            maxMessageBytes: try c.decodeIfPresent(Int.self, forKey: .maxMessageBytes) ?? d.maxMessageBytes,
            reconnectInitialDelay: try c.decodeIfPresent(Double.self, forKey: .reconnectInitialDelay) ?? d.reconnectInitialDelay,
            reconnectMaxDelay: try c.decodeIfPresent(Double.self, forKey: .reconnectMaxDelay) ?? d.reconnectMaxDelay,
            shutdownTimeout: try c.decodeIfPresent(Double.self, forKey: .shutdownTimeout) ?? d.shutdownTimeout,
            clientName: try c.decodeIfPresent(String.self, forKey: .clientName) ?? d.clientName)
    }

    /// Checks every value; the error names the field and the allowed range.
    public func validate() throws(RedisConfigurationError) {
        func seconds(_ name: String, _ v: Double, _ range: ClosedRange<Double>) throws(RedisConfigurationError) {
            guard v.isFinite, range.contains(v) else {
                throw RedisConfigurationError("redis \(name) \(v) is outside \(range.lowerBound)…\(range.upperBound) seconds")
            }
        }
        try seconds("connectTimeout", connectTimeout, 0.001...3600)
        try seconds("readTimeout", readTimeout, 0.001...3600)
        try seconds("healthCheckInterval", healthCheckInterval, 0.01...86_400)
        try seconds("reconnectInitialDelay", reconnectInitialDelay, 0.001...3600)
        try seconds("reconnectMaxDelay", reconnectMaxDelay, reconnectInitialDelay...3600)
        try seconds("shutdownTimeout", shutdownTimeout, 0...3600)
        guard publishQueueCapacity >= 1 else { throw RedisConfigurationError("redis publishQueueCapacity must be at least 1") }
        guard publishQueueBytes >= 1024 else { throw RedisConfigurationError("redis publishQueueBytes must be at least 1024") }
        guard (64...(512 << 20)).contains(maxMessageBytes) else {
            throw RedisConfigurationError("redis maxMessageBytes \(maxMessageBytes) is outside 64…536870912 (Redis' own limit is 512 MiB)")
        }
        if let bad = prefix.unicodeScalars.first(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
            throw RedisConfigurationError("redis prefix \"\(prefix)\" contains a space or control character (U+\(String(bad.value, radix: 16, uppercase: true)))")
        }
        if prefix.utf8.count > 128 { throw RedisConfigurationError("redis prefix is longer than 128 bytes") }
        if clientName.isEmpty || clientName.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7F }) {
            throw RedisConfigurationError("redis clientName \"\(clientName)\" must be non-empty printable ASCII without spaces")
        }
    }

    /// Why an event cannot be published here, or nil: its topic (the bus's rule), or its
    /// size on the wire (`bytes`, with `topicSeq`) over `maxMessageBytes`. The writer and the
    /// replay's check of a whole log before publishing say it alike.
    public func publishProblem(type: String, topic: String, bytes: Int) -> String? {
        if let p = Topic.validate(topic) { return p }
        if bytes > maxMessageBytes {
            return "\(type) event on \(topic) is \(bytes) bytes, over the \(maxMessageBytes)-byte limit (maxMessageBytes)"
        }
        return nil
    }

    /// The Redis channel of a topic.
    public func channel(for topic: String) -> String { prefix + topic }

    /// The Redis pattern of a subscription pattern: the prefix is escaped, so it matches
    /// only itself.
    public func redisPattern(for pattern: String) -> String { TopicPattern.escape(prefix) + pattern }
}
