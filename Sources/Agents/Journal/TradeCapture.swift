import Bus

/// A sentence the free-text capture could not read, naming the part it could not read.
public struct CaptureError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Deterministic parser for trades written as a sentence:
///
///     Long 200 AAPL @ 187.20, out 190.55 stop 185, chased the open #fomo
///
/// The grammar (docs/journal.md has the full table):
///
///     sentence := [date] side quantity [unit] [of] symbol entry {clause} [, note]
///     side     := long | buy | bought | short | sell | sold | shorted
///     unit     := shares | share | sh | shs
///     entry    := (@ | at) price [[at] time]
///     clause   := exit | stop | fees | date          (separated by spaces or commas)
///     exit     := (out | exit | exited | closed | close | covered | cover | sold) [at | @] price [[at] time]
///     stop     := (stop | sl | stop-loss | stoploss) [loss] [at | @] price
///     fees     := (fees | fee | commission | commissions) [of] price
///     date     := [on] (YYYY-MM-DD | today | yesterday)
///     time     := HH:MM[:SS], 24-hour, on the trader's clock
///     note     := everything from the first comma-separated part that does not start a clause
///     #word    := a tag, anywhere (taken out of the note)
///
/// Missing times default to the moment of capture (see ``parse(_:now:utcOffsetMinutes:)``).
public enum TradeCapture {
    public struct Captured: Sendable, Equatable {
        /// The trade, with an empty id (the journal file assigns it).
        public var trade: JournalTrade
        /// Which times the sentence gave; the others were filled in.
        public var entryTimeGiven: Bool
        public var exitTimeGiven: Bool
        public var dateGiven: Bool
    }

    struct Word {
        var text: String
        var lower: String
        var segment: Int
    }

    static let sides: [String: PositionSide] = [
        "long": .long, "buy": .long, "bought": .long,
        "short": .short, "sell": .short, "sold": .short, "shorted": .short,
    ]
    static let units: Set<String> = ["shares", "share", "sh", "shs"]
    static let exitWords: Set<String> = ["out", "exit", "exited", "closed", "close", "covered", "cover", "sold"]
    static let stopWords: Set<String> = ["stop", "sl", "stop-loss", "stoploss"]
    static let feeWords: Set<String> = ["fees", "fee", "commission", "commissions"]

