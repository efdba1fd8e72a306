import Testing
@testable import Node
import Agents
import Bus

@Suite struct SentimentCommandTests {
    /// VADER prints Python's `round(x, n)`; these pairs were checked with Python 3.11.
    @Test(arguments: [
        (2.675, Int32(2), 2.67), (0.12345, 4, 0.1235), (-0.00004, 4, 0), (0.49391458057363097, 4, 0.4939),
        (0.76190476, 3, 0.762), (1.00005, 4, 1.0001), (0.00015, 4, 0.0001),
    ])
    func roundsLikePython(x: Double, digits: Int32, expected: Double) {
        #expect(SentimentCommand.pythonRound(x, digits) == expected)
    }

    @Test func writesOneJSONObjectPerText() throws {
        var w = JSONWriter()
        w.beginObject()
        SentimentCommand.writeScore(&w, "Apple \"beats\"", SentimentScore(compound: 0.49391458057363097, positive: 0.7619047619047619, neutral: 0.23809523809523808, negative: 0), false)
        w.endObject()
        #expect(w.string == #"{"text":"Apple \"beats\"","compound":0.4939,"pos":0.762,"neu":0.238,"neg":0}"#)
    }

    @Test(arguments: [
        (["sentiment", "--lexicon-format", "lm"], 64),
        (["sentiment", "--rules", "vadr"], 64),
        (["sentiment", "--lexicon", "/nonexistent/lex.txt"], 1),
        (["sentiment", "--llm-model", "m"], 64),
        (["sentiment", "--llm-url", "http://127.0.0.1:9/v1"], 64),
        (["sentiment", "--llm-url", "ftp://x", "--llm-model", "m"], 64),
        (["bench", "sentiment", "--headlines", "0"], 64),
    ] as [([String], Int32)])
    func badOptionsAreRefused(argv: [String], code: Int32) async {
        #expect(await CommandRegistry.main(argv) == code)
    }

    @Test func theBenchmarkHeadlinesAreSeededAndVaried() {
        let a = BenchSentimentCommand.makeHeadlines(count: 500, seed: 3)
        #expect(a == BenchSentimentCommand.makeHeadlines(count: 500, seed: 3))
        #expect(a != BenchSentimentCommand.makeHeadlines(count: 500, seed: 4))
        let scores = a.map { SentimentScorer.finance.score($0).compound }
        #expect(scores.contains { $0 > 0.05 } && scores.contains { $0 < -0.05 })
        #expect(Set(a).count > 490)
    }
}
