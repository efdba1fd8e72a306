import Testing
@testable import Agents
import Bus

/// Each behavioural rule: it fires on the synthetic journal that carries its pattern, stays
/// silent on a clean one, and flags exactly the right trades on small hand-built cases.
@Suite struct JournalPatternTests {
    static func analysis(_ trades: [JournalTrade], _ config: JournalConfig = JournalConfig()) -> JournalAnalysis {
        JournalAnalysis(trades, config: config)
    }

    static func flagged(_ a: JournalAnalysis, _ kind: PatternKind) -> [String] {
        a.finding(kind).trades.map { a.table.id($0) }
    }

    // MARK: synthetic journals

    @Test(arguments: [UInt64(1), 2, 3, 4, 5])
    func cleanJournalIsSilent(seed: UInt64) {
        let a = Self.analysis(SyntheticJournal.generate(.init(trades: 400, seed: seed)))
        for f in a.findings {
            #expect(f.status == .notDetected, "\(f.kind) on clean seed \(seed): \(f.status) \(f.trades.count) trades")
        }
    }

    @Test(arguments: PatternKind.allCases)
    func injectedPatternFiresAndNothingElse(kind: PatternKind) {
        for seed: UInt64 in [1, 2, 3] {
            let a = Self.analysis(SyntheticJournal.generate(.init(trades: 400, seed: seed, inject: [kind])))
            let f = a.finding(kind)
            #expect(f.detected, "\(kind) not detected with seed \(seed)")
            #expect(!f.trades.isEmpty)
            #expect(f.severity != nil)
            for other in a.findings where other.kind != kind {
                #expect(!other.detected, "injecting \(kind) (seed \(seed)) also fired \(other.kind)")
            }
        }
    }

    @Test func everyPatternFiresWhenAllAreInjected() {
        let a = Self.analysis(SyntheticJournal.generate(.init(trades: 2000, seed: 11, inject: Set(PatternKind.allCases))))
        #expect(a.findings.filter(\.detected).map(\.kind) == PatternKind.allCases)
    }

    @Test func generatorIsDeterministic() {
        let o = SyntheticJournal.Options(trades: 300, seed: 42, inject: [.tilt, .sizeCreep])
        #expect(SyntheticJournal.generate(o) == SyntheticJournal.generate(o))
        #expect(SyntheticJournal.generate(o) != SyntheticJournal.generate(.init(trades: 300, seed: 43, inject: [.tilt, .sizeCreep])))
        #expect(SyntheticJournal.generate(o).count == 300)
    }

    // MARK: revenge trading

    static var revengeConfig: JournalConfig {
        var c = JournalConfig()
        c.revenge.minimumTrades = 1
        return c
    }

    @Test func revengeTradingFlagsQuickOrBiggerEntriesAfterALoss() {
        let trades = [
            pnlTrade(1, pnl: -50, minute: 600, hold: 20),            // loss, exit 10:20
            pnlTrade(2, pnl: 10, minute: 625, hold: 15),             // 5 min after it: any size
            pnlTrade(3, pnl: 10, minute: 650, hold: 10, qty: 130),   // 30 min after it at 1.3×
            pnlTrade(4, pnl: -50, minute: 710, hold: 20),            // loss, exit 12:10
            pnlTrade(5, pnl: 10, minute: 741, hold: 9, qty: 129),    // 11 min, 1.29×: no
            pnlTrade(6, pnl: 10, minute: 761, hold: 5, qty: 200),    // 31 min: no
            pnlTrade(7, pnl: -50, minute: 820, hold: 20),            // loss X, exit 14:00
            pnlTrade(8, pnl: -50, minute: 830, hold: 25, qty: 200),  // loss Y, exit 14:15 (entered before X's exit)
            pnlTrade(9, pnl: 10, minute: 866, hold: 10, qty: 140),   // 11 min after Y (0.7×), 26 min after X (1.4×)
            pnlTrade(10, pnl: 10, minute: 865, hold: 10),            // exactly 10 min after Y
        ]
        let a = Self.analysis(trades, Self.revengeConfig)
        let f = a.finding(.revengeTrading)
        #expect(f.detected)
        #expect(Self.flagged(a, .revengeTrading) == ["2", "3", "10", "9"])
        #expect(f.moneyEffect == 40)
        #expect(f.fact("win_rate") == .percent(1))
        #expect(f.fact("baseline_win_rate") == .percent(2.0 / 6))
        let pairs = f.details.first { $0.key == "pairs" }!.value.arrayValue!
        #expect(pairs.map { $0["after_loss"]!.stringValue! } == ["1", "1", "8", "7"])
        #expect(pairs[3]["size_multiple"] == .number(1.4))
    }

