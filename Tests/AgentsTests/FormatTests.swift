import Testing
@testable import Agents
import Foundation

/// The number formats of reasons and reports: the allocation-free fast paths print
/// exactly what the original String-based code printed.
@Suite struct FormatTests {
    @Test(arguments: [
        (0.0, 2, "0.00"), (-0.0, 2, "0.00"), (1.005, 2, "1.00"), (-1.5, 1, "-1.5"), (-0.004, 2, "0.00"),
        (185.0, 0, "185"), (2.5, 0, "3"), (123_456.789, 3, "123456.789"), (0.1, 8, "0.10000000"),
    ])
    func fixedGoldens(_ v: Double, _ decimals: Int, _ expected: String) {
        #expect(Fmt.fixed(v, decimals) == expected)
        #expect(Fmt.fixedReference(v, decimals) == expected)
    }

    @Test(arguments: [
        (27.4, 2, "27.4"), (0.42, 2, "0.42"), (185.0, 2, "185"), (-0.001, 2, "0"), (-3.14159, 2, "-3.14"),
        (70.0, 1, "70"), (99.96, 1, "100"), (0.00005, 4, "0.0001"), (1e20, 2, "1e+20"),
    ])
    func numberGoldens(_ v: Double, _ decimals: Int, _ expected: String) {
        #expect(ReasonFormat.number(v, decimals: decimals) == expected)
    }

    /// Numbers past Int64 (a share count of a penny stock bought with 1e15, prices of 1e18)
    /// are printed, not converted (which traps).
    @Test(arguments: [1e19, -1e19, 9.3e18, -9.223372036854775808e18, 1e300])
    func numbersPastInt64ArePrinted(_ v: Double) {
        #expect(Fmt.grouped(v) == String(v))
        #expect(Sizing.format(v) == String(v))
        #expect(SentimentVoter.signed(v) == (v >= 0 ? "+" : "") + String(v))
        #expect(Fmt.grouped(1_234_567.4) == "1,234,567")
    }

    @Test func fastPathsAgreeWithTheReferenceOnRandomValues() {
        var rng = SplitMix64(seed: 42)
        var checked = 0
        for i in 0..<50_000 {
            // Magnitudes from 1e-6 to 1e16, both signs, and values on rounding edges.
            let exponent = Double(rng.next() % 23) - 6
            var v = rng.nextUnit() * pow(10, exponent)
            if i % 7 == 0 { v = (v * 100).rounded() / 100 + 0.005 }
            if rng.next() % 2 == 0 { v = -v }
            for d in 0...8 {
                #expect(Fmt.fixed(v, d) == Fmt.fixedReference(v, d), "fixed(\(v), \(d))")
            }
            for d in 0...4 {
                #expect(ReasonFormat.number(v, decimals: d) == ReasonFormat.numberReference(v, decimals: d), "number(\(v), \(d))")
            }
            checked += 1
        }
        #expect(checked == 50_000)
    }

    @Test func nonFiniteAndHugeValuesDoNotTrap() {
        #expect(Fmt.fixed(.nan, 2) == "nan")
        #expect(Fmt.fixed(-.infinity, 2) == "-inf")
        #expect(Fmt.fixed(1e300, 2) == String(1e300))
        #expect(ReasonFormat.number(.infinity) == "inf")
    }

    /// Prices in reasons (stop-loss, take-profit, the one-share note): as before from 1 up,
    /// significant digits below (a sub-cent price read "close 0 … average cost 0").
    @Test func reasonPricesBelowOneKeepTheirDigits() {
        #expect(ReasonFormat.price(381.456) == "381.46")
        #expect(ReasonFormat.price(381) == "381")
        #expect(ReasonFormat.price(0.00009148) == "0.00009148")
        #expect(ReasonFormat.price(0.5) == "0.5")
        #expect(ReasonFormat.price(0.012345) == "0.01235")
        #expect(ReasonFormat.price(0) == "0")
    }
}
