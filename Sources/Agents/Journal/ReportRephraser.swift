/// Rewords the report's sentences (for instance through a language model) without
/// changing their facts. Optional: the template text is always complete on its own.
///
/// The implementation receives every sentence with the display form of each of its
/// facts and returns one text per sentence, in order. Whatever it returns is checked
/// (``RephraseCheck``): a text that drops, changes or invents a number is rejected and
/// the template sentence is kept. A thrown error, or an answer with the wrong number of
/// texts, keeps every template sentence.
public protocol ReportRephraser: Sendable {
    func rephrase(_ sentences: [RephraseItem]) async throws -> [String]
}

/// One sentence to reword.
public struct RephraseItem: Sendable, Equatable {
    /// The evidence id of the sentence (`behavioural_patterns.tilt`, …).
    public var id: String
    /// The template text, with every number filled in.
    public var text: String
    /// The facts as (name, display form): the only numbers the rewording may use.
    public var facts: [(name: String, display: String)]

    public static func == (a: RephraseItem, b: RephraseItem) -> Bool {
        a.id == b.id && a.text == b.text && a.facts.map(\.name) == b.facts.map(\.name) && a.facts.map(\.display) == b.facts.map(\.display)
    }
}

/// What happened when a report was rephrased.
public struct RephraseOutcome: Sendable, Equatable {
    public var sentences: Int
    public var accepted: Int
    /// Ids of the sentences whose rewording was rejected (template kept).
    public var rejected: [String]
    /// The rephraser's error, when it failed as a whole (every template kept).
    public var failure: String?
}

/// The check a rewording must pass: it states exactly the numbers of the template text, in
/// the same order (compared as written, ignoring `+` signs and thousands separators), is
/// not empty, and is not absurdly long. With the sentence's facts it must also keep every
/// fact the template shows exactly as shown (a symbol, a weekday, a signed amount), write no
/// number any other way (other digits, number words), and add no markup (a line break,
/// `<`, `>`, `|`, `#`, `*`, `_`, `` ` ``, `[`, `]` that the template does not have).
public enum RephraseCheck {
    public static func accepts(original: String, rewritten: String) -> Bool {
        let trimmed = rewritten.journalTrimmed
        guard !trimmed.isEmpty, trimmed.count <= max(400, original.count * 3) else { return false }
        return numbers(in: original) == numbers(in: trimmed)
    }

    /// The full check, with the facts the sentence was filled from.
    public static func accepts(original: String, rewritten: String, facts: [String]) -> Bool {
        guard accepts(original: original, rewritten: rewritten) else { return false }
        let text = rewritten.journalTrimmed
        for f in facts where !f.isEmpty && original.contains(f) && !text.contains(f) { return false }
        if text.contains(where: { $0.isNumber && !$0.isASCII && $0 != "∞" }) { return false }
        for c in text where markup.contains(c) && !original.contains(c) { return false }
        let before = Set(words(original))
        for w in words(text) where numberWords.contains(w) && !before.contains(w) { return false }
        return true
    }

    static let markup: Set<Character> = ["\n", "\r", "<", ">", "|", "#", "*", "_", "`", "[", "]"]

    /// Numbers written as words: none may appear that the template does not have.
    static let numberWords: Set<String> = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty",
        "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "thousand", "million", "billion", "dozen", "dozens",
        "half", "twice", "thrice", "double", "triple", "once", "none", "percent",
    ]

    static func words(_ s: String) -> [String] {
        s.lowercased().split { !$0.isLetter }.map(String.init)
    }

    /// The numbers a text states, normalised: `+1,234.50` → `1234.50`, `52.1%` → `52.1%`,
    /// `-1.20R` → `-1.20R`, `∞` → `∞`. A minus sign is kept (it changes the meaning).
    public static func numbers(in text: String) -> [String] {
        var out: [String] = []
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "∞" {
                out.append("∞")
                i += 1
                continue
            }
            guard c.isASCII, c.isNumber else { i += 1; continue }
            var token = ""
            if i > 0, chars[i - 1] == "-" || chars[i - 1] == "−" { token = "-" }
            var j = i
            while j < chars.count {
                let d = chars[j]
                if d.isASCII && d.isNumber {
                    token.append(d)
                } else if (d == "," || d == ".") && j + 1 < chars.count && chars[j + 1].isASCII && chars[j + 1].isNumber {
                    if d == "." { token.append(".") }
                } else {
                    break
                }
                j += 1
            }
            if j < chars.count, chars[j] == "%" || chars[j] == "R" || chars[j] == "×" {
                token.append(chars[j])
                j += 1
            }
            out.append(token)
            i = j
        }
        return out
    }
}

extension CoachingReport {
    /// Asks `rephraser` to reword every sentence and keeps each rewording that passes
    /// ``RephraseCheck``; everything else stays as the template wrote it.
    public mutating func rephrase(with rephraser: any ReportRephraser) async -> RephraseOutcome {
        let all = sentences
        let items = all.map { s in RephraseItem(id: s.id, text: s.text, facts: s.facts.map { ($0.name, $0.value.display) }) }
        let texts: [String]
        do {
            texts = try await rephraser.rephrase(items)
        } catch {
            return RephraseOutcome(sentences: all.count, accepted: 0, rejected: [], failure: "\(error)")
        }
        guard texts.count == all.count else {
            return RephraseOutcome(sentences: all.count, accepted: 0, rejected: [],
                                   failure: "expected \(all.count) sentences, got \(texts.count)")
        }
        var accepted: [String?] = []
        var rejected: [String] = []
        for (s, text) in zip(all, texts) {
            if RephraseCheck.accepts(original: s.text, rewritten: text, facts: s.facts.map(\.value.display)) {
                accepted.append(text.journalTrimmed)
            } else {
                accepted.append(nil)
                rejected.append(s.id)
            }
        }
        setTexts(accepted)
        return RephraseOutcome(sentences: all.count, accepted: all.count - rejected.count, rejected: rejected, failure: nil)
    }
}

extension String {
    var journalTrimmed: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
