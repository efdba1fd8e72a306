import Bus

/// HTTP dates (RFC 9110 §5.6.7): the IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT` that servers
/// send, and the two obsolete forms a recipient must still read, RFC 850
/// (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`).
public enum HTTPDate {
    /// Seconds since the Unix epoch, or nil when `text` is none of the three forms.
    public static func parse(_ text: String) -> Int64? {
        var day: Int?, month: Int?, year: Int?, time: (Int, Int, Int)?
        // Tokens between spaces, commas and (RFC 850) dashes; the weekday and "GMT" are skipped.
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "-" || $0 == "\t" })
        guard tokens.count >= 4, tokens.count <= 6 else { return nil }
        for t in tokens {
            if t.contains(":") {
                let parts = t.split(separator: ":", omittingEmptySubsequences: false)
                guard time == nil, parts.count == 3, parts.allSatisfy({ $0.count == 2 }),
                      let h = Int(parts[0]), let m = Int(parts[1]), let s = Int(parts[2]),
                      h < 24, m < 60, s <= 60 else { return nil }
                time = (h, m, s)
            } else if let n = Int(t), t.allSatisfy(\.isASCII) {
                if t.count == 4 {
                    guard year == nil else { return nil }
                    year = n
                } else if t.count <= 2, day == nil {
                    day = n
                } else if t.count == 2, year == nil {
                    // RFC 850's two-digit year: taken in 1970…2069.
                    year = n < 70 ? 2000 + n : 1900 + n
                } else {
                    return nil
                }
            } else if let m = months.firstIndex(of: t.lowercased()) {
                guard month == nil else { return nil }
                month = m + 1
            } else if !(weekdays.contains { t.lowercased().hasPrefix($0) } || t == "GMT") {
                return nil
            }
        }
        guard let day, let month, let year, let (h, m, s) = time,
              day >= 1, day <= ISO8601.daysIn(month: month, year: year) else { return nil }
        let days = Int64(ISO8601.days(fromCivil: year, month, day))
        return days * 86_400 + Int64(h * 3600 + m * 60 + s)
    }

    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// The seconds a `Retry-After` value asks to wait: a number of seconds, or an HTTP date
    /// taken relative to the answer's own `Date` header (the server's clock, so neither a
    /// clock read here nor any skew between the two machines enters); nil when neither.
    public static func retryAfterSeconds(_ value: String, date: String?) -> Double? {
        let v = value.trimmingASCIIWhitespace()
        if let s = Double(v), s.isFinite { return s }
        guard let at = parse(v), let date, let now = parse(date.trimmingASCIIWhitespace()) else { return nil }
        return Double(Swift.max(0, at - now))
    }
}
