/// Exact conversions between doubles and short decimals, in 128-bit integer arithmetic, for
/// the range most numbers on the wire fall in: `1e-4 ≤ |v| < 2^53`.
///
/// Computed numbers (scores, ratios, equity) have 16 or 17 significant digits. Swift's
/// `description` writes them (through a String: an allocation each) and `strtod` reads
/// them (multi-precision arithmetic): together about 250 ns a number, a fifth of a recorded
/// run's codec time. Within this range every quantity involved fits in 128 bits, so both
/// directions are exact here and need no tables. Outside it (and for powers of two, whose
/// rounding interval is lopsided) the callers keep the general paths.
enum ExactDecimal {
    /// 10^n for n in 0…19, from constants (no lazy global to check on every call).
    @inline(__always) static func power(_ n: Int) -> UInt64 {
        switch n {
        case 0: 1
        case 1: 10
        case 2: 100
        case 3: 1_000
        case 4: 10_000
        case 5: 100_000
        case 6: 1_000_000
        case 7: 10_000_000
        case 8: 100_000_000
        case 9: 1_000_000_000
        case 10: 10_000_000_000
        case 11: 100_000_000_000
        case 12: 1_000_000_000_000
        case 13: 10_000_000_000_000
        case 14: 100_000_000_000_000
        case 15: 1_000_000_000_000_000
        case 16: 10_000_000_000_000_000
        case 17: 100_000_000_000_000_000
        case 18: 1_000_000_000_000_000_000
        default: 10_000_000_000_000_000_000
        }
    }

    /// q / 10^n and q % 10^n for n in 0…17: a division by a constant in each case, which
    /// compiles to a multiplication (a division by a variable costs 40–90 cycles).
    @inline(__always) static func divide(_ q: UInt64, byPowerOfTen n: Int) -> (UInt64, UInt64) {
        switch n {
        case 0: (q, 0)
        case 1: q.quotientAndRemainder(dividingBy: 10)
        case 2: q.quotientAndRemainder(dividingBy: 100)
        case 3: q.quotientAndRemainder(dividingBy: 1_000)
        case 4: q.quotientAndRemainder(dividingBy: 10_000)
        case 5: q.quotientAndRemainder(dividingBy: 100_000)
        case 6: q.quotientAndRemainder(dividingBy: 1_000_000)
        case 7: q.quotientAndRemainder(dividingBy: 10_000_000)
        case 8: q.quotientAndRemainder(dividingBy: 100_000_000)
        case 9: q.quotientAndRemainder(dividingBy: 1_000_000_000)
        case 10: q.quotientAndRemainder(dividingBy: 10_000_000_000)
        case 11: q.quotientAndRemainder(dividingBy: 100_000_000_000)
        case 12: q.quotientAndRemainder(dividingBy: 1_000_000_000_000)
        case 13: q.quotientAndRemainder(dividingBy: 10_000_000_000_000)
        case 14: q.quotientAndRemainder(dividingBy: 100_000_000_000_000)
        case 15: q.quotientAndRemainder(dividingBy: 1_000_000_000_000_000)
        case 16: q.quotientAndRemainder(dividingBy: 10_000_000_000_000_000)
        default: q.quotientAndRemainder(dividingBy: 100_000_000_000_000_000)
        }
    }

