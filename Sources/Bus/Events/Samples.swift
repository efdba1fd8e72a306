/// One realistic example of every event type. Used by the codec benchmark, by tests that
/// must cover the whole catalogue, and to generate the examples in docs/wire-format.md.
public enum EventSamples {
    static let t = Timestamp(seconds: 1_704_205_800) // 2024-01-02T14:30:00Z

    public static func sample(_ type: EventType) -> Payload {
        switch type {
        case .bar:
            return .bar(Bar(symbol: "AAPL", time: t, open: 187.15, high: 188.44, low: 183.89, close: 185.64, volume: 82_488_700))
        case .news:
            return .news(NewsItem(
                id: "n-20240102-1", time: t, symbols: ["AAPL", "MSFT"],
                headline: "Apple beats estimates; Microsoft guidance cut", body: nil, source: "wire", url: "https://example.com/n/1"))
        case .marketEnd:
            return .marketEnd(MarketEnd(time: t, symbols: ["AAPL"], bars: 2148))
        case .vote:
            return .vote(Vote(
                agent: "technical", symbol: "AAPL", time: t, action: .buy, score: 0.62, confidence: 0.8,
                reason: "SMA 10 crossed above SMA 20",
                components: [
                    VoteComponent(name: "ma_cross", action: .buy, score: 1, confidence: 1, reason: "SMA 10 crossed above SMA 20"),
                    VoteComponent(name: "rsi", action: .hold, score: 0.1, confidence: 0.3, reason: "RSI 48.2: neutral"),
                ]))
        case .decision:
            return .decision(Decision(
                symbol: "AAPL", time: t, action: .buy, score: 0.41, reason: "score 0.41 ≥ entry 0.30",
                votes: [
                    VoterContribution(agent: "technical", action: .buy, score: 0.62, confidence: 0.8, weight: 0.4, effectiveWeight: 0.571, contribution: 0.354, reason: "SMA 10 crossed above SMA 20", missing: false),
                    VoterContribution(agent: "sentiment", action: .hold, score: 0, confidence: 0, weight: 0.3, effectiveWeight: 0, contribution: 0, reason: "no recent news", missing: false),
                    VoterContribution(agent: "risk", action: .buy, score: 0.2, confidence: 0.5, weight: 0.3, effectiveWeight: 0.429, contribution: 0.086, reason: "calm volatility regime", missing: false),
                ],
                veto: nil, missing: [], exit: nil))
        case .orderRequest:
            return .orderRequest(order)
        case .orderApproved:
            return .orderApproved(OrderApproved(order: order, adjustments: []))
        case .orderDenied:
            return .orderDenied(OrderDenied(
                orderId: "o-17", symbol: "AAPL", time: t, by: "risk",
                reasons: [DenialReason(code: "max_position_pct", message: "position would be 14.2% of equity, limit 10%", value: 0.142, limit: 0.1)]))
        case .orderAccepted:
            return .orderAccepted(OrderAccepted(order: order, time: t))
        case .orderFilled:
            return .orderFilled(OrderFilled(
                orderId: "o-17", symbol: "AAPL", time: Timestamp(seconds: 1_704_292_200), side: .buy, intent: .entry,
                quantity: 53, price: 184.22, fee: 0, slippage: 0))
        case .orderRejected:
            return .orderRejected(OrderRejected(orderId: "o-17", symbol: "AAPL", time: t, code: "no_market_data", message: "no bar of AAPL has been seen yet: a market order needs a price"))
        case .orderCancelled:
            return .orderCancelled(OrderCancelled(orderId: "o-17", symbol: "AAPL", time: t, reason: "end of data"))
        case .executionReport:
            return .executionReport(ExecutionReport(symbol: "AAPL", time: t, filled: 1, working: 0))
        case .portfolioSnapshot:
            return .portfolioSnapshot(PortfolioSnapshot(
                time: t, cash: 90_236.34, equity: 100_061.12, peakEquity: 100_500, drawdown: 0.00437, realizedPnL: 0,
                unrealizedPnL: 61.12, fees: 0,
                positions: [PositionState(symbol: "AAPL", quantity: 53, averageCost: 184.22, lastPrice: 185.37, sector: "tech")],
                sectorExposure: ["tech": 0.0982]))
        case .tradeClosed:
            return .tradeClosed(ClosedTrade(
                tradeId: "t-4", symbol: "AAPL", side: .long, quantity: 53, entryTime: Timestamp(seconds: 1_704_292_200),
                entryPrice: 184.22, exitTime: Timestamp(seconds: 1_705_501_800), exitPrice: 191.56, pnl: 389.02, fees: 0,
                exitReason: "signal", stopPrice: 169.48))
        case .journalReport:
            return .journalReport(JournalReport(
                time: t, trades: 42, summary: "42 trades, win rate 52.4%, profit factor 1.31",
                report: .object([JSONValue.Member("win_rate", .number(0.524)), JSONValue.Member("profit_factor", .number(1.31))])))
        case .journalRequest:
            return .journalRequest(JournalRequest(time: t, requestedBy: "cli"))
        case .heartbeat:
            return .heartbeat(Heartbeat(
                node: "signals", time: t, agents: ["technical", "sentiment"], uptimeSeconds: 12.5, eventsIn: 2148,
                eventsOut: 4296, queueDepth: 0, drops: 0, gaps: 0, malformed: 0, status: "up"))
        case .halt:
            return .halt(Halt(time: t, code: "max_drawdown", reason: "drawdown 20.4% ≥ 20%", by: "risk", value: 0.204, limit: 0.2))
        case .resume:
            return .resume(Resume(time: t, reason: "drawdown 14.8% < 15%", by: "risk"))
        case .runFinished:
            return .runFinished(RunFinished(time: t, trades: 47, equity: 763_163.22, by: "portfolio"))
        }
    }

