import Testing
@testable import Agents
import Bus

/// Every metric against values computed by hand from a small journal.
@Suite struct JournalMetricsTests {
    /// Exit order: A win, B loss, C breakeven, D loss, E win, F win, G win, H loss.
    static let journal: [JournalTrade] = [
        journalTrade("A", "AAPL", .long, qty: 100, "2024-01-08T10:00", 10, "2024-01-08T10:30", 11, fees: 1, stop: 9.5, tags: ["breakout"]), // +99, R 1.98
        journalTrade("B", "MSFT", .short, qty: 50, "2024-01-08T11:00", 20, "2024-01-08T12:00", 21, stop: 21),                              // −50, R −1
        journalTrade("C", "AAPL", .long, qty: 10, "2024-01-09T10:00", 10, "2024-01-09T10:10", 10),                                          // 0
        journalTrade("D", "AAPL", .long, qty: 100, "2024-01-09T14:00", 10, "2024-01-09T16:00", 9, stop: 9.8, tags: ["breakout", "fomo"]),   // −100, R −5
        journalTrade("E", "MSFT", .long, qty: 20, "2024-01-10T09:30", 50, "2024-01-10T10:00", 55, fees: 2),                                 // +98
        journalTrade("F", "MSFT", .short, qty: 10, "2024-01-10T15:00", 50, "2024-01-10T15:20", 48, stop: 51),                               // +20, R 2
        journalTrade("G", "AAPL", .long, qty: 10, "2024-01-11T10:00", 10, "2024-01-11T11:00", 13),                                          // +30
        journalTrade("H", "AAPL", .short, qty: 100, "2024-01-12T10:00", 10, "2024-01-12T10:15", 10.5, tags: ["fomo"]),                      // −50
    ]

    static func metrics(_ trades: [JournalTrade] = journal, _ config: JournalConfig = JournalConfig()) -> JournalMetrics {
        JournalMetrics(TradeTable(trades, config: config))
    }

    @Test func tradePnLIsNetOfFeesAndSigned() {
        #expect(Self.journal.map(\.pnl) == [99, -50, 0, -100, 98, 20, 30, -50])
        #expect(Self.journal[0].rMultiple == 1.98)
        #expect(Self.journal[1].rMultiple == -1)
        #expect(abs(Self.journal[3].rMultiple! - (-5)) < 1e-12) // risk (10 − 9.8) × 100 is 19.99999…
        #expect(Self.journal[2].rMultiple == nil)
    }

    @Test func headlineFigures() {
        let h = Self.metrics().headline
        #expect(h.trades == 8)
        #expect(h.wins == 4)
        #expect(h.losses == 3)
        #expect(h.breakeven == 1)
        #expect(h.netPnL == 47)
        #expect(h.grossProfit == 247)
        #expect(h.grossLoss == 200)
        #expect(h.fees == 3)
        #expect(h.winRate == 0.5)
        #expect(h.profitFactor == .value(1.235))
        #expect(h.expectancy == 5.875)
        #expect(h.averageWin == 61.75)
        #expect(abs(h.averageLoss! - (-200.0 / 3)) < 1e-12)
        #expect(abs(h.payoffRatio! - 0.92625) < 1e-12)
        #expect(h.largestWin == JournalMetrics.Extreme(value: 99, trade: 0))
        #expect(h.largestLoss == JournalMetrics.Extreme(value: -100, trade: 3))
        #expect(h.firstEntry == (try! ISO8601.parse("2024-01-08T10:00")))
        #expect(h.lastExit == (try! ISO8601.parse("2024-01-12T10:15")))
    }

    @Test func breakevenBreaksStreaks() {
        let h = Self.metrics().headline
        #expect(h.maxConsecutiveWins == 3) // E F G
        #expect(h.maxConsecutiveLosses == 1) // B, (C breakeven), D: not two in a row
        // Without the breakeven trade, B and D are two losses in a row.
        let h2 = Self.metrics(Self.journal.filter { $0.id != "C" }).headline
        #expect(h2.maxConsecutiveLosses == 2)
    }

    @Test func breakevenToleranceIsConfigurable() {
        var c = JournalConfig()
        c.breakevenTolerance = 20 // F (+20) becomes breakeven: E, then F breaks the streak
        let h = Self.metrics(Self.journal, c).headline
        #expect(h.breakeven == 2)
        #expect(h.wins == 3)
        #expect(h.maxConsecutiveWins == 1)
    }

    @Test func holdingTimes() {
        let m = Self.metrics()
        #expect(m.holding.averageWinnerSeconds == 2100) // 1800, 1800, 1200, 3600
        #expect(m.holding.averageLoserSeconds == 3900)  // 3600, 7200, 900
        #expect(m.holding.averageSeconds == 2587.5)
    }

