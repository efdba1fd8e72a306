import Bus

/// Reads a news file in JSON Lines: one JSON object per line, one news item each.
///
/// | field | type | required | default |
/// |---|---|---|---|
/// | `headline` | string, not blank | yes | |
/// | `time` | RFC 3339 string, or seconds since the Unix epoch | yes | |
/// | `symbols` | array of strings, at least one | yes | |
/// | `id` | string, unique in the file | no | `<file name>:<line>` |
/// | `body` | string or null | no | none |
/// | `source` | string | no | `file` |
/// | `url` | string or null | no | none |
///
/// Other fields are ignored; blank lines are skipped. The items come back sorted by time
/// (stably: items with equal times keep their order in the file). Any problem is an
/// ``InputError`` naming `file:line` and the field.
public enum NewsFile {
    public static func read(path: String) throws(InputError) -> [NewsItem] {
        let reader = try LineReader(path: path)
        let name = Lexicon.baseName(path)
        var items: [NewsItem] = []
        // Each id's line, and whether it was the default `<file name>:<line>`.
        var seen: [String: (line: Int, defaulted: Bool)] = [:]
        while let line = try reader.nextLine() {
            let n = reader.lineNumber
            if line.trimmingASCIIWhitespace().isEmpty { continue }
            let defaultID = "\(name):\(n)"
            let item = try parse(line, file: path, line: n, defaultID: defaultID)
            let defaulted = item.id == defaultID
            if let first = seen[item.id] {
                // A default id colliding with a given one: say which is which.
                let message = defaulted
                    ? "none given, and the default \"\(item.id)\" (file name:line) is already used on line \(first.line): give this item an id"
                    : "\"\(item.id)\" already used on line \(first.line)" + (first.defaulted ? " (the default id of that line, which gives none)" : "")
                throw InputError(file: path, line: n, field: "id", message)
            }
            seen[item.id] = (n, defaulted)
            items.append(item)
        }
        // A stable sort by time.
        return items.enumerated().sorted { a, b in
            a.element.time != b.element.time ? a.element.time < b.element.time : a.offset < b.offset
        }.map(\.element)
    }

    /// Parses one line of a news file.
    public static func parse(_ text: String, file: String, line: Int, defaultID: String) throws(InputError) -> NewsItem {
        let value: JSONValue
        do { value = try JSONValue(parsing: text) } catch {
            throw InputError(file: file, line: line, "invalid JSON: \(error.description)")
        }
        guard case .object(let members) = value else {
            throw InputError(file: file, line: line, "expected a JSON object, found \(value.kindName)")
        }
        func fail(_ field: String, _ message: String) -> InputError { InputError(file: file, line: line, field: field, message) }
        // Readers disagree on a key given twice (Python's json keeps the last, a first-match
        // look-up the first), so the same line would be two different items: refused.
        var keys = Set<String>()
        for m in members where !keys.insert(m.key).inserted { throw fail(m.key, "given twice") }
        func string(_ field: String, required: Bool) throws(InputError) -> String? {
            switch value[field] {
            case nil:
                if required { throw fail(field, "missing") }
                return nil
            case .null?:
                if required { throw fail(field, "missing (null)") }
                return nil
            case .string(let s)?: return s
            case let other?: throw fail(field, "expected a string, found \(other.kindName)")
            }
        }
        // Blank in any script: a headline of no-break or ideographic spaces says nothing either.
        guard let headline = try string("headline", required: true), headline.contains(where: { !$0.isWhitespace }) else {
            throw fail("headline", "empty")
        }
        let time: Timestamp
        switch value["time"] {
        case nil, .null?: throw fail("time", "missing")
        case .string(let s)?:
            do { time = try ISO8601.parse(s) } catch { throw fail("time", "not an RFC 3339 time: \"\(s)\"") }
        case .number(let d)?:
            guard d.isFinite, abs(d) < 9.2e9 else { throw fail("time", "seconds since the epoch out of range: \(d)") }
            time = Timestamp(epochSeconds: d)
        case let other?: throw fail("time", "expected an RFC 3339 string or seconds since the epoch, found \(other.kindName)")
        }
        var symbols: [String] = []
        switch value["symbols"] {
        case nil, .null?: throw fail("symbols", "missing (an array of at least one symbol)")
        case .array(let a)?:
            for (i, v) in a.enumerated() {
                guard case .string(let s) = v else { throw fail("symbols[\(i)]", "expected a string, found \(v.kindName)") }
                let sym = s.trimmingASCIIWhitespace()
                // The bus's rule for a topic's symbol segment (news goes out on market.news.SYMBOL).
                if let p = SymbolCheck.problem(sym) { throw fail("symbols[\(i)]", p) }
                if !symbols.contains(sym) { symbols.append(sym) }
            }
            if symbols.isEmpty { throw fail("symbols", "empty (at least one symbol needed)") }
        case let other?: throw fail("symbols", "expected an array of strings, found \(other.kindName)")
        }
        let id = try string("id", required: false) ?? defaultID
        if id.isEmpty { throw fail("id", "empty") }
        return NewsItem(
            id: id, time: time, symbols: symbols, headline: headline,
            body: try string("body", required: false), source: try string("source", required: false) ?? "file",
            url: try string("url", required: false))
    }
}
