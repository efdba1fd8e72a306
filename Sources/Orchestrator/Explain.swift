import Agents
import Bus

/// Renders the chain of one trading cycle — bar → votes → decision → order → risk → broker
/// → fill → trade — from its events (all carry the cycle's correlation id).
public enum Explain {
    /// The cycles in `events`, in order of first appearance, with their events.
    public static func cycles(_ events: [Envelope]) -> [(id: String, events: [Envelope])] {
        var order: [String] = []
        var byCycle: [String: [Envelope]] = [:]
        for e in events {
            guard let c = e.correlation else { continue }
            if byCycle[c] == nil { order.append(c) }
            byCycle[c, default: []].append(e)
        }
        return order.map { ($0, byCycle[$0]!) }
    }

    public static func render(cycle: String, events: [Envelope]) -> String {
        var out = "cycle \(cycle)\n"
        let sorted = events.sorted { a, b in rank(a) != rank(b) ? rank(a) < rank(b) : a.seq < b.seq }
        for e in sorted {
            let who = "[\(e.id)]"
            switch e.payload {
            case .bar(let b):
                out += "  bar        \(b.symbol) \(b.time.iso8601)  O \(n(b.open)) H \(n(b.high)) L \(n(b.low)) C \(n(b.close)) V \(n(b.volume))  \(who)\n"
            case .vote(let v):
                out += "  vote       \(pad(v.agent, 10)) \(pad(v.action.rawValue, 4)) score \(signed(v.score)) confidence \(n2(v.confidence))  \(v.reason)  \(who)\n"
                for c in v.components {
                    out += "               · \(pad(c.name, 14)) \(pad(c.action.rawValue, 4)) \(signed(c.score)) (\(n2(c.confidence)))  \(c.reason)\n"
                }
                if let veto = v.veto { out += "               ! veto: \(veto)\n" }
                if let exit = v.exit { out += "               ! exit: \(exit)\n" }
            case .executionReport(let r):
                out += "  broker     bar processed: \(r.filled) filled, \(r.working) working  \(who)\n"
            case .decision(let d):
                out += "  decision   \(d.action.rawValue.uppercased())  score \(signed(d.score))  \(who)\n"
                out += "             \(d.reason)\n"
                out += "             voter       weight  effective  confidence   score  contribution\n"
                for v in d.votes {
                    let note = v.missing ? "  (missing)"
                        : v.confidence == 0 ? "  (no opinion: weight shared out)"
                        : v.weight == 0 ? "  (weight 0: no say)"
                        : v.effectiveWeight == 0 ? "  (no voter had an opinion)" : ""
                    out += "             \(pad(v.agent, 10))  \(lpad(n2(v.weight), 6))  \(lpad(n2(v.effectiveWeight), 9))  \(lpad(n2(v.confidence), 10))  \(lpad(signed(v.score), 6))  \(lpad(signed(v.contribution), 12))\(note)\n"
                }
                if let veto = d.veto { out += "             vetoed: \(veto)\n" }
                if let exit = d.exit, !d.reason.contains(exit) { out += "             forced exit: \(exit)\n" }
                if !d.missing.isEmpty { out += "             missing votes: \(d.missing.joined(separator: ", "))\n" }
            case .orderRequest(let o):
                let size = o.quantity.map { "\(n($0)) shares" } ?? o.notional.map { "notional \(n($0))" } ?? "?"
                out += "  order      \(o.orderId) \(o.side.rawValue) \(o.type.rawValue) \(o.intent.rawValue) \(size) (last \(n(o.referencePrice)))  \(who)\n"
                out += "             \(o.reason)\n"
            case .orderApproved(let a):
                let size = a.order.quantity.map { "\(n($0)) shares" } ?? a.order.notional.map { "notional \(n($0))" } ?? "?"
                out += "  risk       approved \(a.order.orderId): \(size)\(a.adjustments.isEmpty ? "" : ", adjusted")  \(who)\n"
                for adj in a.adjustments { out += "             adjusted: \(adj)\n" }
            case .orderDenied(let d):
                out += "  denied     \(d.orderId) by \(d.by)  \(who)\n"
                for r in d.reasons { out += "             \(r.code): \(r.message)\n" }
            case .orderAccepted(let a):
                out += "  broker     accepted \(a.order.orderId): working until the next bar  \(who)\n"
            case .orderFilled(let f):
                out += "  fill       \(f.orderId) \(f.side.rawValue) \(n(f.quantity)) @ \(n(f.price)) on \(f.time.iso8601) fee \(n(f.fee)) slippage \(n(f.slippage))  \(who)\n"
            case .orderRejected(let r):
                out += "  rejected   \(r.orderId) \(r.code): \(r.message)  \(who)\n"
            case .orderCancelled(let c):
                out += "  cancelled  \(c.orderId): \(c.reason)  \(who)\n"
            case .tradeClosed(let t):
                out += "  trade      \(t.tradeId) \(t.side.rawValue) \(n(t.quantity)) \(t.symbol): \(n(t.entryPrice)) → \(n(t.exitPrice)), P&L \(n(t.pnl)) (\(t.exitReason))  \(who)\n"
            case .halt(let h):
                out += "  halt       \(h.code): \(h.reason)  \(who)\n"
            case .resume(let r):
                out += "  resume     \(r.reason)  \(who)\n"
            default:
                continue
            }
        }
        return out
    }

    /// Events in the order of the cycle's steps.
    static func rank(_ e: Envelope) -> Int {
        switch e.payload {
        case .bar: 0
        case .halt, .resume: 1
        case .vote: 2
        case .executionReport: 3
        case .decision: 4
        case .orderRequest: 5
        case .orderApproved, .orderDenied: 6
        case .orderAccepted, .orderRejected: 7
        case .orderFilled, .orderCancelled: 8
        case .portfolioSnapshot: 9
        case .tradeClosed: 10
        default: 11
        }
    }

    static func n(_ x: Double) -> String {
        if x == x.rounded() && abs(x) < 1e15 { return Fmt.grouped(x) }
        return Fmt.fixed(x, 2)
    }
    static func n2(_ x: Double) -> String { Fmt.fixed(x, 2) }
    static func signed(_ x: Double) -> String { (x >= 0 ? "+" : "") + Fmt.fixed(x, 2) }
    static func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
    static func lpad(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
}