    /// Parses a sentence. `now` is the moment of capture and `utcOffsetMinutes` the
    /// trader's clock (as in ``JournalConfig``): dates and times in the sentence are
    /// read on that clock and stored in UTC.
    ///
    /// Times: with no time and no date, both entry and exit are `now`; with a date but
    /// no time, midnight of that date. With only an entry time the exit is `now` if that
    /// is later on the same (implicit) date, else the entry time; with only an exit
    /// time the entry takes the same time.
    public static func parse(_ sentence: String, now: Timestamp, utcOffsetMinutes: Int = 0) throws(CaptureError) -> Captured {
        let (text, tags) = extractTags(sentence)
        let segments = splitSegments(text)
        var words: [Word] = []
        for (k, seg) in segments.enumerated() {
            for w in splitWords(seg) { words.append(Word(text: w, lower: w.lowercased(), segment: k)) }
        }
        guard !words.isEmpty else {
            throw CaptureError("empty sentence: write for example \"Long 200 AAPL @ 187.20, out 190.55 stop 185\"")
        }
        var i = 0
        func peek() -> Word? { i < words.count ? words[i] : nil }

        var date: Int64? // day number on the trader's clock
        let offset = Int64(utcOffsetMinutes) * 60
        let nowLocal = now.wholeSeconds + offset
        let today = TradeTable.floorDiv(nowLocal, 86_400)

        func readDate(_ w: Word) throws(CaptureError) -> Int64? {
            switch w.lower {
            case "today": return today
            case "yesterday": return today - 1
            default:
                guard w.text.count == 10, w.text.utf8.filter({ $0 == 0x2D }).count == 2 else { return nil }
                guard let t = try? ISO8601.parse(w.text) else { throw CaptureError("could not read \"\(w.text)\": expected a date YYYY-MM-DD") }
                return t.dayNumber
            }
        }

        /// A date clause at `k` (`today`, `on 2024-03-05`, …): the day and the words it takes.
        func dateClause(at k: Int) throws(CaptureError) -> (day: Int64, width: Int)? {
            guard k < words.count else { return nil }
            if words[k].lower == "on", k + 1 < words.count, words[k + 1].segment == words[k].segment,
               let d = try readDate(words[k + 1]) {
                return (d, 2)
            }
            return try readDate(words[k]).map { ($0, 1) }
        }

        if let (d, width) = try dateClause(at: i) { date = d; i += width }

        // side
        guard let sw = peek() else { throw CaptureError("missing the side: start with long, short, buy or sell") }
        guard let side = sides[sw.lower] else {
            throw CaptureError("could not read \"\(sw.text)\": expected long, short, buy or sell")
        }
        i += 1
        // quantity
        guard let qw = peek() else { throw CaptureError("missing the quantity after \"\(sw.text)\"") }
        guard let quantity = number(qw.text) else { throw CaptureError("could not read \"\(qw.text)\": expected a quantity (a number)") }
        guard quantity > 0 else { throw CaptureError("could not read \"\(qw.text)\": the quantity must be greater than 0") }
        i += 1
        if let w = peek(), units.contains(w.lower) { i += 1 }
        if let w = peek(), w.lower == "of" { i += 1 }
        // symbol
        guard let symw = peek() else { throw CaptureError("missing the symbol after the quantity") }
        guard let symbol = symbolText(symw.text), !isKeyword(symw.lower) else {
            throw CaptureError("could not read \"\(symw.text)\": expected a symbol such as AAPL")
        }
        i += 1
        // entry
        guard let ew = peek() else { throw CaptureError("missing the entry price: add \"@ PRICE\" after the symbol") }
        guard ew.lower == "@" || ew.lower == "at" else {
            throw CaptureError("could not read \"\(ew.text)\": expected \"@ PRICE\" or \"at PRICE\" after the symbol")
        }
        i += 1
        let entryPrice = try price(peek(), "the entry price", after: ew.text)
        i += 1
        var entryClock = try optionalTime(&i, words)

        var exitPrice: Double?
        var exitClock: Int?
        var stop: Double?
        var fees: Double?
        var noteStart: Int?
        var lastSegment = words[i - 1].segment
        while let w = peek() {
            let startsSegment = w.segment != lastSegment
            lastSegment = w.segment
            if exitWords.contains(w.lower) {
                guard exitPrice == nil else { throw CaptureError("could not read \"\(w.text)\": the exit was already given") }
                i += 1
                if let a = peek(), a.lower == "at" || a.lower == "@" { i += 1 }
                exitPrice = try price(peek(), "the exit price", after: w.text)
                i += 1
                exitClock = try optionalTime(&i, words)
            } else if stopWords.contains(w.lower) {
                guard stop == nil else { throw CaptureError("could not read \"\(w.text)\": the stop was already given") }
                i += 1
                if let a = peek(), a.lower == "loss" { i += 1 }
                if let a = peek(), a.lower == "at" || a.lower == "@" { i += 1 }
                stop = try price(peek(), "the stop price", after: w.text)
                i += 1
            } else if feeWords.contains(w.lower) {
                guard fees == nil else { throw CaptureError("could not read \"\(w.text)\": the fees were already given") }
                i += 1
                if let a = peek(), a.lower == "of" { i += 1 }
                guard let fw = peek(), let f = number(fw.text.hasPrefix("$") ? String(fw.text.dropFirst()) : fw.text), f >= 0 else {
                    throw CaptureError(peek().map { "could not read \"\($0.text)\": expected the fees (a number)" } ?? "missing the fees after \"\(w.text)\"")
                }
                fees = f
                i += 1
            } else if let (d, width) = try dateClause(at: i),
                      !(startsSegment && i + width < words.count && words[i + width].segment == w.segment && !startsClause(words[i + width])) {
                // (A part that starts with a date but goes on with other words is a note: ", today was choppy".)
                guard date == nil else { throw CaptureError("could not read \"\(words[i + width - 1].text)\": the date was already given") }
                date = d
                i += width
            } else if isTime(w.text) {
                throw CaptureError("could not read \"\(w.text)\": a time must follow the entry or the exit price")
            } else if startsSegment {
                noteStart = w.segment
                break
            } else {
                throw CaptureError("could not read \"\(w.text)\": expected out PRICE, stop PRICE, fees AMOUNT, a date, or a comma before a note")
            }
        }
        guard let exitPrice else { throw CaptureError("missing the exit: add \"out PRICE\"") }
        if entryClock == nil && exitClock != nil { entryClock = exitClock }

        // Times on the trader's clock → UTC.
        let day = date ?? today
        func utc(_ clockSeconds: Int) -> Timestamp { Timestamp(seconds: day * 86_400 + Int64(clockSeconds) - offset) }
        let entryTime: Timestamp, exitTime: Timestamp
        switch (entryClock, exitClock) {
        case let (e?, x?):
            entryTime = utc(e); exitTime = utc(x)
        case let (e?, nil):
            entryTime = utc(e)
            let n = Timestamp(seconds: now.wholeSeconds)
            exitTime = date == nil && n > entryTime ? n : entryTime
        default:
            entryTime = date == nil ? Timestamp(seconds: now.wholeSeconds) : utc(0)
            exitTime = entryTime
        }
        if exitTime < entryTime {
            throw CaptureError("the exit time \(clockText(exitClock ?? 0)) is before the entry time \(clockText(entryClock ?? 0))")
        }
        let note = noteStart.map { segments[$0...].map { $0.journalTrimmed }.filter { !$0.isEmpty }.joined(separator: ", ") } ?? ""
        var trade = JournalTrade(
            id: "new", symbol: symbol, side: side, quantity: quantity, entryTime: entryTime, entryPrice: entryPrice,
            exitTime: exitTime, exitPrice: exitPrice, fees: fees ?? 0, stopPrice: stop, tags: tags, notes: note)
        if let p = trade.problem() {
            throw CaptureError(p.field == "stop_price" ? "the stop " + p.message : "\(p.field): \(p.message)")
        }
        trade.id = ""
        return Captured(trade: trade, entryTimeGiven: entryClock != nil, exitTimeGiven: exitClock != nil, dateGiven: date != nil)
    }