    /// The shortest decimal that reads back as `a` (`a > 0`), as digits and a count of
    /// decimals (`digits / 10^decimals`), with at least one decimal: the text Swift's
    /// `description` gives (the shortest digits that round-trip; of those, the closest to
    /// the exact value, ties to even). Nil outside `1e-4 ≤ a < 2^53`, for integers and for
    /// powers of two.
    static func shortest(_ a: Double) -> (digits: UInt64, decimals: Int)? {
        guard a >= 1e-4, a < 9_007_199_254_740_992 else { return nil }
        let bits = a.bitPattern
        let fraction = bits & 0x000F_FFFF_FFFF_FFFF
        guard fraction != 0 else { return nil }  // a power of two
        let s = 1075 - Int((bits >> 52) & 0x7FF)  // a = m / 2^s
        guard s > 0 else { return nil }  // an integer
        let m = fraction | (1 << 52)
        // Decimals for 17 significant digits (always enough for a double).
        var d: Int
        if a >= 1 {
            let whole = UInt64(a)
            var digits = 1
            while digits < 19 && whole >= power(digits) { digits += 1 }
            d = 17 - digits
        } else {
            d = a >= 0.1 ? 17 : a >= 0.01 ? 18 : a >= 0.001 ? 19 : 20
        }
        if d < 1 { d = 1 }
        // x = a · 10^d · 2^s exactly; q = ⌊a · 10^d⌋, r/2^s the rest. A candidate c with
        // t digits dropped reads back as `a` when |c·10^t − a·10^d| < ½ ulp · 10^d, that is
        // |2·c·10^t·2^s − 2x| < 10^d (equal: a tie, which reads back to an even m).
        // (Sizes: x < 2^120, and every shift below stays under 2^125: wrapping operators,
        // without overflow checks.)
        let halfWidth = Self.pow10(d)
        let x = UInt128(m) &* halfWidth
        let q = UInt64(truncatingIfNeeded: x &>> s)
        let r = x & ((UInt128(1) &<< s) &- 1)
        let twice = x &<< 1
        /// The candidate with t digits dropped (nearest, ties to even), if it reads back as `a`.
        func candidate(_ t: Int) -> UInt64? {
            let p = power(t)
            var (c, rem) = divide(q, byPowerOfTen: t)
            let dropped = (UInt128(rem) &<< (s + 1)) &+ (r &<< 1)
            let half = UInt128(p) &<< s
            if dropped > half || (dropped == half && c & 1 == 1) { c &+= 1 }
            let value = UInt128(c &* p) &<< (s + 1)
            let gap = value > twice ? value &- twice : twice &- value
            return gap < halfWidth || (gap == halfWidth && m & 1 == 0) ? c : nil
        }
        // The interval is 10^d / 2^s wide in units of the last decimal; with t the most
        // digits that leaves whole (⌊log10(10^d / 2^s)⌋), the nearest candidate with t
        // dropped is at most half of 10^t away, so it reads back (if the estimate was one
        // too many, fewer always do: down from there). With t + 1 dropped it may by chance.
        // Any shorter decimal that reads back is within half an interval, less than half of
        // 10^(t+1): then it is the candidate with t + 1 dropped, up to trailing zeros. So
        // the longer of the two that reads back, without its trailing zeros, is the shortest.
        let most = Swift.min(d, 17)
        // ⌈s·log10 2⌉ is ⌊s·78913 / 2^18⌋ + 1 for these sizes (s·log10 2 is never whole).
        var t = Swift.max(0, Swift.min(most, d - ((s &* 78_913) &>> 18) - 1))
        var found = candidate(t)
        while found == nil && t > 0 {
            t -= 1
            found = candidate(t)
        }
        guard var c = found else { return nil }
        if t < most, let longer = candidate(t + 1) {
            c = longer
            t += 1
        }
        var decimals = d - t
        while decimals > 0 && c % 10 == 0 {
            c /= 10
            decimals -= 1
        }
        return decimals > 0 ? (c, decimals) : nil
    }

    /// The double nearest to `w / 10^n` (ties to even), for `w < 2^64` and `1 ≤ n ≤ 20`;
    /// nil when the value falls outside `1e-4 ≤ v < 2^52` (above it a double is a whole
    /// number or a half, which Clinger's path or strtod reads), or next to a power of two.
    static func double(_ w: UInt64, dividedByPowerOfTen n: Int) -> Double? {
        guard n >= 1, n <= 20, w != 0 else { return nil }
        // An estimate within a few ulps (two roundings), then corrected exactly.
        var v = Double(w) / (n <= 19 ? Double(power(n)) : Double(power(19)) * 10)  // exact powers
        guard v >= 1e-4, v < 4_503_599_627_370_496 else { return nil }
        let scaledW = UInt128(w)
        let pn = Self.pow10(n)
        for _ in 0..<4 {
            let bits = v.bitPattern
            let fraction = bits & 0x000F_FFFF_FFFF_FFFF
            guard fraction != 0 else { return nil }  // lopsided interval: the general path
            let s = 1075 - Int((bits >> 52) & 0x7FF)
            guard s > 0, s < 70 else { return nil }
            let m = UInt128(fraction | (1 << 52))
            // Compare 2·w·2^s with (2m ± 1)·10^n: the value against v's rounding interval.
            let lhs = scaledW &<< (s + 1)
            let upper = (2 &* m &+ 1) &* pn
            let lower = (2 &* m &- 1) &* pn
            if lhs > upper || (lhs == upper && m & 1 == 1) {
                v = v.nextUp
            } else if lhs < lower || (lhs == lower && m & 1 == 1) {
                v = v.nextDown
            } else {
                return v
            }
        }
        return nil
    }

    @inline(__always) static func pow10(_ n: Int) -> UInt128 {
        n <= 19 ? UInt128(power(n)) : UInt128(power(19)) * UInt128(power(n - 19))
    }
}
