import Foundation
import Testing
import TestSupport
@testable import Bus

/// The codec's exact decimal conversions against Swift's own (shortest `description`, and
/// the correctly rounded `Double(String)`), on the numbers a run computes: 16–17 digits.
@Suite struct ExactDecimalTests {
    /// `digits / 10^decimals` as text.
    static func text(_ r: (digits: UInt64, decimals: Int)) -> String {
        var s = String(r.digits)
        if s.count <= r.decimals { s = String(repeating: "0", count: r.decimals - s.count + 1) + s }
        s.insert(".", at: s.index(s.endIndex, offsetBy: -r.decimals))
        return s
    }

    /// Doubles of the range from every part of it: uniform in log scale, random bits of
    /// each exponent, neighbours of short decimals and of powers of ten.
    static func samples(_ n: Int, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)
        var out: [Double] = []
        for i in 0..<n {
            let u = Double(rng.next() >> 11) / Double(1 << 53)
            switch i % 5 {
            case 0:
                out.append(pow(10, u * 19.5 - 4))  // 1e-4 … 10^15.5
            case 1:
                let exponent = UInt64(1023 - 14) + rng.next() % 67  // 2^-14 … 2^52
                out.append(Double(bitPattern: exponent << 52 | rng.next() & 0x000F_FFFF_FFFF_FFFF))
            case 2:
                let short = Double(rng.next() % 1_000_000) / pow(10, Double(rng.next() % 9))
                out.append(rng.next() % 2 == 0 ? short.nextUp : short.nextDown)
            case 3:
                // Short decimals with 10 to 15 decimals (past the writer's fixed-point path):
                // the shortest text is the decimal itself, far from the last digits.
                let decimals = 10 + Int(rng.next() % 6)
                let digits = Double(rng.next() % ExactDecimal.power(Int(rng.next() % 6) + 10) + 1)
                out.append(digits / pow(10, Double(decimals)))
            default:
                let p = pow(10, Double(Int(rng.next() % 20) - 4))
                let steps = Int(rng.next() % 3) + 1
                var v = p
                for _ in 0..<steps { v = rng.next() % 2 == 0 ? v.nextUp : v.nextDown }
                out.append(v)
            }
        }
        return out.filter { $0 >= 1e-4 && $0 < 9_007_199_254_740_992 }
    }

    @Test func shortestIsSwiftsDescription() {
        var handled = 0
        let values = Self.samples(200_000, seed: 0xD7A) + [0.1 + 0.2, 1e15 + 0.25, 0.0001 + 1e-19, 1.0000000001, 2.0 / 3, 1e-4.nextUp]
        for v in values {
            guard let r = ExactDecimal.shortest(v) else {
                // Only what it declines: integers and powers of two.
                let declined = v == v.rounded() || v.significandBitPattern == 0
                #expect(declined, "\(v) not handled")
                continue
            }
            handled += 1
            if Self.text(r) != v.description {
                Issue.record("\(v.description) written as \(Self.text(r))")
                return
            }
        }
        #expect(handled > values.count * 9 / 10)
    }

    @Test func aTieBetweenTwoShortestGoesToTheEvenDigit() throws {
        // 1e15 + 0.25 is exact: .2 and .3 are as near, and both read back.
        #expect(try Self.text(#require(ExactDecimal.shortest(1e15 + 0.25))) == "1000000000000000.2")
        #expect(ExactDecimal.shortest(0.5) == nil, "a power of two")
        #expect(ExactDecimal.shortest(3) == nil, "an integer")
        #expect(ExactDecimal.shortest(9.99e-5) == nil, "below the range")
    }

    /// Reading: the nearest double, as Swift's correctly rounded parser finds it, for up to
    /// 19 digits and up to 20 decimals.
    @Test func decimalsReadAsTheNearestDouble() {
        var rng = SplitMix64(seed: 0xBEAD)
        var handled = 0
        let n = 200_000
        for i in 0..<n {
            let digits = i % 3 == 0 ? 17 : Int(rng.next() % 19) + 1
            var w = rng.next() % ExactDecimal.power(digits)
            if w == 0 { w = 1 }
            let decimals = Int(rng.next() % 20) + 1
            guard let v = ExactDecimal.double(w, dividedByPowerOfTen: decimals) else { continue }
            handled += 1
            var text = String(w)
            if text.count <= decimals { text = String(repeating: "0", count: decimals - text.count + 1) + text }
            text.insert(".", at: text.index(text.endIndex, offsetBy: -decimals))
            let reference = Double(text)!
            if v.bitPattern != reference.bitPattern {
                Issue.record("\(text) read as \(v), not \(reference)")
                return
            }
        }
        #expect(handled > n / 3)
    }

    /// Either side of the midpoint between two doubles, by one unit of the 19th digit; and
    /// exact midpoints (short enough to write below 2^52), which go to the even neighbour.
    @Test(arguments: [
        ("0.7500000000000000555", 0.75), ("0.7500000000000000556", 0.75.nextUp),  // 0.75 + 2^-54
        ("0.3000000000000000166", 0.3), ("0.3000000000000000167", 0.3.nextUp),
        ("2251799813685249.25", 2251799813685249.0), ("2251799813685249.75", 2251799813685250.0),
        ("1125899906842625.125", 1125899906842625.0), ("1125899906842625.375", 1125899906842625.5),
    ])
    func nearTiesReadToTheNearerDouble(text: String, expected: Double) throws {
        let parts = text.split(separator: ".")
        let w = try #require(UInt64(parts[0] + parts[1]))
        let v = try #require(ExactDecimal.double(w, dividedByPowerOfTen: parts[1].count))
        #expect(v.bitPattern == expected.bitPattern)
        #expect(Double(text)!.bitPattern == expected.bitPattern, "the reference agrees")
    }

    /// Through the codec: computed numbers are written as Swift writes them, and read back
    /// to the same bits.
    @Test func computedNumbersRoundTripThroughTheCodec() throws {
        var w = JSONWriter()
        for (i, v) in Self.samples(50_000, seed: 0xC0DE).enumerated() {
            let signed = i % 2 == 0 ? v : -v
            w.reset()
            w.appendDouble(signed)
            let expected = signed == signed.rounded() ? String(Int64(signed)) : signed.description
            if w.string != expected {
                Issue.record("\(signed.description) written as \(w.string)")
                return
            }
            let back = try JSONReader.withReader(w.bytes) { (r: inout JSONReader) throws(WireError) in try r.readDouble() }
            if back.bitPattern != signed.bitPattern {
                Issue.record("\(w.string) read back as \(back)")
                return
            }
        }
    }
}
