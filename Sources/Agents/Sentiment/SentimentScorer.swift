/// The result of scoring one text.
public struct SentimentScore: Sendable, Equatable, CustomStringConvertible {
    /// The normalised sum of the valences, in [-1, 1].
    public var compound: Double
    /// Proportions of the text that are positive, neutral and negative (they add up to 1,
    /// or are all 0 for a text without words).
    public var positive: Double
    public var neutral: Double
    public var negative: Double

    public init(compound: Double, positive: Double, neutral: Double, negative: Double) {
        self.compound = compound
        self.positive = positive
        self.neutral = neutral
        self.negative = negative
    }

    public static let zero = SentimentScore(compound: 0, positive: 0, neutral: 0, negative: 0)

    public var description: String {
        "compound \(compound) pos \(positive) neu \(neutral) neg \(negative)"
    }
}

/// A rule-based valence scorer in the VADER family (Hutto & Gilbert, 2014).
///
/// A text is split at whitespace; each token loses leading and trailing ASCII punctuation
/// unless that would leave two characters or fewer (so emoticons such as `:)` survive).
/// Each lexicon word gets its valence, adjusted by, in order: "no" as a negator, capitals
/// for emphasis, up to three preceding booster or dampener words (their effect fading
/// with distance), negation words within three words before it, VADER's idioms, and
/// "least". Then text before the first "but" is halved and text after it weighted by 1.5,
/// and exclamation and question marks add emphasis. The sum `x` is normalised to
/// `x / sqrt(x² + 15)`. See `docs/sentiment.md` for every rule.
///
/// With VADER's lexicon and ``SentimentRules/vader`` the compound score is that of the
/// reference implementation `vaderSentiment` 3.3.2 (its quirks included, documented
/// there), apart from emoji, which are not translated into words.
///
/// A scorer is an immutable value: share it freely between threads.
public struct SentimentScorer: Sendable {
    public let lexiconName: String
    public let rules: SentimentRules
    let table: WordTable
    /// Two-word boosters ("kind of"): pairs of word ids.
    let boosterPairs: [(Int32, Int32, Double)]
    /// Idioms of two or three words: ids (the third -1 for two words) and valence.
    let idioms: [(Int32, Int32, Int32, Double)]
    let maxPhraseWords: Int
    /// The rules' numbers, as a plain value (copying `rules` costs reference counting).
    struct Constants {
        var capsIncrement, negationScalar, exclamationIncrement, questionIncrement, questionCap, alpha, beforeBut, afterBut: Double
        var maxExclamations: Int
    }
    let constants: Constants
    let idNo, idBut, idKind, idOf, idLeast, idAt, idVery, idNever, idSo, idThis, idWithout, idDoubt, idOr, idNor: Int32

