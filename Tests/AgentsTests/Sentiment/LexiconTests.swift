import Testing
@testable import Agents
import Bus

@Suite struct LexiconTests {
    @Test func loadsVADERsPublishedLexicon() throws {
        let lex = try Lexicon.loadVADER(path: Fixtures.vaderLexicon)
        // 7,520 lines: "ok" appears twice (the last, 1.2, wins, as in VADER) and four
        // entries have several words.
        #expect(lex.words.count == 7502)
        #expect(lex.skipped.count == 4)
        #expect(lex.words["ok"] == 1.2)
        #expect(lex.words["good"] == 1.9)
        #expect(lex.words[":)"] == 2.0)
        #expect(lex.words["(-:O"] == 1.5)
    }

    @Test func readsVADERFormatVariants() throws {
        let dir = TempDir()
        // CRLF endings, extra columns, blank lines, spaces around the line, a repeated token.
        let path = dir.file("lex.txt", "good\t1.9\t0.9\t[2, 1]\r\n\r\n  bad\t-2.5  \r\nGood\t3\ngood\t2.0\n1e2x\t1e-1\n")
        let lex = try Lexicon.loadVADER(path: path)
        #expect(lex.words == ["good": 2.0, "bad": -2.5, "Good": 3, "1e2x": 0.1])
        // Keys are looked up with the lower-cased token: "Good" (3) can never match.
        let scorer = SentimentScorer(lexicon: lex)
        #expect(abs(scorer.score("Good day").compound - SentimentScorerTests.normalize(2.0)) < 1e-12)
        #expect(abs(scorer.score("GOOD day").compound - SentimentScorerTests.normalize(2.0 + 0.733)) < 1e-12)
    }

    @Test(arguments: [
        ("good\t1.9\nbad -2.5\n", "2: expected TOKEN<TAB>VALENCE, found no tab"),
        ("good\t1.9\nbad\tabc\n", "2: valence: not a number: \"abc\""),
        ("good\t\n", "1: expected TOKEN<TAB>VALENCE, found no tab"),
        ("good\tnan\n", "1: valence: not a number: \"nan\""),
        ("good\t1e308\n", "1: valence: 1e308 is outside -100 … 100 (VADER's scale is about -4 … 4)"),
        ("good\t1\nbad\t-2,5\t0.3\n", "2: valence: not a number: \"-2,5\""),
    ])
    func vaderFormatErrorsNameFileAndLine(text: String, expected: String) throws {
        let dir = TempDir()
        let path = dir.file("bad.txt", text)
        let error = #expect(throws: InputError.self) { try Lexicon.loadVADER(path: path) }
        #expect(error?.description == "\(path):\(expected)")
    }

    @Test func emptyAndMissingFilesAreErrors() throws {
        let dir = TempDir()
        let empty = dir.file("empty.txt", "\n\n")
        #expect(throws: InputError(file: empty, "no entries")) { try Lexicon.loadVADER(path: empty) }
        let missing = dir.path + "/none.txt"
        #expect(throws: InputError(file: missing, "cannot open: No such file or directory")) {
            try Lexicon.load(path: missing, format: .lm)
        }
    }

    /// A small file in the layout of the Loughran–McDonald master dictionary.
    static let lmHeader = "Word,Seq_num,Word Count,Word Proportion,Average Proportion,Std Dev,Doc Count,Negative,Positive,Uncertainty,Litigious,Strong_Modal,Weak_Modal,Constraining,Complexity,Syllables,Source\n"
    static let lmRows = """
        ABANDON,10,161792,6.13e-06,4.84e-06,3.24e-05,79131,2009,0,0,0,0,0,0,0,3,12of12inf
        ACHIEVE,120,40000,1e-06,1e-06,1e-06,30000,0,2009,0,0,0,0,0,0,2,12of12inf
        APPROXIMATELY,500,90000,1e-06,1e-06,1e-06,60000,0,0,2009,0,0,0,0,0,5,12of12inf
        TABLE,900,5000,1e-07,1e-07,1e-07,4000,0,0,0,0,0,0,0,0,2,12of12inf
        CLOSED,950,5000,1e-07,1e-07,1e-07,4000,-2020,0,0,0,0,0,0,0,1,12of12inf
        VOLATILE,990,5000,1e-07,1e-07,1e-07,4000,2009,0,2011,0,0,0,0,0,3,12of12inf
        BOTH,999,1,1e-07,1e-07,1e-07,1,2009,2009,0,0,0,0,0,0,1,test

        """

    @Test func loadsTheLoughranMcDonaldLayout() throws {
        let dir = TempDir()
        let path = dir.file("lm.csv", Self.lmHeader + Self.lmRows)
        let lex = try Lexicon.loadLoughranMcDonald(path: path)
        #expect(lex.name == "lm.csv")
        // Negative → -1.5, positive → +1.5, uncertainty alone → -0.5; "closed" was removed
        // from the negative list in 2020 (minus the year) and "table" is in no list;
        // "both" is in the positive and the negative lists and cancels out.
        #expect(lex.words == ["abandon": -1.5, "achieve": 1.5, "approximately": -0.5, "volatile": -1.5])
        let custom = try Lexicon.loadLoughranMcDonald(path: path, mapping: LMMapping(positive: 2, negative: -3, uncertainty: -1))
        #expect(custom.words == ["abandon": -3, "achieve": 2, "approximately": -1, "volatile": -3, "both": -1])
        let scorer = SentimentScorer(lexicon: lex)
        #expect(abs(scorer.score("We will ACHIEVE it").compound - SentimentScorerTests.normalize(1.5 + 0.733)) < 1e-12)
    }

    @Test func columnsAreFoundByNameInAnyOrder() throws {
        let dir = TempDir()
        let path = dir.file("lm.csv", "uncertainty,positive,WORD,Negative\n0,2009,gain,0\n2011,0,maybe,0\n0,0,\"loss\",2009\n")
        let lex = try Lexicon.load(path: path, format: .lm)
        #expect(lex.words == ["gain": 1.5, "maybe": -0.5, "loss": -1.5])
    }

    @Test(arguments: [
        ("Word,Negative,Positive\nGAIN,0,2009\n", "1: missing column \"Uncertainty\" in the header"),
        ("Word,Negative,Positive,Uncertainty\nGAIN,0,x9,0\n", "2: Positive: not a number: \"x9\""),
        ("Word,Negative,Positive,Uncertainty\nGAIN,0,2009,0\nLOSS,2009\n", "3: expected at least 4 fields, found 2"),
        ("Word,Negative,Positive,Uncertainty\n,0,2009,0\n", "2: Word: empty"),
        ("Word,Negative,Positive,Uncertainty\n\"GAIN,0,2009,0\n", "2: unterminated quoted field"),
        ("Word,Negative,Positive,Uncertainty\nTABLE,0,0,0\n", " no word in the positive, negative or uncertainty lists"),
    ])
    func lmErrorsNameFileAndLine(text: String, expected: String) throws {
        let dir = TempDir()
        let path = dir.file("lm.csv", text)
        let error = #expect(throws: InputError.self) { try Lexicon.loadLoughranMcDonald(path: path) }
        #expect(error?.description == "\(path):\(expected)")
    }

    @Test func mergingLetsTheLaterLexiconWin() {
        let a = Lexicon(name: "a", entries: [("good", 1), ("guidance cut", -2)])
        let b = Lexicon(name: "b", entries: [("good", 3), ("bad", -1)])
        let m = a.merging(b)
        #expect(m.name == "a+b")
        #expect(m.words == ["good": 3, "bad": -1])
        #expect(m.phrases == ["guidance cut": -2])
    }
}
