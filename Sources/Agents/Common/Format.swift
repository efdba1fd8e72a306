import Bus
import Foundation

/// Number formatting for reports, independent of the locale.
public enum Fmt {
    /// Fixed decimals.
    public static func fixed(_ v: Double, _ decimals: Int) -> String {
        guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
        if decimals >= 0 && decimals <= 8 {
            let r = (abs(v) * pow10[decimals]).rounded()
            // Below 1e15 the integer arithmetic is exact and equals the floating-point form
            // (reasons are formatted for every vote of every bar: no intermediate Strings).
            if r < 1e15 { return decimal(Int64(r), negative: v < 0 && r != 0, decimals: decimals, trimZeros: false) }
        }
        return fixedReference(v, decimals)
    }

    static let pow10: [Double] = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8]

    /// `k` × 10^-decimals in ASCII (`-` first when `negative`), trailing fraction zeros and
    /// then the point dropped when `trimZeros`. Made in a stack buffer: a result of up to 15
    /// bytes is a small String, with nothing allocated.
    @usableFromInline static func decimal(_ k: Int64, negative: Bool, decimals: Int, trimZeros: Bool) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buf -> String in
            var end = 32
            var v = UInt64(k.magnitude)
            var frac = decimals
            var wrote = false
            // Fraction digits, from the last.
            while frac > 0 {
                let d = UInt8(v % 10)
                v /= 10
                frac -= 1
                if trimZeros && !wrote && d == 0 { continue }
                end -= 1
                buf[end] = 0x30 + d
                wrote = true
            }
            if wrote || (!trimZeros && decimals > 0) {
                end -= 1
                buf[end] = 0x2E
            }
            repeat {
                end -= 1
                buf[end] = 0x30 + UInt8(v % 10)
                v /= 10
            } while v > 0
            if negative {
                end -= 1
                buf[end] = 0x2D
            }
            return String(decoding: UnsafeBufferPointer(rebasing: buf[end..<32]), as: UTF8.self)
        }
    }

    /// The original `fixed`, for magnitudes the fast path does not cover (and as the
    /// reference the fast path is tested against).
    static func fixedReference(_ v: Double, _ decimals: Int) -> String {
        guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let r = (abs(v) * scale).rounded()
        let neg = v < 0 && r != 0
        var intPart = r / scale
        intPart.round(.towardZero)
        // Beyond Int64 there is no integer part to print: the shortest form instead.
        guard intPart.magnitude < 9.2e18 else { return String(v) }
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
        // Beyond Int64 there are no exact digits to group: the shortest form instead.
        guard v.rounded().magnitude < 9.2e18 else { return String(v) }
        let n = Int64(v.rounded())
        var digits = String(abs(n))
        var out = ""
        while digits.count > 3 {
            out = "," + digits.suffix(3) + out
            digits.removeLast(3)
        }
        return (n < 0 ? "-" : "") + digits + out
    }

    /// The shortest form that reads back to the same value: `185`, `187.2`, `0.125`.
    public static func plain(_ v: Double) -> String {
        guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
        if v == v.rounded(), Swift.abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    /// A price: two decimals from 1 up, else four significant digits (0.0001234), up to 8
    /// decimals. A sub-cent price is never shown as 0.00.
    public static func price(_ v: Double) -> String { fixed(v, priceDecimals(v)) }

    /// The decimals `price` uses for `v`.
    public static func priceDecimals(_ v: Double) -> Int {
        let m = v.magnitude
        guard m.isFinite, m > 0, m < 1 else { return 2 }
        return min(8, max(2, 3 - Int(log10(m).rounded(.down))))
    }

    /// Decimals for labels `step` apart: enough that neighbours differ (two significant
    /// digits of the step), from 0 to 8.
    public static func stepDecimals(_ step: Double) -> Int {
        guard step.isFinite, step > 0 else { return 2 }
        return min(8, max(0, 1 - Int(log10(step).rounded(.down))))
    }

    /// A bar time for a table: the date alone at midnight UTC (daily bars), else the
    /// date and time (intraday bars of one day would all read the same).
    public static func when(_ t: Timestamp) -> String {
        let day: Int64 = 86_400_000_000_000
        if t.nanoseconds % day == 0 { return ISO8601.formatDate(t) }
        let full = ISO8601.format(t)
        return String(full.prefix(10)) + " " + String(full.dropFirst(11).prefix(8))
    }

    /// Nanoseconds as a readable duration: 850 ns, 12.4 µs, 3.21 ms.
    public static func nanos(_ ns: Double) -> String {
        if ns < 1000 { return fixed(ns, 0) + " ns" }
        if ns < 1_000_000 { return fixed(ns / 1000, 1) + " µs" }
        if ns < 1_000_000_000 { return fixed(ns / 1_000_000, 2) + " ms" }
        return fixed(ns / 1_000_000_000, 2) + " s"
    }
}
