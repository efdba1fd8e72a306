/// Word valences on VADER's scale (about -4 … +4), plus multi-word entries ("phrases").
///
/// Single-word keys are kept as written and looked up with the lower-cased token, as
/// VADER does (so a key with capitals never matches). Phrase keys are lower-case words
/// joined by one space; the scorer matches them as one unit (see `docs/sentiment.md`).
public struct Lexicon: Sendable, Equatable {
    /// A name for messages and reports (`builtin-finance`, a file name, …).
    public var name: String
    public var words: [String: Double]
    public var phrases: [String: Double]
    /// Entries a loader read but does not use, with the reason (e.g. multi-word entries
    /// of a VADER file, which VADER itself never matches).
    public var skipped: [String]

    public init(name: String, words: [String: Double] = [:], phrases: [String: Double] = [:], skipped: [String] = []) {
        self.name = name
        self.words = words
        self.phrases = phrases
        self.skipped = skipped
    }

    /// Builds a lexicon from entries; keys containing spaces become phrases.
    public init(name: String, entries: [(String, Double)]) {
        self.init(name: name)
        for (k, v) in entries { insert(k, v) }
    }

    public var count: Int { words.count + phrases.count }

    /// Adds an entry (the last one wins). A key with inner whitespace is a phrase.
    public mutating func insert(_ key: String, _ valence: Double) {
        let parts = key.split(whereSeparator: { $0 == " " || $0 == "\t" })
        if parts.count > 1 {
            phrases[parts.joined(separator: " ").lowercased()] = valence
        } else if let only = parts.first {
            words[String(only)] = valence
        }
    }

    public func valence(of key: String) -> Double? {
        words[key] ?? phrases[key]
    }

    /// This lexicon with `other`'s entries added on top (other wins on conflicts).
    public func merging(_ other: Lexicon) -> Lexicon {
        var m = self
        m.name = name + "+" + other.name
        m.words.merge(other.words) { _, b in b }
        m.phrases.merge(other.phrases) { _, b in b }
        m.skipped += other.skipped
        return m
    }
}

/// Formats of lexicon files.
public enum LexiconFormat: String, Sendable, Codable, CaseIterable {
    /// VADER's `vader_lexicon.txt`: `TOKEN<TAB>MEAN-VALENCE[<TAB>…]` per line.
    case vader
    /// The Loughran–McDonald master dictionary CSV (`Word,…,Negative,Positive,Uncertainty,…`).
    case lm
}

/// How the Loughran–McDonald word lists map to valences. LM lists carry no intensity:
/// a word is in a list (a positive year in its column: the year it was added) or not
/// (0, or a negative year: removed that year).
public struct LMMapping: Sendable, Equatable, Codable {
    public var positive: Double
    public var negative: Double
    /// Used only when the word is in neither the positive nor the negative list.
    public var uncertainty: Double

    public init(positive: Double = 1.5, negative: Double = -1.5, uncertainty: Double = -0.5) {
        self.positive = positive
        self.negative = negative
        self.uncertainty = uncertainty
    }

    public static let `default` = LMMapping()
}

extension Lexicon {
    /// Loads a lexicon file of the given format.
    public static func load(path: String, format: LexiconFormat, phrases: Bool = false, lm: LMMapping = .default) throws(InputError) -> Lexicon {
        switch format {
        case .vader: return try loadVADER(path: path, phrases: phrases)
        case .lm: return try loadLoughranMcDonald(path: path, mapping: lm)
        }
    }