    public init(lexicon: Lexicon, rules: SentimentRules = .vader) {
        lexiconName = lexicon.name
        self.rules = rules
        constants = Constants(
            capsIncrement: rules.capsIncrement, negationScalar: rules.negationScalar,
            exclamationIncrement: rules.exclamationIncrement, questionIncrement: rules.questionIncrement,
            questionCap: rules.questionCap, alpha: rules.alpha, beforeBut: rules.beforeBut, afterBut: rules.afterBut,
            maxExclamations: rules.maxExclamations)
        var entries: [String: WordInfo] = [:]
        for (w, v) in lexicon.words { entries[w, default: WordInfo()].valence = v }
        var maxWords = 1
        for (p, v) in lexicon.phrases {
            let parts = p.split(separator: " ")
            // Phrases of up to 15 words (the length mask has 16 bits).
            guard parts.count <= 15 else { continue }
            entries[p, default: WordInfo()].valence = v
            maxWords = max(maxWords, parts.count)
            entries[String(parts[0]), default: WordInfo()].phraseLengths |= 1 << UInt16(parts.count)
            for w in parts { entries[String(w), default: WordInfo()].flags |= WordInfo.inPhrase }
        }
        maxPhraseWords = maxWords
        for (w, b) in rules.boosters {
            let parts = w.split(separator: " ")
            if parts.count == 1 {
                entries[w, default: WordInfo()].booster = b
                entries[w, default: WordInfo()].flags |= WordInfo.isBooster
            } else {
                // Two-word boosters are matched by the ids of their words: give them ids.
                for p in parts where entries[String(p)] == nil { entries[String(p)] = WordInfo() }
            }
        }
        for w in rules.negations { entries[w, default: WordInfo()].flags |= WordInfo.isNegation }
        for (idiom, _) in rules.idioms {
            for p in idiom.split(separator: " ") { entries[String(p), default: WordInfo()].flags |= WordInfo.inIdiom }
        }
        let specials = ["no", "but", "kind", "of", "least", "at", "very", "never", "so", "this", "without", "doubt", "or", "nor"]
        for w in specials where entries[w] == nil { entries[w] = WordInfo() }
        let table = WordTable(entries)
        self.table = table
        idNo = table.id(of: "no"); idBut = table.id(of: "but"); idKind = table.id(of: "kind"); idOf = table.id(of: "of")
        idLeast = table.id(of: "least"); idAt = table.id(of: "at"); idVery = table.id(of: "very")
        idNever = table.id(of: "never"); idSo = table.id(of: "so"); idThis = table.id(of: "this")
        idWithout = table.id(of: "without"); idDoubt = table.id(of: "doubt"); idOr = table.id(of: "or"); idNor = table.id(of: "nor")
        var pairs: [(Int32, Int32, Double)] = []
        for (w, b) in rules.boosters {
            let parts = w.split(separator: " ").map(String.init)
            if parts.count == 2 { pairs.append((table.id(of: parts[0]), table.id(of: parts[1]), b)) }
        }
        boosterPairs = pairs.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        var idioms: [(Int32, Int32, Int32, Double)] = []
        for (k, v) in rules.idioms {
            let ids = k.split(separator: " ").map { table.id(of: String($0)) }
            if ids.count == 2 { idioms.append((ids[0], ids[1], -1, v)) }
            if ids.count == 3 { idioms.append((ids[0], ids[1], ids[2], v)) }
        }
        self.idioms = idioms.sorted { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
    }

    /// The built-in finance lexicon with the finance rules.
    public static let finance = SentimentScorer(lexicon: .finance, rules: .finance)

    /// Number of distinct words and phrases the scorer knows (lexicon and rule words).
    public var vocabularySize: Int { table.count }

    // MARK: scoring

    /// One token after splitting, punctuation stripping and phrase merging.
    struct Token {
        /// The word id of the lower-cased token (VADER's form), or -1.
        var id: Int32
        /// The word id of the lower-cased token without any edge punctuation (for phrases), or -1.
        var matchID: Int32
        /// Where that punctuation-free form is in the lower-case buffer.
        var formStart: Int32
        var formLength: Int32
        var flags: UInt8
        static let hasUpper: UInt8 = 1
        static let hasLower: UInt8 = 2
        static let hasNT: UInt8 = 4
        static let leadPunct: UInt8 = 8
        static let trailPunct: UInt8 = 16
        /// Python's `str.isupper()`: at least one upper-case letter and no lower-case one.
        @inline(__always) var isUpper: Bool { flags & (Token.hasUpper | Token.hasLower) == Token.hasUpper }
    }

    /// Scores a text.
    public func score(_ text: String) -> SentimentScore {
        var s = text
        return s.withUTF8 { score(utf8: $0) }
    }

    /// Scores UTF-8 text. Allocates nothing for ASCII text of moderate length.
    public func score(utf8 b: UnsafeBufferPointer<UInt8>) -> SentimentScore {
        let n = b.count
        if n == 0 { return .zero }
        // Lower-casing can grow a character by half (2 → 3 bytes), never more.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n * 3 / 2 + 8) { lower in
            withUnsafeTemporaryAllocation(of: Token.self, capacity: (n + 1) / 2 + 1) { tokens in
                score(b, lower, tokens)
            }
        }
    }