    @Test func revengeTradingNeedsABaseline() {
        let trades = (0..<12).map { pnlTrade($0, pnl: $0 % 2 == 0 ? -10 : 10, minute: 600 + $0 * 3, hold: 1) }
        let f = Self.analysis(trades).finding(.revengeTrading)
        #expect(f.status == .insufficientData)
        #expect(f.reason == "revenge trading is compared with your baseline, which needs at least 20 trades; the journal has 12")
        #expect(f.trades.isEmpty)
    }

    @Test func sameInstantIsAfterAnotherTradesExitButNotItsOwn() {
        // Zero-hold trades (a sentence without times): trade 2 at the very moment trade 1
        // closed at a loss is revenge; trade 1 is not revenge on itself.
        let trades = [pnlTrade(1, pnl: -10, minute: 600, hold: 0), pnlTrade(2, pnl: -10, minute: 600, hold: 0)]
        #expect(Self.flagged(Self.analysis(trades, Self.revengeConfig), .revengeTrading) == ["2"])
    }

    // MARK: overtrading

    static func days(_ counts: [Int], heavyPnL: Double = -10) -> [JournalTrade] {
        var out: [JournalTrade] = []
        let heavy = counts.max()!
        for (d, n) in counts.enumerated() {
            for k in 0..<n {
                out.append(pnlTrade(out.count + 1, pnl: n == heavy && counts.filter({ $0 == heavy }).count == 1 ? heavyPnL : 5, minute: 600 + k * 20, day: d))
            }
        }
        return out
    }

    @Test func overtradingFlagsDaysAboveTwiceTheMedian() {
        let a = Self.analysis(Self.days([2, 2, 2, 2, 5]))
        let f = a.finding(.overtrading)
        #expect(f.detected)
        #expect(Self.flagged(a, .overtrading) == ["9", "10", "11", "12", "13"])
        #expect(f.fact("median_per_day") == .number(2, decimals: 1))
        #expect(f.fact("threshold") == .number(4, decimals: 0), "a whole threshold reads 4, not 4.0")
        #expect(f.fact("heavy_pnl") == .pnl(-50))
        #expect(f.fact("heavy_average_per_day") == .pnl(-50))
        #expect(f.fact("other_average_per_day") == .pnl(10))
        #expect(f.moneyEffect == -50)
    }

    @Test func overtradingNeedsMoreThanTwiceTheMedian() {
        #expect(Self.analysis(Self.days([2, 2, 2, 2, 4])).finding(.overtrading).status == .notDetected)
    }

    @Test func overtradingNeedsFiveDays() {
        let f = Self.analysis(Self.days([2, 2, 2, 9])).finding(.overtrading)
        #expect(f.status == .insufficientData)
        #expect(f.reason == "overtrading is measured against your median trades per day, which needs at least 5 trading days; the journal has 4")
    }

    // MARK: tilt

    static let tiltJournal = [
        pnlTrade(1, pnl: -10, minute: 600), pnlTrade(2, pnl: -10, minute: 620), pnlTrade(3, pnl: -10, minute: 640),
        pnlTrade(4, pnl: 25, minute: 660),                                                        // same day, after three losses
        pnlTrade(5, pnl: -10, minute: 600, day: 1), pnlTrade(6, pnl: -10, minute: 620, day: 1),
        pnlTrade(7, pnl: -10, minute: 640, day: 1),                                               // stopped: fine
        pnlTrade(8, pnl: 10, minute: 600, day: 2), pnlTrade(9, pnl: 10, minute: 620, day: 2),
    ]

    @Test func tiltFlagsTradesAfterALosingStreakTheSameDay() {
        let a = Self.analysis(Self.tiltJournal)
        let f = a.finding(.tilt)
        #expect(f.detected)
        #expect(Self.flagged(a, .tilt) == ["4"])
        #expect(f.fact("episodes") == .count(1))
        #expect(f.moneyEffect == 25)
        #expect(f.severity == .low) // it made money
        let episode = f.details.first { $0.key == "episode_list" }!.value.arrayValue![0]
        #expect(episode["losing_streak"] == .array([.string("1"), .string("2"), .string("3")]))
        #expect(episode["date"] == .string("2024-01-08"))
    }

    @Test func tiltStreakLengthIsConfigurable() {
        var c = JournalConfig()
        c.tilt.lossStreak = 4
        #expect(Self.analysis(Self.tiltJournal, c).finding(.tilt).status == .notDetected)
    }

    @Test func aBreakevenEndsTheLosingStreak() {
        var trades = Self.tiltJournal
        trades[1] = pnlTrade(2, pnl: 0, minute: 620)
        #expect(Self.analysis(trades).finding(.tilt).status == .notDetected)
    }

