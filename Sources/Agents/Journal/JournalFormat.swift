/// Locale-independent number formatting for the journal's prose, CSV and messages.
/// Every number a report sentence shows goes through here, so the same fact always
/// reads the same way (which is what lets a rephrased sentence be checked).
public enum JournalFormat {
    /// Fixed decimals, rounded half away from zero: `fixed(2.345, 2)` → `2.35`.
    public static func fixed(_ v: Double, _ decimals: Int, grouped: Bool = false) -> String {
        guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "∞" : "-∞") }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (Swift.abs(v) * scale).rounded(.toNearestOrAwayFromZero)
        guard scaled < 9e18 else { return Fmt.plain(v) }
        let units = UInt64(scaled)
        let p = UInt64(scale)
        var whole = String(units / p)
        if grouped { whole = group(whole) }
        var s = whole
        if decimals > 0 {
            var frac = String(units % p)
            while frac.count < decimals { frac = "0" + frac }
            s += "." + frac
        }
        return (v < 0 && units != 0) ? "-" + s : s
    }

    static func group(_ digits: String) -> String {
        guard digits.count > 3 else { return digits }
        var out: [Character] = []
        out.reserveCapacity(digits.count + digits.count / 3)
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(out)
    }

    /// Money: `1,234.50`, `-87.00`.
    public static func money(_ v: Double) -> String { fixed(v, 2, grouped: true) }
    /// Signed money for results: `+1,234.50`, `-87.00`, `0.00`.
    public static func pnl(_ v: Double) -> String {
        let s = money(v)
        return s.hasPrefix("-") || s == "0.00" ? s : "+" + s
    }
    /// A fraction as a percentage with one decimal: 0.5213 → `52.1%`.
    public static func percent(_ fraction: Double) -> String { fixed(fraction * 100, 1) + "%" }
    /// A ratio with two decimals; infinity as `∞`.
    public static func ratio(_ v: Double) -> String { v.isInfinite && v > 0 ? "∞" : fixed(v, 2) }
    /// An R-multiple: `1.52R`, `-2.10R`.
    public static func r(_ v: Double) -> String { fixed(v, 2) + "R" }
    /// A count with thousands separators.
    public static func count(_ n: Int) -> String { group(String(Swift.abs(n))).withSign(n < 0) }

    /// A duration in words: `40 s`, `25 min`, `2.5 h`, `3.2 days`.
    public static func duration(_ seconds: Double) -> String {
        let s = Swift.abs(seconds)
        if s < 90 { return fixed(s, 0) + " s" }
        if s < 90 * 60 {
            // Under 10 min a fraction shows (a 7.5 min threshold is not "8 min").
            let m = s / 60
            let tenths = (m * 10).rounded()
            return fixed(m, m < 10 && tenths.truncatingRemainder(dividingBy: 10) != 0 ? 1 : 0) + " min"
        }
        if s < 48 * 3600 { return fixed(s / 3600, 1) + " h" }
        return fixed(s / 86_400, 1) + " days"
    }

    /// Minutes after midnight as `HH:MM`.
    public static func clock(minutes: Int) -> String {
        let h = minutes / 60, m = minutes % 60
        return (h < 10 ? "0" : "") + String(h) + ":" + (m < 10 ? "0" : "") + String(m)
    }

    public static let weekdayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
}

extension String {
    fileprivate func withSign(_ negative: Bool) -> String { negative ? "-" + self : self }
}