    private func score(_ b: UnsafeBufferPointer<UInt8>, _ lower: UnsafeMutableBufferPointer<UInt8>, _ tokens: UnsafeMutableBufferPointer<Token>) -> SentimentScore {
        let n = b.count
        let phrases = maxPhraseWords > 1
        var used = 0 // bytes of `lower` in use
        var count = 0
        var exclamations = 0, questions = 0
        var p = 0
        while p < n {
            let w = SentimentScorer.whitespaceLength(b, p)
            if w > 0 { p += w; continue }
            let start = p
            while p < n && SentimentScorer.whitespaceLength(b, p) == 0 {
                let c = b[p]
                if c == 0x21 { exclamations += 1 } else if c == 0x3F { questions += 1 }
                p += 1
            }
            let end = p
            // VADER's form: without edge punctuation, unless that leaves two characters or fewer.
            var ss = start, se = end
            while ss < se && SentimentScorer.isPunct(b[ss]) { ss += 1 }
            while se > ss && SentimentScorer.isPunct(b[se - 1]) { se -= 1 }
            // Two characters or fewer can only be 8 bytes or fewer.
            if se - ss <= 8 {
                var chars = 0
                for i in ss..<se where b[i] & 0xC0 != 0x80 { chars += 1 }
                if chars <= 2 { ss = start; se = end }
            }
            var flags: UInt8 = 0
            if SentimentScorer.isPunct(b[start]) { flags |= Token.leadPunct }
            if SentimentScorer.isPunct(b[end - 1]) { flags |= Token.trailPunct }
            let formStart = used
            // ASCII fast path; on the first non-ASCII byte, start over with Unicode.
            var ascii = true
            var apostrophe = false
            for i in ss..<se {
                var c = b[i]
                if c >= 0x80 { ascii = false; break }
                if c &- 0x41 < 26 { flags |= Token.hasUpper; c |= 0x20 } else if c &- 0x61 < 26 { flags |= Token.hasLower } else if c == 0x27 { apostrophe = true }
                lower[used] = c
                used += 1
            }
            if !ascii {
                used = formStart
                flags &= ~(Token.hasUpper | Token.hasLower)
                apostrophe = true
                let original = String(decoding: UnsafeBufferPointer(rebasing: b[ss..<se]), as: UTF8.self)
                for u in original.unicodeScalars {
                    let pr = u.properties
                    if pr.isLowercase || pr.generalCategory == .titlecaseLetter { flags |= Token.hasLower } else if pr.isUppercase { flags |= Token.hasUpper }
                }
                for c in original.lowercased().utf8 where used < lower.count {
                    lower[used] = c
                    used += 1
                }
            }
            let base = lower.baseAddress! + formStart
            let len = used - formStart
            if apostrophe && SentimentScorer.containsNT(base, len) { flags |= Token.hasNT }
            let id = table.find(base, len)
            var token = Token(id: id, matchID: id, formStart: Int32(formStart), formLength: Int32(len), flags: flags)
            if phrases {
                // The form phrases are matched on: no edge punctuation at all.
                var ms = 0, me = len
                while ms < me && SentimentScorer.isPunct(base[ms]) { ms += 1 }
                while me > ms && SentimentScorer.isPunct(base[me - 1]) { me -= 1 }
                if ms != 0 || me != len {
                    token.matchID = table.find(base + ms, me - ms)
                    token.formStart = Int32(formStart + ms)
                    token.formLength = Int32(me - ms)
                }
            }
            tokens[count] = token
            count += 1
        }
        if count == 0 { return .zero }
        if phrases { count = mergePhrases(tokens, count, UnsafeBufferPointer(lower)) }
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { s in
            valence(UnsafeBufferPointer(rebasing: tokens[0..<count]), s, exclamations: exclamations, questions: questions)
        }
    }

