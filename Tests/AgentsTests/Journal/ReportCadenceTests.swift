import Testing
@testable import Agents

/// The journal's periodic report cadence: every N trades while small, then by growth.
@Suite struct ReportCadenceTests {
    /// The trade counts at which periodic reports fall, up to `n` trades.
    static func reports(_ c: ReportCadence, upTo n: Int) -> [Int] {
        var out: [Int] = []
        var last = 0
        for trades in 1...n where c.isDue(trades: trades, last: last) {
            out.append(trades)
            last = trades
        }
        return out
    }

    @Test func everyFiftyUpToFiveHundredThenEveryTenthMore() {
        let got = Self.reports(ReportCadence(every: 50, growth: 0.1), upTo: 1_000)
        #expect(got == [50, 100, 150, 200, 250, 300, 350, 400, 450, 500, 550, 605, 666, 733, 807, 888, 977])
    }

    @Test(arguments: [1, 2, 7, 50])
    func withoutGrowthEveryNthTrade(every: Int) {
        let got = Self.reports(ReportCadence(every: every, growth: 0), upTo: 2_000)
        #expect(got == Array(stride(from: every, through: 2_000, by: every)))
    }

    @Test func zeroTurnsPeriodicReportsOff() {
        #expect(Self.reports(ReportCadence(every: 0, growth: 0.1), upTo: 500).isEmpty)
        #expect(Self.reports(ReportCadence(every: 0, growth: 0), upTo: 500).isEmpty)
    }

    /// The point of growth: the trades analysed by all reports together grow linearly with
    /// the journal (a fixed cadence analyses about n²/(2·every)).
    @Test(arguments: [0.05, 0.1, 0.5])
    func reportsAnalyseALinearTotal(growth: Double) {
        let c = ReportCadence(every: 50, growth: growth)
        for n in [1_000, 10_000, 100_000] {
            let analysed = Self.reports(c, upTo: n).reduce(0, +)
            // The fixed part (up to every/growth trades) plus a geometric series ≤ n(1 + 1/growth).
            let fixedPart = Int((50 / growth).rounded(.up))
            let bound = fixedPart * fixedPart / 50 + Int(Double(n) * (1 + 1 / growth))
            #expect(analysed <= bound, "n \(n): \(analysed) trades analysed, bound \(bound)")
        }
        let fixed = Self.reports(ReportCadence(every: 50, growth: 0), upTo: 100_000).reduce(0, +)
        let grown = Self.reports(c, upTo: 100_000).reduce(0, +)
        #expect(fixed > 4 * grown, "the fixed cadence is quadratic: \(fixed) vs \(grown)")
    }

    @Test func aHugeJournalDoesNotOverflowTheStep() {
        let c = ReportCadence(every: 50, growth: 1e300)
        #expect(c.step(after: Int.max / 4) == Int.max / 2)
        #expect(!c.isDue(trades: Int.max / 4 + 1, last: Int.max / 4))
    }
}
