/// Number formatting for reports, independent of the locale.
public enum Fmt {
    /// Fixed decimals.
    public static func fixed(_ v: Double, _ decimals: Int) -> String {
        guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let r = (abs(v) * scale).rounded()
        let neg = v < 0 && r != 0
        var intPart = r / scale
        intPart.round(.towardZero)
        var s = String(Int64(intPart))
        if decimals > 0 {
            let frac = Int64(r - intPart * scale)
            var f = String(frac)
            while f.count < decimals { f = "0" + f }
            s += "." + f
        }
        return neg ? "-" + s : s
    }

    /// Thousands separators: 1234567 → 1,234,567.
    public static func grouped(_ v: Int64) -> String { grouped(Double(v)) }

    public static func grouped(_ v: Double) -> String {
        guard v.isFinite else { return fixed(v, 0) }
        let n = Int64(v.rounded())
        var digits = String(abs(n))
        var out = ""
        while digits.count > 3 {
            out = "," + digits.suffix(3) + out
            digits.removeLast(3)
        }
        return (n < 0 ? "-" : "") + digits + out
    }

    /// Nanoseconds as a readable duration: 850 ns, 12.4 µs, 3.21 ms.
    public static func nanos(_ ns: Double) -> String {
        if ns < 1000 { return fixed(ns, 0) + " ns" }
        if ns < 1_000_000 { return fixed(ns / 1000, 1) + " µs" }
        if ns < 1_000_000_000 { return fixed(ns / 1_000_000, 2) + " ms" }
        return fixed(ns / 1_000_000_000, 2) + " s"
    }
}