    /// VADER's rules over the tokens (see the type's documentation).
    func valence(_ t: UnsafeBufferPointer<Token>, _ s: UnsafeMutableBufferPointer<Double>, exclamations: Int, questions: Int) -> SentimentScore {
        let n = t.count
        let infos = table.infos
        return infos.withUnsafeBufferPointer { info -> SentimentScore in
            @inline(__always) func inLex(_ i: Int) -> Bool { t[i].id >= 0 && info[Int(t[i].id)].inLexicon }
            @inline(__always) func negated(_ i: Int) -> Bool {
                (t[i].id >= 0 && info[Int(t[i].id)].has(WordInfo.isNegation)) || t[i].flags & Token.hasNT != 0
            }
            var upper = 0
            for tok in t where tok.isUpper { upper += 1 }
            let capDiff = upper > 0 && upper < n
            let r = constants
            s.initialize(repeating: 0)
            var butIndex = -1
            for i in 0..<n {
                let id = t[i].id
                if id == idBut && butIndex < 0 { butIndex = i }
                guard id >= 0 else { continue }
                let wi = info[Int(id)]
                if wi.has(WordInfo.isBooster) { continue }
                if id == idKind && i + 1 < n && t[i + 1].id == idOf { continue }
                guard wi.inLexicon else { continue }
                let base = wi.valence
                var v = base
                // "no" before another lexicon word is a negator, not a negative word.
                if id == idNo && i != n - 1 && inLex(i + 1) { v = 0 }
                if (i > 0 && t[i - 1].id == idNo) || (i > 1 && t[i - 2].id == idNo)
                    || (i > 2 && t[i - 3].id == idNo && (t[i - 1].id == idOr || t[i - 1].id == idNor)) {
                    v = base * r.negationScalar
                }
                if t[i].isUpper && capDiff { v += v > 0 ? r.capsIncrement : -r.capsIncrement }
                for k in 0..<3 {
                    guard i > k else { break }
                    let j = i - (k + 1)
                    if inLex(j) { continue }
                    // Booster or dampener before the word, fading with distance.
                    var scalar = 0.0
                    if t[j].id >= 0 && info[Int(t[j].id)].has(WordInfo.isBooster) {
                        scalar = info[Int(t[j].id)].booster
                        if v < 0 { scalar = -scalar }
                        if t[j].isUpper && capDiff { scalar += v > 0 ? r.capsIncrement : -r.capsIncrement }
                        if k == 1 { scalar *= 0.95 } else if k == 2 { scalar *= 0.9 }
                    }
                    v += scalar
                    // Negation within three words.
                    switch k {
                    case 0:
                        if negated(i - 1) { v *= r.negationScalar }
                    case 1:
                        if t[i - 2].id == idNever && (t[i - 1].id == idSo || t[i - 1].id == idThis) {
                            v *= 1.25
                        } else if t[i - 2].id == idWithout && t[i - 1].id == idDoubt {
                        } else if negated(i - 2) {
                            v *= r.negationScalar
                        }
                    default:
                        if (t[i - 3].id == idNever && (t[i - 2].id == idSo || t[i - 2].id == idThis))
                            || t[i - 1].id == idSo || t[i - 1].id == idThis {
                            v *= 1.25
                        } else if t[i - 3].id == idWithout && (t[i - 2].id == idDoubt || t[i - 1].id == idDoubt) {
                        } else if negated(i - 3) {
                            v *= r.negationScalar
                        }
                        v = idiom(v, t, i, info)
                    }
                }
                // "least" before a word negates it, unless "at least" or "very least".
                if i > 1 && !inLex(i - 1) && t[i - 1].id == idLeast {
                    if t[i - 2].id != idAt && t[i - 2].id != idVery { v *= r.negationScalar }
                } else if i > 0 && !inLex(i - 1) && t[i - 1].id == idLeast {
                    v *= r.negationScalar
                }
                s[i] = v
            }
            if butIndex >= 0 { SentimentScorer.applyBut(s, butIndex, before: r.beforeBut, after: r.afterBut) }
            return summarize(UnsafeBufferPointer(s), exclamations: exclamations, questions: questions)
        }
    }