    /// Reads VADER's tab-separated format: the token, its mean valence, then any number of
    /// further fields (VADER's standard deviation and raw ratings), which are ignored.
    /// Blank lines are skipped; a repeated token keeps its last valence (as VADER does).
    ///
    /// Tokens with inner spaces (VADER's file has four, e.g. `fed up`) can never match in
    /// VADER, which looks words up one at a time; they are skipped (and listed in
    /// ``skipped``) unless `phrases` is true, when they are matched as phrases.
    public static func loadVADER(path: String, phrases: Bool = false) throws(InputError) -> Lexicon {
        let reader = try LineReader(path: path)
        var lex = Lexicon(name: baseName(path))
        while let line = try reader.nextLine() {
            let trimmed = line.trimmingASCIIWhitespace()
            if trimmed.isEmpty { continue }
            let fields = trimmed.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 2 else {
                throw InputError(file: path, line: reader.lineNumber, "expected TOKEN<TAB>VALENCE, found no tab")
            }
            let token = String(fields[0])
            guard !token.isEmpty else { throw InputError(file: path, line: reader.lineNumber, field: "token", "empty") }
            let text = String(fields[1]).trimmingASCIIWhitespace()
            guard let v = Double(text), v.isFinite else {
                throw InputError(file: path, line: reader.lineNumber, field: "valence", "not a number: \"\(text)\"")
            }
            // VADER's scale is about ±4; far beyond it the scorer's normalisation overflows
            // (a valence of 1e308 scored 0).
            guard Swift.abs(v) <= 100 else {
                throw InputError(file: path, line: reader.lineNumber, field: "valence", "\(text) is outside -100 … 100 (VADER's scale is about -4 … 4)")
            }
            if token.contains(" ") {
                if phrases {
                    lex.insert(token, v)
                } else {
                    lex.skipped.append("\(path):\(reader.lineNumber): multi-word entry \"\(token)\" skipped (VADER matches single tokens)")
                }
                continue
            }
            lex.words[token] = v
        }
        if lex.count == 0 { throw InputError(file: path, "no entries") }
        return lex
    }

    /// Reads the Loughran–McDonald master dictionary CSV. Columns are found by their header
    /// names (`Word`, `Positive`, `Negative`, `Uncertainty`, in any case and order). Words
    /// are lower-cased; words in no list are left out.
    public static func loadLoughranMcDonald(path: String, mapping: LMMapping = .default) throws(InputError) -> Lexicon {
        let csv = try CSVReader(path: path)
        guard let header = try csv.next() else { throw InputError(file: path, "empty file: expected a header line") }
        func column(_ name: String) throws(InputError) -> Int {
            guard let i = header.fields.firstIndex(where: { $0.trimmingASCIIWhitespace().lowercased() == name.lowercased() }) else {
                throw InputError(file: path, line: header.line, "missing column \"\(name)\" in the header")
            }
            return i
        }
        let wordCol = try column("Word"), posCol = try column("Positive")
        let negCol = try column("Negative"), uncCol = try column("Uncertainty")
        let needed = max(wordCol, posCol, negCol, uncCol) + 1
        var lex = Lexicon(name: baseName(path))
        while let rec = try csv.next() {
            guard rec.fields.count >= needed else {
                throw InputError(file: path, line: rec.line, "expected at least \(needed) fields, found \(rec.fields.count)")
            }
            let word = rec.fields[wordCol].trimmingASCIIWhitespace().lowercased()
            guard !word.isEmpty else { throw InputError(file: path, line: rec.line, field: header.fields[wordCol], "empty") }
            func listed(_ col: Int) throws(InputError) -> Bool {
                let text = rec.fields[col].trimmingASCIIWhitespace()
                // The lists hold the year a word was added (removed words: minus the year).
                if let n = Int(text) { return n > 0 }
                if let d = Double(text), d.isFinite { return d > 0 }
                throw InputError(file: path, line: rec.line, field: header.fields[col], "not a number: \"\(text)\"")
            }
            let pos = try listed(posCol), neg = try listed(negCol), unc = try listed(uncCol)
            var v = 0.0
            if pos { v += mapping.positive }
            if neg { v += mapping.negative }
            if !pos && !neg && unc { v = mapping.uncertainty }
            if v != 0 { lex.insert(word, v) }
        }
        if lex.count == 0 { throw InputError(file: path, "no word in the positive, negative or uncertainty lists") }
        return lex
    }

    static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}

extension String {
    /// Without leading and trailing spaces, tabs, CR and LF.
    func trimmingASCIIWhitespace() -> String {
        let u = utf8
        var s = u.startIndex, e = u.endIndex
        func ws(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A || c == 0x0B || c == 0x0C }
        while s < e, ws(u[s]) { s = u.index(after: s) }
        while e > s, ws(u[u.index(before: e)]) { e = u.index(before: e) }
        if s == u.startIndex && e == u.endIndex { return self }
        return String(self[s..<e])
    }
}