    @Test func rMultiplesWhenStopsAreGiven() {
        let r = Self.metrics().risk
        #expect(r.tradesWithStop == 4)
        #expect(abs(r.averageR! - (-0.505)) < 1e-12)
        #expect(abs(r.totalR - (-2.02)) < 1e-12)
        #expect(r.bestR == JournalMetrics.Extreme(value: 2, trade: 5)) // F: +20 on a risk of 10
        #expect(r.worstR?.trade == 3)
        #expect(abs(r.worstR!.value - (-5)) < 1e-12)
    }

    @Test func sqnNeedsThirtyTradesAndSaysSo() {
        let s = Self.metrics().risk.sqn
        #expect(s.value == nil)
        #expect(s.reason == "SQN needs at least 30 trades; the journal has 8")
    }

    @Test func sqnFromPnLWithoutEnoughStops() {
        // +10, −5 alternating, 30 trades: √30 × 2.5 ÷ stdev (computed with Python's statistics).
        let trades = (0..<30).map { pnlTrade($0, pnl: $0 % 2 == 0 ? 10 : -5, minute: 600 + $0 * 20) }
        let s = Self.metrics(trades).risk.sqn
        #expect(s.basis == .pnl)
        #expect(s.trades == 30)
        #expect(abs(s.value! - 1.7950549357115013) < 1e-12)
        // 29 trades: not computed.
        #expect(Self.metrics(Array(trades.prefix(29))).risk.sqn.reason == "SQN needs at least 30 trades; the journal has 29")
    }

    @Test func sqnFromRMultiplesWithThirtyStops() {
        // R = 2, −1, −1, 2, … (31 trades, stop 1 below a 10 entry, 100 shares: risk 100).
        let trades = (0..<31).map { pnlTrade($0, pnl: $0 % 3 == 0 ? 200 : -100, minute: 600 + $0 * 20, stop: true) }
        let s = Self.metrics(trades).risk.sqn
        #expect(s.basis == .rMultiple)
        #expect(s.trades == 31)
        #expect(abs(s.value! - 0.24618298195866545) < 1e-12)
    }

    @Test func sqnIsUndefinedWithoutSpread() {
        let trades = (0..<30).map { pnlTrade($0, pnl: 10, minute: 600 + $0 * 20) }
        #expect(Self.metrics(trades).risk.sqn.reason == "all 30 trades have the same result, so SQN is undefined")
    }

    @Test func maxDrawdownOfTheTradeEquityCurve() {
        // Equity: 99, 49, 49, −51, 47, 67, 97, 47: peak 99 after A, trough −51 after D.
        let d = Self.metrics().drawdown
        #expect(d.amount == 150)
        #expect(d.peakEquity == 99)
        #expect(d.troughEquity == -51)
        #expect(d.peakTrade == 0)
        #expect(d.troughTrade == 3)
        #expect(d.finalEquity == 47)
    }

    @Test func drawdownCountsFromZeroWhenTheFirstTradeLoses() {
        let trades = [pnlTrade(1, pnl: -30, minute: 600), pnlTrade(2, pnl: 10, minute: 620), pnlTrade(3, pnl: -5, minute: 640)]
        let d = Self.metrics(trades).drawdown
        #expect(d.amount == 30)
        #expect(d.peakTrade == nil)
        #expect(d.troughTrade == 0)
    }

    @Test func profitFactorIsInfiniteWithoutLosses() {
        let trades = [pnlTrade(1, pnl: 30, minute: 600), pnlTrade(2, pnl: 0, minute: 620), pnlTrade(3, pnl: 5, minute: 640)]
        let m = Self.metrics(trades)
        #expect(m.headline.profitFactor == .infinite)
        #expect(m.headline.payoffRatio == nil)
        #expect(ReportFactValue.ratio(m.headline.profitFactor).display == "∞")
        #expect(JournalJSON.ratio(m.headline.profitFactor) == .string("infinity"))
        // Only breakeven trades: undefined.
        #expect(Self.metrics([pnlTrade(1, pnl: 0, minute: 600)]).headline.profitFactor == .undefined)
    }

    @Test func emptyJournal() {
        let m = Self.metrics([])
        #expect(m.headline.trades == 0)
        #expect(m.headline.winRate == nil)
        #expect(m.headline.expectancy == nil)
        #expect(m.drawdown.amount == 0)
        #expect(m.risk.sqn.reason == "SQN needs at least 30 trades; the journal has 0")
    }

    struct Row: Equatable, CustomStringConvertible {
        var key: String, trades: Int, wins: Int, losses: Int, net: Double
        var description: String { "\(key):\(trades)/\(wins)/\(losses)/\(net)" }
    }

