import Testing
@testable import Agents
import Bus

func fill(_ side: Side, _ qty: Double, _ price: Double, fee: Double = 0, day: Int64 = 0, symbol: String = "AAPL", intent: OrderIntent = .entry) -> OrderFilled {
    OrderFilled(orderId: "o", symbol: symbol, time: Timestamp(seconds: 1_700_000_000 + day * 86_400), side: side, intent: intent,
                quantity: qty, price: price, fee: fee, slippage: 0)
}

@Suite struct LedgerTests {
    /// Sums over positions run in symbol order, whatever the dictionary's order: built with
    /// different histories (other symbols opened and closed first, so the table has other
    /// sizes), every ledger gives the same bits. In dictionary order the equity of one
    /// backtest differed between processes (values here make the order matter: 1e16 + 1 + 1 + 1
    /// is not 1 + 1 + 1 + 1e16).
    @Test func sumsOverPositionsDoNotDependOnTheDictionaryOrder() {
        var equities: Set<UInt64> = [], exposures: Set<UInt64> = [], unrealized: Set<UInt64> = []
        for history in 0..<24 {
            var l = Ledger(cash: 0)
            for k in 0..<history { _ = l.apply(fill(.buy, 1, 1, symbol: "H\(k)")) }
            for k in 0..<history { _ = l.apply(fill(.sell, 1, 1, symbol: "H\(k)")) }
            let book: [(String, Side, Double)] = [("ZZ", .sell, 1e16), ("MM", .buy, 1), ("AA", .buy, 1e16), ("NN", .buy, 1), ("QQ", .buy, 1)]
            for (sym, side, price) in book { _ = l.apply(fill(side, 1, price, symbol: sym)) }
            for (sym, price) in [("AA", 2e16), ("MM", 2), ("NN", 2), ("QQ", 2)] { l.mark(sym, price: price) }
            #expect(l.symbols == ["AA", "MM", "NN", "QQ", "ZZ"])
            equities.insert(l.equity.bitPattern)
            exposures.insert(l.grossExposure.bitPattern)
            unrealized.insert(l.unrealizedPnL.bitPattern)
            #expect(l.snapshot(time: .epoch).positions.map(\.symbol) == ["AA", "MM", "NN", "QQ", "ZZ"])
        }
        #expect(equities.count == 1 && exposures.count == 1 && unrealized.count == 1)
    }

    @Test func longRoundTripWithFees() throws {
        var l = Ledger(cash: 10_000)
        #expect(l.apply(fill(.buy, 10, 100, fee: 1)) == nil)
        #expect(l.cash == 10_000 - 1000 - 1)
        l.mark("AAPL", price: 110)
        #expect(l.equity == 8999 + 1100)
        #expect(l.unrealizedPnL == 100)
        let closed = l.apply(fill(.sell, 10, 120, fee: 2, day: 3, intent: .exit))
        let t = try #require(closed)
        #expect(t.pnl == 10 * 20 - 3)
        #expect(t.fees == 3)
        #expect(t.entryPrice == 100 && t.exitPrice == 120 && t.quantity == 10)
        #expect(t.holdingSeconds == 3 * 86_400)
        #expect(t.side == .long)
        #expect(l.cash == 10_000 + 200 - 3)
        #expect(l.positions.isEmpty)
        #expect(l.realizedPnL == 200)
        #expect(l.feesPaid == 3)
    }

    @Test func scalingInAveragesCostAndScalingOutRealisesPartially() throws {
        var l = Ledger(cash: 100_000)
        _ = l.apply(fill(.buy, 10, 100))
        _ = l.apply(fill(.buy, 30, 120))
        #expect(l.positions["AAPL"]?.averageCost == 115)
        #expect(l.apply(fill(.sell, 20, 130)) == nil)
        #expect(l.realizedPnL == 20 * 15)
        let closed = l.apply(fill(.sell, 20, 110))
        let t = try #require(closed)
        #expect(t.quantity == 40)
        #expect(t.exitPrice == 120)
        #expect(t.pnl == 20 * 15 - 20 * 5)
    }

