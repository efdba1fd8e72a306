/// The language rules of the valence scorer: the constants and word lists of the VADER
/// heuristics (Hutto & Gilbert, 2014), separate from the lexicon of word valences.
///
/// ``vader`` holds the constants and lists published with VADER (the empirically derived
/// increments, the degree adverbs, the negation words and the special-case idioms); with
/// VADER's lexicon loaded it reproduces the reference implementation. ``finance`` adds
/// degree adverbs common in market headlines ("sharply", "steeply", …).
public struct SentimentRules: Sendable, Equatable {
    /// Added to (or, for a negative valence, subtracted from) a word's valence by a
    /// preceding booster (positive) or dampener (negative) word. Keys are lowercase and
    /// may be two words ("kind of"); two-word keys only act through the idiom rule, as in VADER.
    public var boosters: [String: Double]
    /// Words that negate a lexicon word up to three words after them. Any word containing
    /// "n't" negates too.
    public var negations: Set<String>
    /// Multi-word idioms that override the valence of the lexicon word they contain
    /// ("the shit": 3, "kiss of death": -1.5). Keys are lowercase words joined by one space.
    public var idioms: [String: Double]
    /// Emphasis added to a word (or booster) written in capitals when the text is not all capitals.
    public var capsIncrement: Double
    /// The factor that negation applies to a valence.
    public var negationScalar: Double
    /// Emphasis per exclamation mark (up to `maxExclamations`).
    public var exclamationIncrement: Double
    public var maxExclamations: Int
    /// Emphasis per question mark when there are two or three; `questionCap` for four or more.
    public var questionIncrement: Double
    public var questionCap: Double
    /// Normalisation of the summed valence into [-1, 1]: `x / sqrt(x² + alpha)`.
    public var alpha: Double
    /// The weights of text before and after a contrastive "but".
    public var beforeBut: Double
    public var afterBut: Double

    public init(
        boosters: [String: Double], negations: Set<String>, idioms: [String: Double],
        capsIncrement: Double = 0.733, negationScalar: Double = -0.74,
        exclamationIncrement: Double = 0.292, maxExclamations: Int = 4,
        questionIncrement: Double = 0.18, questionCap: Double = 0.96,
        alpha: Double = 15, beforeBut: Double = 0.5, afterBut: Double = 1.5
    ) {
        self.boosters = boosters
        self.negations = negations
        self.idioms = idioms
        self.capsIncrement = capsIncrement
        self.negationScalar = negationScalar
        self.exclamationIncrement = exclamationIncrement
        self.maxExclamations = maxExclamations
        self.questionIncrement = questionIncrement
        self.questionCap = questionCap
        self.alpha = alpha
        self.beforeBut = beforeBut
        self.afterBut = afterBut
    }

    /// The increment of a booster word (VADER's empirically derived 0.293).
    public static let boostIncrement = 0.293

    /// VADER's rules, as published with the reference implementation.
    public static let vader: SentimentRules = {
        let up = boostIncrement, down = -boostIncrement
        var boosters: [String: Double] = [:]
        for w in [
            "absolutely", "amazingly", "awfully", "completely", "considerable", "considerably",
            "decidedly", "deeply", "effing", "enormous", "enormously", "entirely", "especially",
            "exceptional", "exceptionally", "extreme", "extremely", "fabulously", "flipping", "flippin",
            "frackin", "fracking", "fricking", "frickin", "frigging", "friggin", "fully", "fuckin",
            "fucking", "fuggin", "fugging", "greatly", "hella", "highly", "hugely", "incredible",
            "incredibly", "intensely", "major", "majorly", "more", "most", "particularly", "purely",
            "quite", "really", "remarkably", "so", "substantially", "thoroughly", "total", "totally",
            "tremendous", "tremendously", "uber", "unbelievably", "unusually", "utter", "utterly", "very",
        ] { boosters[w] = up }
        for w in [
            "almost", "barely", "hardly", "just enough", "kind of", "kinda", "kindof", "kind-of",
            "less", "little", "marginal", "marginally", "occasional", "occasionally", "partly",
            "scarce", "scarcely", "slight", "slightly", "somewhat", "sort of", "sorta", "sortof", "sort-of",
        ] { boosters[w] = down }
        let negations: Set<String> = [
            "aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt", "doesnt",
            "ain't", "aren't", "can't", "couldn't", "daren't", "didn't", "doesn't",
            "dont", "hadnt", "hasnt", "havent", "isnt", "mightnt", "mustnt", "neither",
            "don't", "hadn't", "hasn't", "haven't", "isn't", "mightn't", "mustn't",
            "neednt", "needn't", "never", "none", "nope", "nor", "not", "nothing", "nowhere",
            "oughtnt", "shant", "shouldnt", "uhuh", "wasnt", "werent",
            "oughtn't", "shan't", "shouldn't", "uh-uh", "wasn't", "weren't",
            "without", "wont", "wouldnt", "won't", "wouldn't", "rarely", "seldom", "despite",
        ]
        let idioms: [String: Double] = [
            "the shit": 3, "the bomb": 3, "bad ass": 1.5, "bus stop": 0, "yeah right": -2,
            "kiss of death": -1.5, "to die for": 3, "beating heart": 3.5,
        ]
        return SentimentRules(boosters: boosters, negations: negations, idioms: idioms)
    }()

    /// VADER's rules plus degree adverbs of market headlines. Used with the built-in
    /// finance lexicon.
    public static let finance: SentimentRules = {
        var r = vader
        let up = boostIncrement, down = -boostIncrement
        for w in ["sharply", "steeply", "significantly", "dramatically", "massively", "strongly",
                  "heavily", "sizably", "markedly", "drastically", "severely", "hefty", "sharp", "steep"] {
            r.boosters[w] = up
        }
        for w in ["modestly", "mildly", "moderately", "fractionally", "marginally", "modest", "mild", "small"] {
            r.boosters[w] = down
        }
        return r
    }()
}