    static func rows(_ m: JournalMetrics, _ d: JournalMetrics.Dimension) -> [Row] {
        m.breakdown(d)!.buckets.map { Row(key: $0.key, trades: $0.trades, wins: $0.wins, losses: $0.losses, net: $0.netPnL) }
    }

    @Test func breakdowns() {
        let m = Self.metrics()
        #expect(Self.rows(m, .symbol) == [Row(key: "AAPL", trades: 5, wins: 2, losses: 2, net: -21), Row(key: "MSFT", trades: 3, wins: 2, losses: 1, net: 68)])
        #expect(Self.rows(m, .side) == [Row(key: "long", trades: 5, wins: 3, losses: 1, net: 127), Row(key: "short", trades: 3, wins: 1, losses: 2, net: -80)])
        #expect(Self.rows(m, .weekday) == [
            Row(key: "monday", trades: 2, wins: 1, losses: 1, net: 49), Row(key: "tuesday", trades: 2, wins: 0, losses: 1, net: -100),
            Row(key: "wednesday", trades: 2, wins: 2, losses: 0, net: 118), Row(key: "thursday", trades: 1, wins: 1, losses: 0, net: 30),
            Row(key: "friday", trades: 1, wins: 0, losses: 1, net: -50),
        ])
        #expect(Self.rows(m, .hour) == [
            Row(key: "09:00", trades: 1, wins: 1, losses: 0, net: 98), Row(key: "10:00", trades: 4, wins: 2, losses: 1, net: 79),
            Row(key: "11:00", trades: 1, wins: 0, losses: 1, net: -50), Row(key: "14:00", trades: 1, wins: 0, losses: 1, net: -100),
            Row(key: "15:00", trades: 1, wins: 1, losses: 0, net: 20),
        ])
        #expect(Self.rows(m, .tag) == [Row(key: "breakout", trades: 2, wins: 1, losses: 1, net: -1), Row(key: "fomo", trades: 2, wins: 0, losses: 2, net: -150)])
        let aapl = m.breakdown(.symbol)!.buckets[0]
        #expect(aapl.winRate == 0.4)
        #expect(aapl.expectancy == -4.2)
        #expect(aapl.profitFactor == .value(129.0 / 150))
    }

    @Test func utcOffsetMovesHoursAndDays() {
        var c = JournalConfig()
        c.utcOffsetMinutes = -600 // ten hours behind UTC: A's 10:00 entry is 00:00 the same Monday
        let m = Self.metrics(Self.journal, c)
        #expect(m.breakdown(.hour)!.buckets.first?.key == "00:00")
        // E enters 09:30 UTC Wednesday = 23:30 Tuesday on that clock.
        #expect(Self.rows(m, .weekday).first { $0.key == "tuesday" }?.trades == 3)
    }

    @Test func unsortedInputGivesTheSameMetrics() {
        var rng = SplitMix64(seed: 3)
        let shuffled = Self.journal.shuffled(using: &rng)
        let a = Self.metrics(), b = Self.metrics(shuffled)
        #expect(a.headline.maxConsecutiveWins == b.headline.maxConsecutiveWins)
        #expect(a.headline.netPnL == b.headline.netPnL)
        #expect(a.drawdown.amount == b.drawdown.amount)
        #expect(b.drawdown.troughTrade.map { shuffled[$0].id } == "D")
    }

    @Test func closedTradeEventsBecomeJournalTrades() {
        let e = ClosedTrade(tradeId: "t-4", symbol: "AAPL", side: .long, quantity: 53, entryTime: Timestamp(seconds: 1_704_292_200),
                            entryPrice: 184.22, exitTime: Timestamp(seconds: 1_705_501_800), exitPrice: 191.56, pnl: 389.02, fees: 0, exitReason: "signal")
        let t = JournalTrade(closed: e)
        #expect(t.pnl == 389.02)
        #expect(t.tags == ["exit:signal"])
        #expect(t.holdingSeconds == 1_209_600)
        #expect(t.rMultiple == nil)
    }

    @Test func medianBySelection() {
        #expect(journalMedian([]) == nil)
        #expect(journalMedian([5]) == 5)
        #expect(journalMedian([3, 1, 2]) == 2)
        #expect(journalMedian([4, 1, 3, 2]) == 2.5)
        #expect(journalMedian([7, 7, 7, 1]) == 7)
        var rng = SplitMix64(seed: 9)
        for n in 1...60 {
            let v = (0..<n).map { _ in Double(rng.next() % 20) }
            let s = v.sorted()
            let expected = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
            #expect(journalMedian(v) == expected)
        }
    }
}
