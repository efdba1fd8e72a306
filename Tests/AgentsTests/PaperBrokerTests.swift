import Testing
@testable import Agents
import Bus

func ohlc(_ o: Double, _ h: Double, _ l: Double, _ c: Double, day: Int64 = 1) -> Bar {
    Bar(symbol: "AAPL", time: Timestamp(seconds: 1_700_000_000 + day * 86_400), open: o, high: h, low: l, close: c, volume: 1000)
}

func req(_ side: Side, _ type: OrderType = .market, qty: Double? = 10, notional: Double? = nil, limit: Double? = nil, stop: Double? = nil) -> OrderRequest {
    OrderRequest(orderId: "o-1", symbol: "AAPL", time: .epoch, side: side, type: type, intent: .entry, quantity: qty, notional: notional,
                 limitPrice: limit, stopPrice: stop, referencePrice: 100, reason: "")
}

func filled(_ events: [BrokerEvent]) -> OrderFilled? {
    for e in events { if case .filled(let f) = e { return f } }
    return nil
}

@Suite struct PaperBrokerTests {
    @Test(arguments: [
        // side, type, limit, stop, bar (o, h, l, c), expected fill price (nil: no fill)
        (Side.buy, OrderType.market, nil as Double?, nil as Double?, [100.0, 105, 95, 101], 100.0 as Double?),
        (.buy, .limit, 98, nil, [100, 105, 95, 101], 98),       // reached inside the bar
        (.buy, .limit, 98, nil, [97, 105, 95, 101], 97),        // gap below the limit: the open
        (.buy, .limit, 94, nil, [100, 105, 95, 101], nil),      // never reached
        (.buy, .limit, 95, nil, [100, 105, 95, 101], 95),       // touches the low exactly
        (.sell, .limit, 103, nil, [100, 105, 95, 101], 103),
        (.sell, .limit, 103, nil, [104, 105, 95, 101], 104),    // gap above
        (.buy, .stop, nil, 103, [100, 105, 95, 101], 103),
        (.buy, .stop, nil, 103, [104, 106, 95, 101], 104),      // gap above the stop: the open
        (.buy, .stop, nil, 106, [100, 105, 95, 101], nil),
        (.sell, .stop, nil, 97, [100, 105, 95, 101], 97),
        (.sell, .stop, nil, 97, [96, 99, 94, 98], 96),          // gap below
        (.sell, .limit, 105, nil, [100, 105, 95, 101], 105),    // touches the high exactly
        (.sell, .stop, nil, 105, [100, 105, 95, 101], 100),     // already below the stop: at the open
    ])
    func fillRules(_ side: Side, _ type: OrderType, _ limit: Double?, _ stop: Double?, _ b: [Double], _ expected: Double?) {
        var broker = PaperBroker()
        let accepted = broker.submit(req(side, type, limit: limit, stop: stop), at: .epoch)
        #expect(accepted.count == 1)
        let events = broker.onBar(ohlc(b[0], b[1], b[2], b[3]))
        #expect(filled(events)?.price == expected)
        #expect(broker.working("AAPL") == (expected == nil ? 1 : 0))
    }

    @Test func slippageNeverLeavesTheBar() {
        var broker = PaperBroker(config: ExecutionConfig(costs: CostConfig(slippageBps: 100)))
        _ = broker.submit(req(.buy), at: .epoch)
        #expect(filled(broker.onBar(ohlc(100, 100.5, 95, 100)))?.price == 100.5)  // 101 capped at the high
        _ = broker.submit(req(.sell), at: .epoch)
        let f = filled(broker.onBar(ohlc(100, 105, 95, 100, day: 2)))
        #expect(f?.price == 99)
        #expect(abs((f?.slippage ?? 0) - 10) < 1e-9)
    }

    @Test(arguments: [
        (CostConfig.Commission.percent, 0.001, 0.0, 10.0, 100.0, 1.0),
        (.percent, 0.001, 5, 10, 100, 5),
        (.perShare, 0.01, 1, 10, 100, 1),
        (.perShare, 0.01, 1, 500, 100, 5),
        (.fixed, 4.95, 0, 10, 100, 4.95),
        (.none, 1, 1, 10, 100, 0),
    ])
    func commissions(_ kind: CostConfig.Commission, _ rate: Double, _ minimum: Double, _ qty: Double, _ price: Double, _ expected: Double) {
        #expect(abs(CostConfig(commission: kind, rate: rate, minimum: minimum).fee(quantity: qty, price: price) - expected) < 1e-12)
    }