    // MARK: disposition effect

    static func disposition(winnerHolds: [Int], loserHolds: [Int]) -> [JournalTrade] {
        var out: [JournalTrade] = []
        for h in winnerHolds { out.append(pnlTrade(out.count + 1, pnl: 50, minute: 540 + out.count * 60, hold: h)) }
        for h in loserHolds { out.append(pnlTrade(out.count + 1, pnl: -20, minute: 540 + out.count * 60, hold: h)) }
        return out
    }

    @Test func dispositionEffectFlagsLongHeldLosersAndPrematureWinners() {
        let a = Self.analysis(Self.disposition(winnerHolds: [10, 10, 10, 10, 4], loserHolds: [30, 30, 30, 30, 30]))
        let f = a.finding(.dispositionEffect)
        #expect(f.detected)
        #expect(f.fact("ratio") == .ratio(.value(1800.0 / 528))) // 30 min against (4 × 10 + 4) / 5 min
        #expect(f.fact("premature") == .count(1))
        #expect(f.fact("held_losers") == .count(5))
        #expect(Self.flagged(a, .dispositionEffect) == ["5", "6", "7", "8", "9", "10"])
        #expect(f.details.first { $0.key == "premature_winner_ids" }?.value == .array([.string("5")]))
        #expect(f.moneyEffect == -100) // every loser was held long: their P&L
    }

    @Test func dispositionMoneyEffectComparesWithQuickerLosers() {
        // Winners 10 min; losers: two quick at −20, three held 40 min at −50.
        var trades = Self.disposition(winnerHolds: [10, 10, 10, 10, 10], loserHolds: [5, 5])
        for k in 0..<3 { trades.append(pnlTrade(8 + k, pnl: -50, minute: 1200 + k * 60, hold: 40)) }
        let f = Self.analysis(trades).finding(.dispositionEffect)
        #expect(f.detected) // (5+5+40·3)/5 = 26 min against 10
        #expect(f.fact("quick_loser_average") == .pnl(-20))
        #expect(f.moneyEffect == -90) // −150 − 3 × (−20)
    }

    @Test func dispositionBelowTheRatioIsNotDetected() {
        let f = Self.analysis(Self.disposition(winnerHolds: [10, 10, 10, 10, 10], loserHolds: [12, 12, 12, 12, 12])).finding(.dispositionEffect)
        #expect(f.status == .notDetected)
        #expect(f.fact("ratio") == .ratio(.value(1.2)))
    }

    @Test func dispositionNeedsFiveWinnersAndFiveLosers() {
        let f = Self.analysis(Self.disposition(winnerHolds: [10, 10, 10, 10], loserHolds: [30, 30, 30, 30, 30, 30])).finding(.dispositionEffect)
        #expect(f.status == .insufficientData)
        #expect(f.reason == "the disposition effect compares winners with losers and needs at least 5 winners and 5 losers; the journal has 4 and 6")
    }

    // MARK: stop discipline

    @Test func stopDisciplineFlagsLossesBeyondTheStop() {
        // Stop 1 below a 10 entry, 100 shares: risk 100.
        let trades = [pnlTrade(1, pnl: -150, minute: 600, stop: true), pnlTrade(2, pnl: -120, minute: 620, stop: true),
                      pnlTrade(3, pnl: -100, minute: 640, stop: true), pnlTrade(4, pnl: -300, minute: 660)]
        let a = Self.analysis(trades)
        let f = a.finding(.stopDiscipline)
        #expect(Self.flagged(a, .stopDiscipline) == ["1"]) // −1.2R exactly is not below −1.2R; 4 has no stop
        #expect(f.moneyEffect == -50)
        #expect(f.fact("worst_r") == .r(-1.5))
        #expect(f.fact("saving") == .money(50))
    }

    @Test func stopDisciplineNeedsStops() {
        let f = Self.analysis([pnlTrade(1, pnl: -150, minute: 600)]).finding(.stopDiscipline)
        #expect(f.status == .insufficientData)
        #expect(f.reason == "no trade has a stop price, so stop discipline cannot be checked")
    }

    // MARK: size creep

    static func sizeCreep(bigAfter wins: Int) -> [JournalTrade] {
        var out: [JournalTrade] = []
        for k in 0..<20 { out.append(pnlTrade(k + 1, pnl: k % 2 == 0 ? 10 : -10, minute: 540 + k * 20)) }
        for k in 0..<wins { out.append(pnlTrade(21 + k, pnl: 10, minute: 1000 + k * 20)) }
        out.append(pnlTrade(21 + wins, pnl: -100, minute: 1200, qty: 200))
        return out
    }

