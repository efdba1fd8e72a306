import Bus

/// Builds what the reports need from the events of a run: the equity curve (one point per
/// bar time, the last portfolio snapshot at or before it), the closes of each symbol, the
/// closed trades, and how much each voter weighed in the decisions.
///
/// It only reads events, and depends only on the order of each publisher's own events, never
/// on how two publishers' events interleave: bars (from the market data) and snapshots (from
/// the portfolio) are kept apart and joined by event time. So a single-process run and a
/// distributed run, where a fill's snapshot may overtake the next bar, give the same reports.
public struct RunRecorder: Sendable {
    public private(set) var times: [Timestamp] = []
    /// Portfolio snapshots, (event time, equity), in the portfolio's publishing order.
    private var snapshots: [(time: Timestamp, equity: Double)] = []
    private let initialCash: Double
    public private(set) var closes: [String: [Double]] = [:]
    public private(set) var trades: [ClosedTrade] = []
    public private(set) var decisions: [String: Int] = ["buy": 0, "sell": 0, "hold": 0]
    /// Σ |contribution| per voter over buy and sell decisions.
    public private(set) var influence: [String: Double] = [:]
    public private(set) var denials: [String: Int] = [:]
    public private(set) var fills = 0
    /// The positions of the last portfolio snapshot: those still open at the end of a run
    /// (with `closeAtEnd` off), which no closed trade shows.
    public private(set) var openPositions: [PositionState] = []
    public private(set) var halts: [Halt] = []
    private var lastClose: [String: Double] = [:]
    private var symbolsOrder: [String] = []

    public init(initialCash: Double) { self.initialCash = initialCash }

    /// Equity at each of `times`: the last snapshot (in publishing order) whose event time is
    /// at or before it; the initial cash before the first one.
    public var equity: [Double] {
        var out: [Double] = []
        out.reserveCapacity(times.count)
        var value = initialCash
        var i = 0
        for t in times {
            while i < snapshots.count && snapshots[i].time <= t {
                value = snapshots[i].equity
                i += 1
            }
            out.append(value)
        }
        return out
    }

    public mutating func record(_ e: Envelope) {
        switch e.payload {
        case .bar(let b):
            if times.last != b.time {
                if let last = times.last, b.time < last { return } // late bar of a merged stream: ignore for the curve
                times.append(b.time)
                for s in symbolsOrder { closes[s]!.append(lastClose[s]!) }
            }
            if closes[b.symbol] == nil {
                symbolsOrder.append(b.symbol)
                closes[b.symbol] = Array(repeating: b.close, count: times.count)
            }
            lastClose[b.symbol] = b.close
            closes[b.symbol]![closes[b.symbol]!.count - 1] = b.close
        case .portfolioSnapshot(let s):
            snapshots.append((s.time, s.equity))
            openPositions = s.positions
        case .tradeClosed(let t):
            trades.append(t)
        case .decision(let d):
            decisions[d.action.rawValue, default: 0] += 1
            if d.action != .hold {
                for v in d.votes { influence[v.agent, default: 0] += Swift.abs(v.contribution) }
            }
        case .orderDenied(let d):
            for r in d.reasons { denials[r.code, default: 0] += 1 }
        case .orderFilled:
            fills += 1
        case .halt(let h):
            halts.append(h)
        default:
            return
        }
    }

    public var inputs: BacktestInputs {
        BacktestInputs(times: times, equity: equity, closes: closes, trades: trades)
    }

    /// Each voter's share of the influence on buy and sell decisions (sums to 1).
    public var decisionShares: [(agent: String, share: Double)] {
        let total = influence.keys.sorted().reduce(0) { $0 + influence[$1]! }  // in a fixed order: the same bits every run
        return influence.keys.sorted().map { ($0, total > 0 ? influence[$0]! / total : 0) }
    }
}