    static let order = OrderRequest(
        orderId: "o-17", symbol: "AAPL", time: t, side: .buy, type: .market, intent: .entry, quantity: 53,
        notional: nil, limitPrice: nil, stopPrice: nil, referencePrice: 185.64, reason: "decision buy, score 0.41")

    /// The agent that publishes each type in a normal run.
    public static func publisher(of type: EventType) -> String {
        switch type {
        case .bar, .news, .marketEnd: "main/market-data"
        case .vote: "main/technical"
        case .decision: "main/orchestrator"
        case .orderRequest, .portfolioSnapshot, .tradeClosed: "main/portfolio"
        case .orderApproved, .orderDenied, .halt, .resume: "main/risk"
        case .orderAccepted, .orderFilled, .orderRejected, .orderCancelled, .executionReport: "main/execution"
        case .journalReport: "main/journal"
        case .journalRequest: "cli/agora"
        case .heartbeat: "signals/node"
        case .runFinished: "main/portfolio"
        }
    }

    /// A full envelope around the sample of `type`.
    public static func envelope(_ type: EventType, seq: UInt64 = 7) -> Envelope {
        let payload = sample(type)
        let inCycle: Bool = switch type {
        case .bar, .vote, .decision, .orderRequest, .orderApproved, .orderDenied, .orderAccepted, .orderFilled,
             .orderRejected, .orderCancelled, .executionReport, .portfolioSnapshot, .tradeClosed: true
        default: false
        }
        return Envelope(
            topic: payload.defaultTopic!, source: publisher(of: type), seq: seq, time: payload.eventTime!,
            published: Timestamp(nanoseconds: 1_795_000_000_125_000_000),
            correlation: inCycle ? "AAPL@2024-01-02T14:30:00Z" : nil,
            causation: inCycle && type != .bar ? EventID(source: "main/market-data", seq: 6) : nil,
            payload: payload)
    }
}
