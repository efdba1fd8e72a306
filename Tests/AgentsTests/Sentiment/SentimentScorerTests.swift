import Foundation
import Testing
@testable import Agents
import Bus

@Suite struct SentimentScorerTests {
    /// Every text of the parity fixture scores as `vaderSentiment` 3.3.2 scores it.
    @Test func agreesWithTheReferenceImplementation() throws {
        let reader = try LineReader(path: Fixtures.vaderParity)
        var n = 0, worst = 0.0, worstText = ""
        while let line = try reader.nextLine() {
            let v = try JSONValue(parsing: line)
            let text = try #require(v["text"]?.stringValue)
            let s = Fixtures.vader.score(text)
            for (ours, key) in [(s.compound, "compound"), (s.positive, "pos"), (s.neutral, "neu"), (s.negative, "neg")] {
                let e = abs(ours - (try #require(v[key]?.doubleValue)))
                if e > worst { worst = e; worstText = text }
            }
            n += 1
        }
        #expect(n > 1500)
        #expect(worst < 1e-9, "largest difference \(worst) on \"\(worstText)\"")
    }

    @Test func emptyAndBlankTextsScoreZero() {
        for t in ["", "   ", "\t \u{3000}"] {
            #expect(Fixtures.vader.score(t) == .zero)
        }
        // Words without valence: all neutral.
        let s = Fixtures.vader.score("the table is in the kitchen")
        #expect(s.compound == 0 && s.neutral == 1 && s.positive == 0 && s.negative == 0)
    }

    @Test func scoresStayInRangeAndProportionsAddUp() {
        var rng = SplitMix64(seed: 42)
        let words = ["good", "bad", "not", "very", "but", "GREAT", "!", "??", "kind", "of", "least", "no", "never",
                     "the", "stock", "beats", "plunges", "guidance", "cut", ":)", "isn't", "BUT", "so", "this"]
        for scorer in [Fixtures.vader, SentimentScorer.finance] {
            for _ in 0..<2000 {
                let n = Int(rng.next() % 30)
                let text = (0..<n).map { _ in words[Int(rng.next() % UInt64(words.count))] }.joined(separator: " ")
                let s = scorer.score(text)
                #expect(s.compound >= -1 && s.compound <= 1)
                let total = s.positive + s.neutral + s.negative
                #expect(total == 0 || abs(total - 1) < 1e-9, "\(text)")
            }
        }
    }

    /// The fast walk and the indexed walk of the "but" rule agree on every input,
    /// including repeated values (the reference's `list.index` quirk).
    @Test func butRuleWalksAgree() {
        var rng = SplitMix64(seed: 7)
        let values: [Double] = [0, 1.9, -2.5, 0.95, 2.85, 1.9 * 0.5, -1.25, 3.0]
        for _ in 0..<3000 {
            let n = 1 + Int(rng.next() % 40)
            let s = (0..<n).map { _ in values[Int(rng.next() % UInt64(values.count))] }
            let bi = Int(rng.next() % UInt64(n))
            var fast = s, indexed = s
            SentimentScorer.applyBut(&fast, bi, before: 0.5, after: 1.5, indexedAbove: .max)
            SentimentScorer.applyBut(&indexed, bi, before: 0.5, after: 1.5, indexedAbove: 0)
            #expect(fast == indexed, "\(s) but at \(bi)")
        }
    }

    @Test func butQuirkIsReproduced() {
        // [2, 1, but]: the walk halves 2 → 1, then finds that 1 first at position 0 and
        // halves it again, leaving the second value untouched.
        var s: [Double] = [2, 1, 0]
        SentimentScorer.applyBut(&s, 2, before: 0.5, after: 1.5)
        #expect(s == [0.5, 1, 0])
        // [2, 3, but, 1]: after the first two are rescaled to 1 and 1.5, the 1 after "but"
        // is found at position 0, which is halved again.
        var again: [Double] = [2, 3, 0, 1]
        SentimentScorer.applyBut(&again, 2, before: 0.5, after: 1.5)
        #expect(again == [0.5, 1.5, 0, 1])
        // Without collisions the rule is the plain one.
        var clean: [Double] = [2, 3, 0, 5]
        SentimentScorer.applyBut(&clean, 2, before: 0.5, after: 1.5)
        #expect(clean == [1, 1.5, 0, 7.5])
    }

    @Test func shortTokensKeepTheirPunctuationAsInVADER() {
        // "ok," keeps its comma (stripping would leave two characters), so it is not "ok".
        let lex = Lexicon(name: "t", words: ["ok": 1.2, "fine": 0.8])
        let scorer = SentimentScorer(lexicon: lex)
        #expect(scorer.score("it is ok").compound > 0)
        #expect(scorer.score("it is ok,").compound == 0)
        #expect(scorer.score("it is fine,").compound > 0)
        #expect(scorer.score(":)").compound == 0)
    }

    @Test func unicodeWhitespaceSeparatesWords() {
        let plain = Fixtures.vader.score("very good day")
        for sep in ["\u{00A0}", "\u{2003}", "\u{3000}", "\u{205F}", "\t", "\u{0B}", "\u{1F}"] {
            #expect(Fixtures.vader.score("very\(sep)good\(sep)day") == plain, "separator U+\(String(sep.unicodeScalars.first!.value, radix: 16))")
        }
        // A zero-width space is not whitespace: "very\u{200B}good" is one unknown word.
        #expect(Fixtures.vader.score("very\u{200B}good day").compound == 0)
    }

    @Test func capitalsAreCheckedPerWordWithUnicode() {
        let lex = Lexicon(name: "t", words: ["énorme": 2.0, "good": 1.9])
        let scorer = SentimentScorer(lexicon: lex)
        let lower = scorer.score("le prix est énorme today")
        let upper = scorer.score("le prix est ÉNORME today")
        #expect(upper.compound > lower.compound)
        #expect(abs(upper.compound - SentimentScorerTests.normalize(2.0 + 0.733)) < 1e-12)
    }

    static func normalize(_ x: Double) -> Double { x / (x * x + 15).squareRoot() }

    // MARK: phrases

    @Test func phrasesMatchAsOneUnitLongestFirst() {
        let f = SentimentScorer.finance
        #expect(abs(f.score("Tesla guidance cut").compound - Self.normalize(-2.2)) < 1e-12)
        #expect(abs(f.score("TESLA GUIDANCE CUT!").compound - Self.normalize(-2.2 - 0.292)) < 1e-12)
        // "record loss" wins over "record" (+1.2) followed by "loss" (-1.7).
        #expect(abs(f.score("record loss").compound - Self.normalize(-2.6)) < 1e-12)
        // Punctuation inside the run breaks the phrase: "guidance," then "cut".
        #expect(abs(f.score("guidance, cut").compound - Self.normalize(-1.2)) < 1e-12)
        // Trailing punctuation on the last word, and leading on the first, are fine.
        #expect(abs(f.score("(guidance cut.)").compound - Self.normalize(-2.2)) < 1e-12)
        // A negation before the phrase negates the whole phrase.
        #expect(abs(f.score("no guidance cut").compound - Self.normalize(-2.2 * -0.74)) < 1e-12)
    }

    @Test func phrasesOfVADERFilesAreSkippedUnlessAsked() throws {
        let dir = TempDir()
        let path = dir.file("lex.txt", "fed up\t-1.8\t0.1\t[]\nhappy\t2.7\n")
        let plain = try Lexicon.loadVADER(path: path)
        #expect(plain.words == ["happy": 2.7] && plain.phrases.isEmpty)
        #expect(plain.skipped == ["\(path):1: multi-word entry \"fed up\" skipped (VADER matches single tokens)"])
        #expect(SentimentScorer(lexicon: plain).score("I am fed up").compound == 0)
        let withPhrases = try Lexicon.loadVADER(path: path, phrases: true)
        #expect(withPhrases.phrases == ["fed up": -1.8])
        #expect(abs(SentimentScorer(lexicon: withPhrases).score("I am fed up").compound - Self.normalize(-1.8)) < 1e-12)
    }

    @Test func builtinLexiconCoversTheHeadlineVocabulary() {
        let lex = Lexicon.finance
        #expect(lex.count >= 300)
        #expect(lex.phrases.count >= 50)
        for w in ["beats", "misses", "downgrade", "upgrade", "recall", "lawsuit", "buyback", "bankruptcy", "layoffs"] {
            #expect(lex.words[w] != nil, "\(w)")
        }
        for p in ["guidance cut", "record revenue", "files for bankruptcy", "profit warning"] {
            #expect(lex.phrases[p] != nil, "\(p)")
        }
        #expect(lex.words["beats"]! > 0 && lex.words["misses"]! < 0 && lex.phrases["record revenue"]! > 0)
        // Booster words must not also be lexicon words (a booster scores 0 itself).
        for (w, _) in SentimentRules.finance.boosters { #expect(lex.words[w] == nil, "\(w)") }
    }
}