    /// VADER's idiom rule for the word at `i` (≥ 3): an idiom around the word replaces its
    /// valence; a two-word booster ("kind of") just before it adds its increment.
    @inline(__always)
    func idiom(_ v0: Double, _ t: UnsafeBufferPointer<Token>, _ i: Int, _ info: UnsafeBufferPointer<WordInfo>) -> Double {
        var v = v0
        let n = t.count
        @inline(__always) func idiomWord(_ j: Int) -> Bool { t[j].id >= 0 && info[Int(t[j].id)].has(WordInfo.inIdiom) }
        @inline(__always) func match(_ a: Int, _ b: Int, _ c: Int) -> Double? {
            guard idiomWord(a), idiomWord(b), c < 0 || idiomWord(c) else { return nil }
            let ia = t[a].id, ib = t[b].id, ic: Int32 = c < 0 ? -1 : t[c].id
            for d in idioms where d.0 == ia && d.1 == ib && d.2 == ic { return d.3 }
            return nil
        }
        if !idioms.isEmpty {
            // Idioms ending at the word or just before it: the first match wins.
            if let x = match(i - 1, i, -1) ?? match(i - 2, i - 1, i) ?? match(i - 2, i - 1, -1)
                ?? match(i - 3, i - 2, i - 1) ?? match(i - 3, i - 2, -1) {
                v = x
            }
            // Idioms starting at the word.
            if n - 1 > i, let x = match(i, i + 1, -1) { v = x }
            if n - 1 > i + 1, let x = match(i, i + 1, i + 2) { v = x }
        }
        // Two-word boosters: VADER checks "w[i-3] w[i-2]", then "w[i-2] w[i-1]".
        if !boosterPairs.isEmpty {
            for a in (i - 3)...(i - 2) {
                let ia = t[a].id, ib = t[a + 1].id
                guard ia >= 0, ib >= 0 else { continue }
                for p in boosterPairs where p.0 == ia && p.1 == ib { v += p.2 }
            }
        }
        return v
    }

    /// The contrast rule: valences before the first "but" × `before`, after it × `after`.
    ///
    /// Reproduces the reference implementation exactly, including its quirk: it walks the
    /// list and, for each value, rescales the *first* element equal to it (Python's
    /// `list.index`), so a value repeated, or equal to an already rescaled one, may be
    /// rescaled at another position. Quadratic in the worst case; only texts containing
    /// "but" pay it, and long ones use an index by value.
    static func applyBut(_ s: inout [Double], _ bi: Int, before: Double, after: Double, indexedAbove: Int = 64) {
        s.withUnsafeMutableBufferPointer { applyBut($0, bi, before: before, after: after, indexedAbove: indexedAbove) }
    }