    @Test func notionalBuysWholeSharesAfterFees() {
        var broker = PaperBroker(config: ExecutionConfig(costs: CostConfig(commission: .fixed, rate: 10)))
        _ = broker.submit(req(.buy, qty: nil, notional: 1000), at: .epoch)
        // 1000 buys 10 shares at 99, but 10×99 + 10 = 1000 fits exactly; at 100 → 9 shares.
        let f = filled(broker.onBar(ohlc(100, 101, 99, 100)))
        #expect(f?.quantity == 9)
        #expect(f?.fee == 10)
        _ = broker.submit(req(.buy, qty: nil, notional: 50), at: .epoch)
        let events = broker.onBar(ohlc(100, 101, 99, 100, day: 2))
        guard case .rejected(let r)? = events.first else {
            Issue.record("expected a rejection")
            return
        }
        #expect(r.code == "insufficient_notional")
    }

    /// A quantity with a cash cap (risk's `requireCash`): the quantity when it fits, fewer
    /// whole shares when the open gapped up and the fee tips it over, a rejection when not
    /// one share fits.
    @Test func aCashCapShrinksAQuantityAtTheFill() {
        var broker = PaperBroker(config: ExecutionConfig(costs: CostConfig(commission: .fixed, rate: 10)))
        _ = broker.submit(req(.buy, qty: 10, notional: 2_000), at: .epoch)
        #expect(filled(broker.onBar(ohlc(100, 101, 99, 100)))?.quantity == 10)
        // Sized at a close of 100 with 1,010 of cash; the open is 105: 9 × 105 + 10 = 955.
        _ = broker.submit(req(.buy, qty: 10, notional: 1_010), at: .epoch)
        let f = filled(broker.onBar(ohlc(105, 106, 104, 105, day: 2)))
        #expect(f?.quantity == 9 && f?.price == 105 && f?.fee == 10)
        _ = broker.submit(req(.buy, qty: 10, notional: 100), at: .epoch)
        guard case .rejected(let r)? = broker.onBar(ohlc(105, 106, 104, 105, day: 3)).first else {
            Issue.record("expected a rejection")
            return
        }
        #expect(r.code == "insufficient_cash")
        #expect(r.message == "100 of cash does not buy one share at 105 with its fee")
    }

    @Test func closeFillsAtOnceAndEndOfDataCancelsThenFillsAtTheLastBar() {
        var close = PaperBroker(config: ExecutionConfig(marketFill: .close))
        _ = close.onBar(ohlc(100, 105, 95, 101))
        #expect(filled(close.submit(req(.buy), at: .epoch))?.price == 101)

        var broker = PaperBroker()
        _ = broker.onBar(ohlc(100, 105, 95, 101))
        _ = broker.submit(req(.buy, .limit, limit: 50), at: .epoch)
        let ended = broker.endOfData(at: .epoch)
        guard case .cancelled(let c)? = ended.first else {
            Issue.record("expected a cancellation")
            return
        }
        #expect(c.reason == "end of data")
        #expect(filled(broker.submit(req(.sell), at: .epoch))?.price == 100)   // last bar's open
        var lastClose = PaperBroker(config: ExecutionConfig(endOfDataFill: .lastClose))
        _ = lastClose.onBar(ohlc(100, 105, 95, 101))
        _ = lastClose.endOfData(at: .epoch)
        #expect(filled(lastClose.submit(req(.sell), at: .epoch))?.price == 101)
    }

    @Test func invalidOrdersAreRejectedWithReasons() {
        var broker = PaperBroker()
        let events = broker.submit(req(.buy, .limit, limit: nil), at: .epoch)
        guard case .rejected(let r)? = events.first else {
            Issue.record("expected a rejection")
            return
        }
        #expect(r.code == "invalid_order")
        #expect(r.message == "a limit order needs a positive limit price")
    }
}