    /// What was understood, for the person who typed it.
    public static func describe(_ c: Captured) -> String {
        let t = c.trade
        var s = "\(t.side.rawValue) \(Fmt.plain(t.quantity)) \(t.symbol) @ \(Fmt.plain(t.entryPrice)), out \(Fmt.plain(t.exitPrice))"
        if let stop = t.stopPrice { s += ", stop \(Fmt.plain(stop))" }
        s += ", fees \(Fmt.plain(t.fees))"
        s += "\n  entry \(t.entryTime.iso8601)  exit \(t.exitTime.iso8601)"
        if !c.entryTimeGiven && !c.exitTimeGiven { s += c.dateGiven ? "  (no time given: midnight)" : "  (no time given: now)" }
        s += "\n  P&L \(JournalFormat.pnl(t.pnl))"
        if let r = t.rMultiple { s += " (\(JournalFormat.r(r)))" }
        if !t.tags.isEmpty { s += "\n  tags: " + t.tags.map { "#" + $0 }.joined(separator: " ") }
        if !t.notes.isEmpty { s += "\n  note: " + t.notes }
        return s
    }

    // MARK: lexing

    /// Takes `#word` tags out of the text (lower-cased, in order, without repeats).
    static func extractTags(_ s: String) -> (String, [String]) {
        var out = ""
        var tags: [String] = []
        let chars = Array(s)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            let atWordStart = i == 0 || chars[i - 1].isWhitespace || chars[i - 1] == ","
            if c == "#" && atWordStart && i + 1 < chars.count && isTagChar(chars[i + 1]) {
                var j = i + 1
                var tag = ""
                while j < chars.count && isTagChar(chars[j]) { tag.append(chars[j]); j += 1 }
                let lower = tag.lowercased()
                if !tags.contains(lower) { tags.append(lower) }
                out.append(" ")
                i = j
                continue
            }
            out.append(c)
            i += 1
        }
        return (out, tags)
    }

    static func isTagChar(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "-" }

    /// Splits on commas, except a comma between two digits (`1,000`).
    static func splitSegments(_ s: String) -> [String] {
        var out: [String] = []
        var cur = ""
        let chars = Array(s)
        for (i, c) in chars.enumerated() {
            if c == "," && !(i > 0 && chars[i - 1].isNumber && i + 1 < chars.count && chars[i + 1].isNumber) {
                out.append(cur)
                cur = ""
            } else {
                cur.append(c)
            }
        }
        out.append(cur)
        return out
    }

    /// Whitespace-separated words, with `@` split off (`@187.20`, `AAPL@187`) and a unit
    /// split off a number (`200sh`).
    static func splitWords(_ s: String) -> [String] {
        var out: [String] = []
        for raw in s.split(whereSeparator: { $0.isWhitespace }) {
            var parts: [String] = []
            var cur = ""
            for c in raw {
                if c == "@" {
                    if !cur.isEmpty { parts.append(cur) }
                    parts.append("@")
                    cur = ""
                } else {
                    cur.append(c)
                }
            }
            if !cur.isEmpty { parts.append(cur) }
            for p in parts {
                let lower = p.lowercased()
                if let unit = units.first(where: { lower.hasSuffix($0) && lower.count > $0.count }),
                   number(String(p.dropLast(unit.count))) != nil {
                    out.append(String(p.dropLast(unit.count)))
                    out.append(String(p.suffix(unit.count)))
                } else {
                    out.append(p)
                }
            }
        }
        return out
    }

    /// A plain decimal number, allowing `1,000` grouping: nil otherwise.
    static func number(_ s: String) -> Double? {
        guard !s.isEmpty, s.first != ",", s.last != "," else { return nil }
        var cleaned = s
        if s.contains(",") {
            let parts = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            let groups = parts[0].split(separator: ",", omittingEmptySubsequences: false)
            guard groups.count > 1, (1...3).contains(groups[0].count), groups.dropFirst().allSatisfy({ $0.count == 3 }) else { return nil }
            cleaned = groups.joined() + (parts.count > 1 ? "." + parts[1] : "")
        }
        guard cleaned.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }),
              cleaned.utf8.filter({ $0 == 0x2E }).count <= 1, cleaned != "." else { return nil }
        return Double(cleaned)
    }

    static func price(_ w: Word?, _ what: String, after: String) throws(CaptureError) -> Double {
        guard let w else { throw CaptureError("missing \(what) after \"\(after)\"") }
        let t = w.text.hasPrefix("$") ? String(w.text.dropFirst()) : w.text
        guard let v = number(t), v > 0 else { throw CaptureError("could not read \"\(w.text)\": expected \(what)") }
        return v
    }

    static func isTime(_ s: String) -> Bool {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        return (parts.count == 2 || parts.count == 3) && parts.allSatisfy { !$0.isEmpty && $0.count <= 2 && $0.allSatisfy(\.isNumber) }
    }

    /// `HH:MM[:SS]` → seconds after midnight.
    static func clock(_ s: String) -> Int? {
        guard isTime(s) else { return nil }
        let p = s.split(separator: ":").map { Int($0)! }
        guard p[0] < 24, p[1] < 60, p.count == 2 || p[2] < 60, p[1] >= 0 else { return nil }
        return p[0] * 3600 + p[1] * 60 + (p.count == 3 ? p[2] : 0)
    }

    static func clockText(_ seconds: Int) -> String {
        let h = seconds / 3600, m = (seconds % 3600) / 60, s = seconds % 60
        var out = (h < 10 ? "0" : "") + String(h) + ":" + (m < 10 ? "0" : "") + String(m)
        if s != 0 { out += ":" + (s < 10 ? "0" : "") + String(s) }
        return out
    }

    /// `[at] HH:MM` right after a price (same comma-separated part).
    static func optionalTime(_ i: inout Int, _ words: [Word]) throws(CaptureError) -> Int? {
        guard i < words.count, words[i].segment == words[i - 1].segment else { return nil }
        var k = i
        if words[k].lower == "at", k + 1 < words.count, words[k + 1].segment == words[k].segment, isTime(words[k + 1].text) { k += 1 }
        guard isTime(words[k].text) else { return nil }
        guard let c = clock(words[k].text) else { throw CaptureError("could not read \"\(words[k].text)\": expected a time HH:MM (24-hour)") }
        i = k + 1
        return c
    }

    static func symbolText(_ s: String) -> String? {
        var t = Substring(s)
        if t.hasPrefix("$") { t = t.dropFirst() }
        guard let first = t.first, first.isASCII, first.isLetter, t.count <= 12,
              t.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "/") }) else { return nil }
        return t.uppercased()
    }

    /// Whether a word begins a clause after the entry.
    static func startsClause(_ w: Word) -> Bool {
        exitWords.contains(w.lower) || stopWords.contains(w.lower) || feeWords.contains(w.lower)
    }

    static func isKeyword(_ lower: String) -> Bool {
        lower == "at" || lower == "of" || units.contains(lower) || sides[lower] != nil || exitWords.contains(lower)
            || stopWords.contains(lower) || feeWords.contains(lower)
    }
}

