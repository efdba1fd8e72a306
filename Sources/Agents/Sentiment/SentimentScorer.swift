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
    let idNo, idBut, idKind, idOf, idLeast, idAt, idVery, idNever, idSo, idThis, idWithout, idDoubt, idOr, idNor: Int32

    public init(lexicon: Lexicon, rules: SentimentRules = .vader) {
        lexiconName = lexicon.name
        self.rules = rules
        var entries: [String: WordInfo] = [:]
        for (w, v) in lexicon.words { entries[w, default: WordInfo()].valence = v }
        var maxWords = 1
        for (p, v) in lexicon.phrases {
            entries[p, default: WordInfo()].valence = v
            let parts = p.split(separator: " ")
            maxWords = max(maxWords, parts.count)
            entries[String(parts[0]), default: WordInfo()].flags |= WordInfo.startsPhrase
        }
        maxPhraseWords = maxWords
        for (w, b) in rules.boosters {
            let parts = w.split(separator: " ")
            if parts.count == 1 {
                entries[w, default: WordInfo()].booster = b
                entries[w, default: WordInfo()].flags |= WordInfo.isBooster
            } else {
                for p in parts { entries[String(p), default: WordInfo()].flags |= 0 }
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
        var id: Int32
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

    /// Scores UTF-8 text.
    public func score(utf8 b: UnsafeBufferPointer<UInt8>) -> SentimentScore {
        var tokens: [Token] = []
        tokens.reserveCapacity(b.count / 5 + 4)
        var matchForms: [(Int32, Int32)] = [] // (start, length) in `lower`, for phrase matching
        var lower: [UInt8] = []
        let phrases = maxPhraseWords > 1
        if phrases { lower.reserveCapacity(b.count) }
        var exclamations = 0, questions = 0
        var scratch = [UInt8](repeating: 0, count: 64)
        let n = b.count
        var p = 0
        while p < n {
            // Skip whitespace, counting nothing; find the token's end.
            let w = SentimentScorer.whitespaceLength(b, p)
            if w > 0 { p += w; continue }
            let start = p
            while p < n && SentimentScorer.whitespaceLength(b, p) == 0 {
                let c = b[p]
                if c == 0x21 { exclamations += 1 } else if c == 0x3F { questions += 1 }
                p += 1
            }
            let end = p
            var ss = start, se = end
            while ss < se && SentimentScorer.isPunct(b[ss]) { ss += 1 }
            while se > ss && SentimentScorer.isPunct(b[se - 1]) { se -= 1 }
            var chars = 0
            var ascii = true
            for i in ss..<se {
                let c = b[i]
                if c & 0xC0 != 0x80 { chars += 1 }
                if c >= 0x80 { ascii = false }
            }
            if chars <= 2 {
                ss = start; se = end
                ascii = true
                for i in ss..<se where b[i] >= 0x80 { ascii = false; break }
            }
            var flags: UInt8 = 0
            if SentimentScorer.isPunct(b[start]) { flags |= Token.leadPunct }
            if SentimentScorer.isPunct(b[end - 1]) { flags |= Token.trailPunct }
            let len = se - ss
            var id: Int32 = -1
            if ascii {
                if scratch.count < len { scratch = [UInt8](repeating: 0, count: len * 2) }
                scratch.withUnsafeMutableBufferPointer { out in
                    for i in 0..<len {
                        var c = b[ss + i]
                        if c &- 0x41 < 26 { flags |= Token.hasUpper; c |= 0x20 } else if c &- 0x61 < 26 { flags |= Token.hasLower }
                        out[i] = c
                    }
                    if SentimentScorer.containsNT(out.baseAddress!, len) { flags |= Token.hasNT }
                    id = table.find(out.baseAddress!, len)
                }
                if phrases { SentimentScorer.addMatchForm(scratch, len, &lower, &matchForms) }
            } else {
                let original = String(decoding: UnsafeBufferPointer(rebasing: b[ss..<se]), as: UTF8.self)
                for u in original.unicodeScalars {
                    let pr = u.properties
                    if pr.isLowercase || pr.generalCategory == .titlecaseLetter { flags |= Token.hasLower } else if pr.isUppercase { flags |= Token.hasUpper }
                }
                let lowered = Array(original.lowercased().utf8)
                lowered.withUnsafeBufferPointer { l in
                    if SentimentScorer.containsNT(l.baseAddress, l.count) { flags |= Token.hasNT }
                    id = table.find(l.baseAddress, l.count)
                }
                if phrases { SentimentScorer.addMatchForm(lowered, lowered.count, &lower, &matchForms) }
            }
            tokens.append(Token(id: id, flags: flags))
        }
        if tokens.isEmpty { return .zero }
        if phrases { mergePhrases(&tokens, matchForms, lower) }
        return valence(tokens, exclamations: exclamations, questions: questions)
    }

    /// VADER's rules over the tokens (see the type's documentation).
    func valence(_ t: [Token], exclamations: Int, questions: Int) -> SentimentScore {
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
            let r = rules
            var s = [Double](repeating: 0, count: n)
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
            if butIndex >= 0 { SentimentScorer.applyBut(&s, butIndex, before: r.beforeBut, after: r.afterBut) }
            return summarize(s, exclamations: exclamations, questions: questions)
        }
    }

    /// VADER's idiom rule for the word at `i` (≥ 3): an idiom around the word replaces its
    /// valence; a two-word booster ("kind of") just before it adds its increment.
    @inline(__always)
    func idiom(_ v0: Double, _ t: [Token], _ i: Int, _ info: UnsafeBufferPointer<WordInfo>) -> Double {
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
    func summarize(_ s: [Double], exclamations: Int, questions: Int) -> SentimentScore {
        let r = rules
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

    static func addMatchForm(_ bytes: [UInt8], _ len: Int, _ lower: inout [UInt8], _ forms: inout [(Int32, Int32)]) {
        var s = 0, e = len
        while s < e && isPunct(bytes[s]) { s += 1 }
        while e > s && isPunct(bytes[e - 1]) { e -= 1 }
        forms.append((Int32(lower.count), Int32(e - s)))
        lower.append(contentsOf: bytes[s..<e])
    }

    /// Replaces each run of tokens that spells a phrase of the lexicon (longest first,
    /// left to right, no punctuation inside the run) by one token for the phrase.
    func mergePhrases(_ tokens: inout [Token], _ forms: [(Int32, Int32)], _ lower: [UInt8]) {
        let n = tokens.count
        var ids = [Int32](repeating: -1, count: n)
        var any = false
        lower.withUnsafeBufferPointer { l in
            for i in 0..<n {
                let (st, len) = forms[i]
                ids[i] = table.find(l.baseAddress.map { $0 + Int(st) }, Int(len))
                if ids[i] >= 0 && table.infos[Int(ids[i])].has(WordInfo.startsPhrase) { any = true }
            }
        }
        guard any else { return }
        var out: [Token] = []
        out.reserveCapacity(n)
        var key: [UInt8] = []
        var i = 0
        while i < n {
            var merged = false
            if ids[i] >= 0 && table.infos[Int(ids[i])].has(WordInfo.startsPhrase) {
                var len = min(maxPhraseWords, n - i)
                while len >= 2 {
                    var ok = true
                    for k in i..<(i + len) {
                        if k > i && tokens[k].flags & Token.leadPunct != 0 { ok = false }
                        if k < i + len - 1 && tokens[k].flags & Token.trailPunct != 0 { ok = false }
                    }
                    if ok {
                        key.removeAll(keepingCapacity: true)
                        for k in i..<(i + len) {
                            if k > i { key.append(0x20) }
                            let (st, l) = forms[k]
                            key.append(contentsOf: lower[Int(st)..<Int(st + l)])
                        }
                        let pid = key.withUnsafeBufferPointer { table.find($0.baseAddress, $0.count) }
                        if pid >= 0 && table.infos[Int(pid)].inLexicon {
                            var f: UInt8 = 0
                            for k in i..<(i + len) { f |= tokens[k].flags & (Token.hasUpper | Token.hasLower | Token.hasNT) }
                            out.append(Token(id: pid, flags: f))
                            i += len
                            merged = true
                            break
                        }
                    }
                    len -= 1
                }
            }
            if !merged {
                out.append(tokens[i])
                i += 1
            }
        }
        tokens = out
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
