import Foundation
import Testing
@testable import Bus

@Suite struct RedisConfigurationTests {
    static let valid: [(String, RedisURL)] = [
        ("redis://127.0.0.1:6379", RedisURL(host: "127.0.0.1", port: 6379)),
        ("redis://localhost", RedisURL(host: "localhost", port: 6379)),
        ("REDIS://cache.internal:7000/3", RedisURL(host: "cache.internal", port: 7000, db: 3)),
        ("redis://:s3cret@10.0.0.5:6380", RedisURL(host: "10.0.0.5", port: 6380, password: "s3cret")),
        ("redis://alice:wonder%40land@h:1/15", RedisURL(host: "h", port: 1, user: "alice", password: "wonder@land", db: 15)),
        ("redis://s3cret@h", RedisURL(host: "h", password: "s3cret")),
        ("redis://al%20ice:p:w@h", RedisURL(host: "h", user: "al ice", password: "p:w")),
        ("redis://u:p@ss@h:2", RedisURL(host: "h", port: 2, user: "u", password: "p@ss")),
        ("redis://[::1]:6390/2", RedisURL(host: "::1", port: 6390, db: 2)),
        ("redis://[::1]", RedisURL(host: "::1", port: 6379)),
        ("redis://h:6379/", RedisURL(host: "h", port: 6379)),
    ]

    @Test(arguments: valid)
    func parsesURLs(_ text: String, _ expected: RedisURL) throws {
        #expect(try RedisURL(parsing: text) == expected)
    }