    @Test func sizeCreepFlagsABigTradeOnAWinStreak() {
        let a = Self.analysis(Self.sizeCreep(bigAfter: 4))
        let f = a.finding(.sizeCreep)
        #expect(f.detected)
        #expect(Self.flagged(a, .sizeCreep) == ["25"])
        #expect(f.fact("baseline_size") == .money(1000))
        #expect(f.fact("peak_multiple") == .number(2, decimals: 2))
        #expect(f.moneyEffect == -50) // −100 × (1 − 1000/2000)
    }

    @Test func outsideHoursWithoutTradesSaysSo() {
        var config = JournalConfig()
        config.session.enabled = true
        let f = Self.analysis([], config).finding(.outsideHours)
        #expect(f.status == .insufficientData)
    }

    /// A big position opened before the streak began and closed after it is not creep.
    @Test func sizeCreepIgnoresAPositionHeldFromBeforeTheStreak() {
        var trades: [JournalTrade] = []
        for k in 0..<20 { trades.append(pnlTrade(k + 1, pnl: k % 2 == 0 ? 10 : -10, minute: 540 + k * 20)) }
        for k in 0..<4 { trades.append(pnlTrade(21 + k, pnl: 10, minute: 1000 + k * 20)) }
        trades.append(pnlTrade(25, pnl: -100, minute: 990, hold: 300, qty: 200))
        #expect(Self.analysis(trades).finding(.sizeCreep).status == .notDetected)
    }

    @Test func sizeCreepNeedsAStreakOfFour() {
        #expect(Self.analysis(Self.sizeCreep(bigAfter: 3)).finding(.sizeCreep).status == .notDetected)
    }

    @Test func sizeCreepNeedsABaseline() {
        let f = Self.analysis(Array(Self.sizeCreep(bigAfter: 4).suffix(10))).finding(.sizeCreep)
        #expect(f.reason == "size creep is measured against your median size, which needs at least 20 trades; the journal has 10")
    }

    // MARK: outside hours

    @Test func outsidePlannedHours() {
        let trades = [
            pnlTrade(1, pnl: 10, minute: 9 * 60 + 29), pnlTrade(2, pnl: 10, minute: 9 * 60 + 30),
            pnlTrade(3, pnl: 10, minute: 15 * 60 + 59), pnlTrade(4, pnl: -10, minute: 16 * 60),
            pnlTrade(5, pnl: -30, minute: 12 * 60, day: 5), // Saturday
        ]
        let a = Self.analysis(trades)
        let f = a.finding(.outsideHours)
        #expect(Self.flagged(a, .outsideHours) == ["1", "4", "5"])
        #expect(f.fact("weekend") == .count(1))
        #expect(f.moneyEffect == -30)
        var c = JournalConfig()
        c.session.weekends = true
        c.session.start = "09:00"
        #expect(Self.flagged(Self.analysis(trades, c), .outsideHours) == ["4"])
        c.session.enabled = false
        let off = Self.analysis(trades, c).finding(.outsideHours)
        #expect(off.status == .disabled)
        #expect(off.reason == "session hours are not configured")
    }

    @Test func dateOnlyJournalsCannotBeCheckedForHours() {
        let trades = (0..<5).map { pnlTrade($0, pnl: 10, minute: 0, hold: 0, day: $0) }
        let f = Self.analysis(trades).finding(.outsideHours)
        #expect(f.status == .insufficientData)
        #expect(f.reason == "every entry time is a bare date (midnight), so session hours cannot be checked")
    }

    @Test func zeroHoldJournalsCannotBeCheckedForDisposition() {
        let trades = (0..<12).map { pnlTrade($0, pnl: $0 % 2 == 0 ? 10 : -10, minute: 600 + $0, hold: 0) }
        let f = Self.analysis(trades).finding(.dispositionEffect)
        #expect(f.status == .insufficientData)
        #expect(f.reason == "every trade was closed the moment it was opened, so holding times cannot be compared")
    }

    @Test func severityIsTheShareOfGrossLoss() {
        var m = JournalMetrics()
        m.headline.grossLoss = 1000
        let c = JournalConfig()
        #expect(PatternDetector.severity(-250, m, c) == .high)
        #expect(PatternDetector.severity(-249, m, c) == .medium)
        #expect(PatternDetector.severity(-100, m, c) == .medium)
        #expect(PatternDetector.severity(-99, m, c) == .low)
        #expect(PatternDetector.severity(500, m, c) == .low)
    }

    @Test func disabledRulesSaySo() {
        var c = JournalConfig()
        c.tilt.enabled = false
        let f = Self.analysis(Self.tiltJournal, c).finding(.tilt)
        #expect(f.status == .disabled)
        #expect(f.reason == "disabled in the configuration")
    }
}
