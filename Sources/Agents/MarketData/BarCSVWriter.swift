import Bus

/// Writes bars and numbers as CSV text that reads back exactly.
public enum CSVFormat {
    /// The shortest text that reads back to the same double: integers without a fraction
    /// (`22351900`), others in Swift's shortest round-trip form (`100.34`, `1e-05`).
    public static func number(_ v: Double) -> String {
        if v == v.rounded(), Swift.abs(v) < 9_007_199_254_740_992 {
            return v == 0 ? "0" : String(Int64(v))
        }
        return v.description
    }

    /// `2024-01-02` for midnight UTC when `dateOnly`, else RFC 3339 (`2024-01-02T14:30:00Z`).
    public static func time(_ t: Timestamp, dateOnly: Bool) -> String {
        dateOnly && t.secondOfDay == 0 && t.nanoseconds % 1_000_000_000 == 0 ? ISO8601.formatDate(t) : t.iso8601
    }

    /// The header of the plain bar layout, with a symbol column when asked.
    public static func barHeader(symbolColumn: Bool) -> String {
        symbolColumn ? "time,symbol,open,high,low,close,volume" : "time,open,high,low,close,volume"
    }

    /// One bar as a line of the plain layout (with its newline).
    public static func barLine(_ b: Bar, symbolColumn: Bool, dateOnly: Bool) -> String {
        var s = time(b.time, dateOnly: dateOnly)
        if symbolColumn { s += "," + CSVField.quoted(b.symbol) }
        s += "," + number(b.open) + "," + number(b.high) + "," + number(b.low) + "," + number(b.close) + "," + number(b.volume) + "\n"
        return s
    }
}