    static let invalid: [(String, String)] = [
        ("http://h:6379", #"redis URL "http://h:6379": must start with redis://, as in redis://[user:password@]host:port[/db]"#),
        ("rediss://h:6380", #"redis URL "rediss://h:6380": TLS (rediss://) is not supported: hiredis 0.14 has no TLS; reach a TLS server through a tunnel (stunnel, spiped) with redis://"#),
        ("redis://h:0", #"redis URL "redis://h:0": port "0" is not a number in 1…65535"#),
        ("redis://h:65536", #"redis URL "redis://h:65536": port "65536" is not a number in 1…65535"#),
        ("redis://h:abc", #"redis URL "redis://h:abc": port "abc" is not a number in 1…65535"#),
        ("redis://h:6379/x", #"redis URL "redis://h:6379/x": database "x" is not a number ≥ 0 (the path is the database, as in redis://host:6379/2)"#),
        ("redis://h/-1", #"redis URL "redis://h/-1": database "-1" is not a number ≥ 0 (the path is the database, as in redis://host:6379/2)"#),
        ("redis://:6379", #"redis URL "redis://:6379": the host is missing"#),
        ("redis://", #"redis URL "redis://": the host is missing"#),
        ("redis://u:@h", #"redis URL "redis://u:***@h": the password after ":" is empty"#),
        ("redis://u:p%4@h", #"redis URL "redis://u:***@h": the password has an invalid %-escape (use %25 for a literal %)"#),
        ("redis://h?db=1", #"redis URL "redis://h?db=1": query parameters are not supported; set other options (timeouts, whenDisconnected, …) beside the URL in the topology's bus section"#),
        ("redis://[::1:6379", #"redis URL "redis://[::1:6379": IPv6 address is missing its closing "]""#),
        ("redis://secret@h:port", #"redis URL "redis://***@h:port": port "port" is not a number in 1…65535"#),
    ]

    @Test(arguments: invalid)
    func refusesInvalidURLsNamingThePart(_ text: String, _ message: String) {
        #expect(throws: RedisConfigurationError(message)) { try RedisURL(parsing: text) }
    }

    @Test func descriptionNeverShowsThePassword() throws {
        let url = try RedisURL(parsing: "redis://alice:top%2Fsecret@h:7/2")
        #expect(url.description == "redis://alice:***@h:7/2")
        #expect(!"\(url)".contains("secret"))
        #expect(url.urlString == "redis://alice:top%2Fsecret@h:7/2")
        #expect(try RedisURL(parsing: url.urlString) == url)
        #expect(RedisURL(host: "::1", port: 1).description == "redis://[::1]:1")
    }

    @Test func codableFillsDefaultsAndRoundTrips() throws {
        let json = #"{"url":"redis://:pw@10.1.2.3:6400/1","prefix":"prod.","whenDisconnected":"fail"}"#
        let c = try JSONDecoder().decode(RedisConfiguration.self, from: Data(json.utf8))
        var expected = RedisConfiguration(url: RedisURL(host: "10.1.2.3", port: 6400, password: "pw", db: 1), prefix: "prod.")
        expected.whenDisconnected = .fail
        #expect(c == expected)
        #expect(c.maxMessageBytes == 1 << 20)
        #expect(c.reconnectMaxDelay == 2)
        let again = try JSONDecoder().decode(RedisConfiguration.self, from: JSONEncoder().encode(c))
        #expect(again == c)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(RedisConfiguration.self, from: Data(#"{"url":"redis://h:99999"}"#.utf8))
        }
    }

    @Test func validationNamesTheField() {
        var c = RedisConfiguration()
        c.reconnectMaxDelay = 0.01
        #expect(throws: RedisConfigurationError("redis reconnectMaxDelay 0.01 is outside 0.05…3600.0 seconds")) { try c.validate() }
        c = RedisConfiguration(prefix: "my prefix.")
        #expect(throws: RedisConfigurationError(#"redis prefix "my prefix." contains a space or control character (U+20)"#)) { try c.validate() }
        c = RedisConfiguration(maxMessageBytes: 10)
        #expect(throws: RedisConfigurationError("redis maxMessageBytes 10 is outside 64…536870912 (Redis' own limit is 512 MiB)")) { try c.validate() }
        #expect(throws: Never.self) { try RedisConfiguration().validate() }
    }

    @Test func channelsAndPatternsCarryTheEscapedPrefix() {
        let c = RedisConfiguration(prefix: "team[a]*.")
        #expect(c.channel(for: "market.bar.AAPL") == "team[a]*.market.bar.AAPL")
        #expect(c.redisPattern(for: "market.bar.*") == #"team\[a\]\*.market.bar.*"#)
        // The escaped prefix matches only itself, as Redis would.
        let p = TopicPattern(c.redisPattern(for: "market.*"))
        #expect(p.matches("team[a]*.market.bar.AAPL"))
        #expect(!p.matches("teamaX.market.bar.AAPL"))
    }
}

/// Without a server the Redis tests fail, and say how to run them: they never skip.
@Suite struct RedisTestSetupTests {
    @Test func aMissingRedisBinaryIsAClearFailure() {
        #expect {
            _ = try RedisTestEnvironment.executable("AGORA_TEST_NO_SUCH_VARIABLE", "agora-no-such-redis-server")
        } throws: { error in
            let message = "\(error)"
            return message.hasPrefix("Redis tests need agora-no-such-redis-server, which was not found: run them with ./scripts/test")
                && message.contains("AGORA_TEST_NO_SUCH_VARIABLE")
        }
    }

    @Test func aWrongExecutablePathIsAClearFailure() {
        #expect {
            _ = try RedisTestEnvironment.executable(
                "AGORA_REDIS_SERVER", "redis-server", environment: ["AGORA_REDIS_SERVER": "/nonexistent/redis-server"])
        } throws: { error in
            "\(error)" == "AGORA_REDIS_SERVER=/nonexistent/redis-server is not an executable file"
        }
    }

    @Test func withoutPATHEntriesNothingIsFound() {
        #expect(throws: RedisTestSetupError.self) {
            _ = try RedisTestEnvironment.executable("AGORA_REDIS_CLI", "redis-cli", environment: ["PATH": "/nonexistent"])
        }
    }
}