extension JournalFile {
    /// Appends one trade to a journal file, creating it with a header when it does not
    /// exist or is empty. The trade gets the next free id (one more than the number of
    /// rows, or higher if taken); the row follows the file's own column order.
    /// Returns the id given.
    @discardableResult
    public static func append(_ trade: JournalTrade, to path: String) throws(InputError) -> String {
        var columns = journalColumns
        var ids = Set<String>()
        var rows = 0
        var endsWithNewline = true
        var exists = false
        if let reader = try? LineReader(path: path) {
            exists = true
            var head: Header?
            while let bytes = try reader.nextLineBytes() {
                if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                let fields = try CSVReader.split(bytes, file: path, line: reader.lineNumber)
                if head == nil {
                    let h = try header(fields, file: path, line: reader.lineNumber, format: nil)
                    guard h.format == .journal else {
                        throw InputError(file: path, line: reader.lineNumber, field: "header", "is an execution export, not a journal: trades can only be added to a journal")
                    }
                    head = h
                    var order = [String](repeating: "", count: h.count)
                    for (name, k) in h.index { order[k] = name }
                    columns = order
                    continue
                }
                rows += 1
                if let k = head?.at(.id), k >= 0, k < fields.count { ids.insert(fields[k].journalTrimmed) }
            }
            endsWithNewline = lastByteIsNewline(path)
            if head == nil { exists = false }
        }
        for c in ["stop_price", "tags", "notes"] where !columns.contains(c) {
            let v = value(c, of: trade)
            if !v.isEmpty { throw InputError(file: path, line: 1, field: "header", "has no \"\(c)\" column for \"\(v)\"") }
        }
        var n = rows + 1
        while ids.contains(String(n)) { n += 1 }
        var t = trade
        t.id = String(n)
        let out = try JournalFileSink(path: path, mode: exists ? "ab" : "wb")
        if !exists { out.write(columns.joined(separator: ",") + "\n") } else if !endsWithNewline { out.write("\n") }
        out.write(row(t, columns: columns) + "\n")
        try out.close()
        return t.id
    }

    static func lastByteIsNewline(_ path: String) -> Bool {
        guard let f = fopen(path, "rb") else { return true }
        defer { fclose(f) }
        guard fseek(f, -1, SEEK_END) == 0 else { return true }
        return fgetc(f) == 0x0A
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