    static func applyBut(_ s: UnsafeMutableBufferPointer<Double>, _ bi: Int, before: Double, after: Double, indexedAbove: Int = 64) {
        let n = s.count
        if n <= indexedAbove {
            for k in 0..<n {
                let v = s[k]
                var si = 0
                while s[si] != v { si += 1 }
                if si < bi { s[si] = v * before } else if si > bi { s[si] = v * after }
            }
            return
        }
        // The same walk with, per value, the sorted positions currently holding it.
        var positions: [Double: [Int]] = [:]
        for (i, v) in s.enumerated() { positions[v, default: []].append(i) }
        for k in 0..<n {
            let v = s[k]
            let si = positions[v]![0]
            let nv: Double
            if si < bi { nv = v * before } else if si > bi { nv = v * after } else { continue }
            if nv == v { continue }
            positions[v]!.removeFirst()
            if positions[v]!.isEmpty { positions[v] = nil }
            var list = positions[nv, default: []]
            var lo = 0, hi = list.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if list[mid] < si { lo = mid + 1 } else { hi = mid }
            }
            list.insert(si, at: lo)
            positions[nv] = list
            s[si] = nv
        }
    }

    /// Sums the valences, adds punctuation emphasis, normalises, and splits the text into
    /// positive, neutral and negative proportions.
    func summarize(_ s: UnsafeBufferPointer<Double>, exclamations: Int, questions: Int) -> SentimentScore {
        let r = constants
        var sum = 0.0
        for v in s { sum += v }
        let ep = Double(min(exclamations, r.maxExclamations)) * r.exclamationIncrement
        var qm = 0.0
        if questions > 1 { qm = questions <= 3 ? Double(questions) * r.questionIncrement : r.questionCap }
        let emphasis = ep + qm
        if sum > 0 { sum += emphasis } else if sum < 0 { sum -= emphasis }
        var compound = sum / (sum * sum + r.alpha).squareRoot()
        compound = min(1, max(-1, compound))
        var pos = 0.0, neg = 0.0, neu = 0.0
        for v in s {
            if v > 0 { pos += v + 1 }
            if v < 0 { neg += v - 1 }
            if v == 0 { neu += 1 }
        }
        if pos > -neg { pos += emphasis } else if pos < -neg { neg -= emphasis }
        let total = pos - neg + neu
        return SentimentScore(compound: compound, positive: abs(pos / total), neutral: abs(neu / total), negative: abs(neg / total))
    }

    // MARK: phrases

    /// Replaces each run of tokens that spells a phrase of the lexicon (longest first,
    /// left to right, no punctuation inside the run) by one token for the phrase, in place.
    /// Returns the new number of tokens.
    func mergePhrases(_ t: UnsafeMutableBufferPointer<Token>, _ n: Int, _ lower: UnsafeBufferPointer<UInt8>) -> Int {
        let infos = table.infos
        var any = false
        for i in 0..<n where t[i].matchID >= 0 && infos[Int(t[i].matchID)].phraseLengths != 0 { any = true; break }
        guard any else { return n }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { key -> Int in
            var out = 0
            var i = 0
            while i < n {
                var merged = false
                let first = t[i].matchID
                if first >= 0, infos[Int(first)].phraseLengths != 0 {
                    let lengths = infos[Int(first)].phraseLengths
                    var len = min(maxPhraseWords, n - i)
                    while len >= 2 && !merged {
                        defer { len -= 1 }
                        guard lengths & (1 << UInt16(len)) != 0 else { continue }
                        var ok = true
                        var keyLength = len - 1
                        for k in i..<(i + len) {
                            let tk = t[k]
                            if tk.matchID < 0 || !infos[Int(tk.matchID)].has(WordInfo.inPhrase)
                                || (k > i && tk.flags & Token.leadPunct != 0)
                                || (k < i + len - 1 && tk.flags & Token.trailPunct != 0) {
                                ok = false
                                break
                            }
                            keyLength += Int(tk.formLength)
                        }
                        guard ok, keyLength <= key.count else { continue }
                        var at = 0
                        for k in i..<(i + len) {
                            if k > i { key[at] = 0x20; at += 1 }
                            let st = Int(t[k].formStart)
                            for j in 0..<Int(t[k].formLength) { key[at + j] = lower[st + j] }
                            at += Int(t[k].formLength)
                        }
                        let pid = table.find(key.baseAddress, at)
                        if pid >= 0 && infos[Int(pid)].inLexicon {
                            var f: UInt8 = 0
                            for k in i..<(i + len) { f |= t[k].flags & (Token.hasUpper | Token.hasLower | Token.hasNT) }
                            t[out] = Token(id: pid, matchID: pid, formStart: 0, formLength: 0, flags: f)
                            out += 1
                            i += len
                            merged = true
                        }
                    }
                }
                if !merged {
                    t[out] = t[i]
                    out += 1
                    i += 1
                }
            }
            return out
        }
    }

    // MARK: characters

    /// ASCII punctuation (Python's `string.punctuation`).
    @inline(__always) static func isPunct(_ c: UInt8) -> Bool {
        (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E)
    }

    /// The byte length of the whitespace character at `p` (as Python's `str.split()`
    /// defines whitespace), or 0.
    @inline(__always) static func whitespaceLength(_ b: UnsafeBufferPointer<UInt8>, _ p: Int) -> Int {
        let c = b[p]
        if c < 0x80 { return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) ? 1 : 0 }
        let n = b.count
        if c == 0xC2 && p + 1 < n { return b[p + 1] == 0x85 || b[p + 1] == 0xA0 ? 2 : 0 }
        guard p + 2 < n else { return 0 }
        let c1 = b[p + 1], c2 = b[p + 2]
        switch c {
        case 0xE1: return c1 == 0x9A && c2 == 0x80 ? 3 : 0
        case 0xE2:
            if c1 == 0x80 { return (c2 >= 0x80 && c2 <= 0x8A) || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF ? 3 : 0 }
            return c1 == 0x81 && c2 == 0x9F ? 3 : 0
        case 0xE3: return c1 == 0x80 && c2 == 0x80 ? 3 : 0
        default: return 0
        }
    }

    @inline(__always) static func containsNT(_ p: UnsafePointer<UInt8>?, _ n: Int) -> Bool {
        guard let p, n >= 3 else { return false }
        for i in 0..<(n - 2) where p[i] == 0x6E && p[i + 1] == 0x27 && p[i + 2] == 0x74 { return true }
        return false
    }
}