    @Test func shortTradeAndFlip() throws {
        var l = Ledger(cash: 10_000)
        _ = l.apply(fill(.sell, 10, 50))
        #expect(l.position("AAPL") == -10)
        #expect(l.cash == 10_500)
        l.mark("AAPL", price: 40)
        #expect(l.equity == 10_500 - 400)
        // Buying 15 closes the short at 40 (+100) and opens a 5-share long.
        let closed = l.apply(fill(.buy, 15, 40))
        let t = try #require(closed)
        #expect(t.side == .short && t.pnl == 100 && t.quantity == 10)
        #expect(l.position("AAPL") == 5)
        #expect(l.positions["AAPL"]?.averageCost == 40)
        #expect(l.positions["AAPL"]?.tradeID == "t-2")
    }

    @Test func drawdownFollowsThePeak() {
        var l = Ledger(cash: 1000)
        _ = l.apply(fill(.buy, 10, 100))
        l.mark("AAPL", price: 120)
        #expect(l.peakEquity == 1200)
        l.mark("AAPL", price: 90)
        #expect(abs(l.drawdown - 0.25) < 1e-12)
    }

    @Test func snapshotReportsSectorExposure() {
        var l = Ledger(cash: 10_000)
        _ = l.apply(fill(.buy, 10, 100, symbol: "AAPL"))
        _ = l.apply(fill(.buy, 20, 50, symbol: "XOM"))
        let s = l.snapshot(time: .epoch, sectors: ["AAPL": "tech", "XOM": "energy"])
        #expect(s.equity == 10_000)
        #expect(s.sectorExposure == ["tech": 0.1, "energy": 0.1])
        #expect(s.positions.map(\.symbol) == ["AAPL", "XOM"])
    }
}

@Suite struct SizingTests {
    @Test func allInSpendsTheCashAtTheFill() {
        let (size, _) = Sizing.entrySize(config: SizingConfig(mode: .allIn), equity: 100_000, cash: 80_000, price: 33, atr: nil, closedPnLs: [])
        #expect(size == .notional(80_000))
    }

    @Test func fixedFractionRoundsDownToWholeShares() {
        let (size, note) = Sizing.entrySize(config: SizingConfig(mode: .fixedFraction, fraction: 0.1), equity: 100_000, cash: 100_000, price: 33, atr: nil, closedPnLs: [])
        #expect(size == .shares(303))
        #expect(note == "10% of equity 100000 at 33")
    }

    @Test func volatilitySizingUsesATR() {
        let c = SizingConfig(mode: .volatility, riskPerTrade: 0.01, atrMultiple: 2)
        #expect(Sizing.entrySize(config: c, equity: 100_000, cash: 100_000, price: 50, atr: 2.5, closedPnLs: []).size == .shares(200))
        #expect(Sizing.entrySize(config: c, equity: 100_000, cash: 100_000, price: 50, atr: nil, closedPnLs: []).size == .shares(0))
    }

    @Test func kellyUsesHistoryCappedAndFallsBackWhenShort() {
        // W = 0.6, R = 2/1 → f* = 0.6 − 0.4/2 = 0.4; half Kelly 0.2; cap 0.25.
        let pnls = Array(repeating: 200.0, count: 12) + Array(repeating: -100.0, count: 8)
        #expect(abs(Sizing.kellyFraction(pnls: pnls)! - 0.4) < 1e-12)
        let c = SizingConfig(mode: .kelly, fraction: 0.05, kellyFraction: 0.5, kellyCap: 0.25, kellyMinTrades: 20)
        #expect(Sizing.entrySize(config: c, equity: 100_000, cash: 100_000, price: 100, atr: nil, closedPnLs: pnls).size == .shares(200))
        #expect(Sizing.entrySize(config: c, equity: 100_000, cash: 100_000, price: 100, atr: nil, closedPnLs: Array(pnls.prefix(5))).size == .shares(50))
        let capped = SizingConfig(mode: .kelly, kellyFraction: 1, kellyCap: 0.25, kellyMinTrades: 1)
        #expect(Sizing.entrySize(config: capped, equity: 100_000, cash: 100_000, price: 100, atr: nil, closedPnLs: pnls).size == .shares(250))
        #expect(Sizing.kellyFraction(pnls: [1, 2, 3]) == nil)
    }
}
