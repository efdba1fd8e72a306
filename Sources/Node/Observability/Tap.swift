import Agents
import Bus

/// What the tap shows: filters and formats for events flowing on a bus.
struct TapFilter: Sendable {
    var types: Set<String> = []
    var symbols: Set<String> = []

    func accepts(_ e: Envelope) -> Bool {
        if !types.isEmpty && !types.contains(e.type) { return false }
        if !symbols.isEmpty {
            let s = TapFormat.symbol(of: e)
            guard let s, symbols.contains(s) else { return false }
        }
        return true
    }
}

enum TapFormat: String, CaseIterable {
    case line, json

    /// The symbol an event is about: its payload's symbol, else the last topic segment of
    /// per-symbol topics.
    static func symbol(of e: Envelope) -> String? {
        switch e.payload {
        case .bar(let b): return b.symbol
        case .vote(let v): return v.symbol
        case .decision(let d): return d.symbol
        case .orderRequest(let o): return o.symbol
        case .orderApproved(let a): return a.order.symbol
        case .orderDenied(let d): return d.symbol
        case .orderAccepted(let a): return a.order.symbol
        case .orderFilled(let f): return f.symbol
        case .orderRejected(let r): return r.symbol
        case .orderCancelled(let c): return c.symbol
        case .executionReport(let r): return r.symbol
        case .tradeClosed(let t): return t.symbol
        case .news: return String(Topic.lastSegment(e.topic))
        default: return nil
        }
    }

    /// One readable line: time, topic, source and the key fields.
    static func line(_ e: Envelope) -> String {
        "\(e.time.iso8601)  \(e.topic)  \(e.id)  \(summary(e))"
    }

    static func summary(_ e: Envelope) -> String {
        func n(_ x: Double) -> String { RunReports.number(x) }
        func s(_ x: Double) -> String { (x >= 0 ? "+" : "") + Fmt.fixed(x, 2) }
        switch e.payload {
        case .bar(let b): return "O \(n(b.open)) H \(n(b.high)) L \(n(b.low)) C \(n(b.close)) V \(n(b.volume))"
        case .news(let x): return "\"\(x.headline)\" (\(x.source))"
        case .marketEnd(let m): return "end of data: \(m.bars) bars of \(m.symbols.joined(separator: ","))"
        case .vote(let v): return "\(v.agent) \(v.action.rawValue) score \(s(v.score)) confidence \(Fmt.fixed(v.confidence, 2)): \(v.reason)" + (v.veto.map { " [veto: \($0)]" } ?? "") + (v.exit.map { " [exit: \($0)]" } ?? "")
        case .decision(let d): return "\(d.action.rawValue.uppercased()) score \(s(d.score)): \(d.reason)"
        case .orderRequest(let o): return "\(o.orderId) \(o.side.rawValue) \(o.type.rawValue) \(o.intent.rawValue) " + (o.quantity.map { "\(n($0)) shares" } ?? "notional \(n(o.notional ?? 0))")
        case .orderApproved(let a): return "\(a.order.orderId) approved" + (a.adjustments.isEmpty ? "" : ", adjusted: " + a.adjustments.joined(separator: "; "))
        case .orderDenied(let d): return "\(d.orderId) denied by \(d.by): " + d.reasons.map { "\($0.code) (\($0.message))" }.joined(separator: "; ")
        case .orderAccepted(let a): return "\(a.order.orderId) working"
        case .orderFilled(let f): return "\(f.orderId) \(f.side.rawValue) \(n(f.quantity)) @ \(n(f.price)) fee \(n(f.fee))"
        case .orderRejected(let r): return "\(r.orderId) rejected \(r.code): \(r.message)"
        case .orderCancelled(let c): return "\(c.orderId) cancelled: \(c.reason)"
        case .executionReport(let r): return "\(r.filled) filled, \(r.working) working"
        case .portfolioSnapshot(let p): return "equity \(Fmt.fixed(p.equity, 2)) cash \(Fmt.fixed(p.cash, 2)) drawdown \(Fmt.fixed(p.drawdown * 100, 2))% positions \(p.positions.count)"
        case .tradeClosed(let t): return "\(t.tradeId) \(t.side.rawValue) \(n(t.quantity)) \(n(t.entryPrice)) → \(n(t.exitPrice)) P&L \(Fmt.fixed(t.pnl, 2)) (\(t.exitReason))"
        case .journalReport(let j): return j.summary
        case .journalRequest(let j): return "report requested by \(j.requestedBy)"
        case .heartbeat(let h): return "\(h.node) \(h.status): in \(h.eventsIn) out \(h.eventsOut) queued \(h.queueDepth) drops \(h.drops) gaps \(h.gaps) malformed \(h.malformed)"
        case .halt(let h): return "HALT \(h.code): \(h.reason)"
        case .resume(let r): return "RESUME: \(r.reason)"
        case .runFinished(let f): return "run finished: \(f.trades) trades, equity \(Fmt.fixed(f.equity, 2))"
        case .raw(let r): return "\(r.type) " + (r.json.count > 200 ? String(r.json.prefix(200)) + "…" : r.json)
        }
    }
}

/// Counts for `--stats`: events per topic and per source, refreshed every second.
struct TapStats {
    private(set) var byTopic: [String: (total: Int, window: Int)] = [:]
    private(set) var bySource: [String: (total: Int, window: Int)] = [:]

    mutating func record(_ e: Envelope) {
        byTopic[e.topic, default: (0, 0)].total += 1
        byTopic[e.topic]!.window += 1
        bySource[e.source, default: (0, 0)].total += 1
        bySource[e.source]!.window += 1
    }

    /// The table for the last `seconds`, then starts a new window.
    mutating func render(seconds: Double, gaps: UInt64, malformed: UInt64, dropped: UInt64) -> String {
        var out = ""
        for (title, rows) in [("topic", byTopic), ("source", bySource)] {
            var t = TextTable([title, "events/s", "total"])
            for (k, v) in rows.sorted(by: { $0.value.window != $1.value.window ? $0.value.window > $1.value.window : $0.key < $1.key }) {
                t.add([k, Fmt.fixed(Double(v.window) / max(seconds, 1e-9), 1), String(v.total)])
            }
            out += t.rendered + "\n"
        }
        out += "gaps \(gaps)  malformed \(malformed)  dropped \(dropped)\n"
        for k in byTopic.keys { byTopic[k]!.window = 0 }
        for k in bySource.keys { bySource[k]!.window = 0 }
        return out
    }
}

/// Writes every event to a JSON Lines file in the wire format (`--record`).
actor EventRecorder {
    private let writer: FDWriter
    private let fd: Int32
    private let subscription: Subscription
    private(set) var count = 0

    init(bus: any EventBus, path: String) async throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CommandError("cannot write \(path): \(String(cString: strerror(errno)))") }
        self.fd = fd
        writer = FDWriter(fd: fd)
        subscription = try await bus.subscribe(["*"], options: SubscriptionOptions(name: "recorder", policy: .suspend(capacity: 65_536)))
    }

    func run() async {
        var w = JSONWriter(capacity: 1024)
        for await e in subscription {
            w.reset()
            EventCodec.encode(e, into: &w)
            w.out.append(0x0A)
            w.withBytes { writer.write(bytes: $0) }
            count += 1
        }
        writer.flush()
        close(fd)
    }
}

#if canImport(Glibc)
import Glibc
#endif
