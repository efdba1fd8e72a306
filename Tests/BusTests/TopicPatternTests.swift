import Testing
@testable import Bus

/// Pattern semantics, pinned against a real Redis 7 server: every row's expected value is
/// what `PUBLISH` returned for a client `PSUBSCRIBE`d to the pattern (see docs/architecture.md).
@Suite struct TopicPatternTests {
    static let table: [(String, String, Bool)] = [
        ("market.bar.*", "market.bar.AAPL", true),
        ("market.bar.*", "market.bar.", true),
        ("market.bar.*", "market.bars.AAPL", false),
        ("market.*", "market.bar.AAPL", true),
        ("*", "market.bar.AAPL", true),
        ("*.AAPL", "market.bar.AAPL", true),
        ("*.AAPL", "market.bar.MSFT", false),
        ("market.bar.?", "market.bar.A", true),
        ("market.bar.?", "market.bar.AA", false),
        ("market.bar.????", "market.bar.AAPL", true),
        ("market.bar.[AM]*", "market.bar.AAPL", true),
        ("market.bar.[AM]*", "market.bar.MSFT", true),
        ("market.bar.[AM]*", "market.bar.GOOG", false),
        ("market.bar.[^A]*", "market.bar.AAPL", false),
        ("market.bar.[^A]*", "market.bar.GOOG", true),
        ("market.bar.[A-C]*", "market.bar.BABA", true),
        ("market.bar.[C-A]*", "market.bar.BABA", true),
        ("market.bar.[A-C]*", "market.bar.DELL", false),
        ("market.bar.\\*", "market.bar.*", true),
        ("market.bar.\\*", "market.bar.AAPL", false),
        ("a\\?c", "a?c", true),
        ("a\\?c", "abc", false),
        ("a[\\]]c", "a]c", true),
        ("a[\\-]c", "a-c", true),
        ("a[b-]c", "a-c", false),
        ("a[b-]c", "abc", false),
        ("a[abc", "ab", true),
        ("a[abc", "aa", true),
        ("a[abc", "a[", false),
        ("ab\\", "ab\\", true),
        ("a*b*c", "aXbYc", true),
        ("a*b*c", "aXbY", false),
        ("**", "x", true),
        ("a**", "abc", true),
        ("*a", "a", true),
        ("[]]", "]", false),
        ("[]a]", "a", false),
        ("[^]]", "a", false),
        ("[a-]", "-", false),
        ("[!a]", "b", false),
        ("[!a]", "!", true),
        ("signal.*.AAPL", "signal.technical.AAPL", true),
        ("signal.*.AAPL", "signal.technical.MSFT", false),
        ("order.*", "order.filled.AAPL", true),
        ("system.heartbeat.*", "system.heartbeat.node-1", true),
        ("h[ae]llo", "hello", true),
        ("h[ae]llo", "hillo", false),
        ("h*llo", "heeeello", true),
    ]

    @Test(arguments: TopicPatternTests.table.indices)
    func matchesLikeRedis(_ i: Int) {
        let (pattern, topic, expected) = TopicPatternTests.table[i]
        #expect(TopicPattern(pattern).matches(topic) == expected, "pattern \(pattern) vs topic \(topic)")
    }

    @Test func literalPatternsUseEquality() {
        #expect(TopicPattern("decision.AAPL").isLiteral)
        #expect(TopicPattern("decision.AAPL").matches("decision.AAPL"))
        #expect(!TopicPattern("decision.AAPL").matches("decision.AAP"))
        #expect(!TopicPattern("decision.*").isLiteral)
    }

    @Test func escapeMakesAnyTextLiteral() {
        for text in ["a*b", "x?[y]", "back\\slash", "plain.topic"] {
            let p = TopicPattern(TopicPattern.escape(text))
            #expect(p.matches(text))
            #expect(!p.matches(text + "x"))
        }
    }

    @Test func pathologicalPatternIsFast() {
        // Exponential in a naive matcher; linear with Redis's skip-longer-matches rule.
        let pattern = String(repeating: "*a", count: 30) + "b"
        let topic = String(repeating: "a", count: 200)
        #expect(!TopicPattern(pattern).matches(topic))
    }

    @Test(arguments: [
        ("market.bar.AAPL", nil as String?),
        ("", "topic is empty"),
        ("market..AAPL", "topic \"market..AAPL\" has an empty segment"),
        ("market.bar.", "topic \"market.bar.\" ends with a dot"),
        ("market.*", "topic \"market.*\" contains a glob character"),
        ("market bar", "topic \"market bar\" contains a space or control character"),
    ])
    func topicValidation(_ topic: String, _ problem: String?) {
        #expect(Topic.validate(topic) == problem)
    }
}
