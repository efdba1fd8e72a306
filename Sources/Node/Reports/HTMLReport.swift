import Agents
import Bus
import Foundation

/// One self-contained HTML file (inline SVG, no external assets): the stats, the equity
/// curve, the drawdown, price with entries and exits, each agent's share of the decisions,
/// and the trades.
enum HTMLReport {
    static func render(title: String, stats: BacktestStats, recorder: RunRecorder) -> String {
        var body = ""
        body += "<h1>\(esc(title))</h1>\n"
        body += "<div class=\"grid\"><div>\n<h2>Statistics</h2>\n<table class=\"stats\">\n"
        for row in stats.rows {
            let v: String
            switch row.value {
            case .number(let x): v = x.isNaN ? "n/a" : Fmt.fixed(x, x.magnitude >= 1000 ? 2 : 4)
            case .count(let n): v = String(n)
            case .time(let t): v = ISO8601.formatDate(t)
            case .duration(let s): v = s.isNaN ? "n/a" : RunReports.duration(s)
            }
            body += "<tr><td>\(esc(row.name))</td><td class=\"num\">\(esc(v))</td></tr>\n"
        }
        body += "</table></div>\n<div>\n"
        body += "<h2>Equity</h2>\n" + lineChart([("equity", recorder.equity, "#1f6feb")], times: recorder.times, fill: false)
        var peak = -Double.infinity
        let dd = recorder.equity.map { e -> Double in
            peak = max(peak, e)
            return peak > 0 ? -(1 - e / peak) * 100 : 0
        }
        body += "<h2>Drawdown [%]</h2>\n" + lineChart([("drawdown", dd, "#cf222e")], times: recorder.times, fill: true)
        for symbol in recorder.closes.keys.sorted().prefix(4) {
            let trades = recorder.trades.filter { $0.symbol == symbol }
            var marks: [Marker] = []
            let index = recorder.times
            for t in trades {
                marks.append(Marker(index: position(of: t.entryTime, in: index), value: t.entryPrice, entry: true, long: t.side == .long))
                marks.append(Marker(index: position(of: t.exitTime, in: index), value: t.exitPrice, entry: false, long: t.side == .long))
            }
            let sampled = marks.count > maxMarkers ? " (every \(ordinal((marks.count + maxMarkers - 1) / maxMarkers)) of \(Fmt.grouped(Double(marks.count))))" : ""
            body += "<h2>\(esc(symbol)): price, entries ▲ and exits ▼\(sampled)</h2>\n"
            body += lineChart([(symbol, recorder.closes[symbol]!, "#57606a")], times: recorder.times, fill: false, markers: marks)
        }
        body += "<h2>Share of the decisions by agent</h2>\n" + shareChart(recorder.decisionShares)
        let d = recorder.decisions
        body += "<p>Decisions: \(d["buy"] ?? 0) buy, \(d["sell"] ?? 0) sell, \(d["hold"] ?? 0) hold; \(recorder.fills) fills.</p>\n"
        if !recorder.denials.isEmpty {
            body += "<p>Orders denied: " + recorder.denials.sorted { $0.key < $1.key }.map { "\(esc($0.key)) × \($0.value)" }.joined(separator: ", ") + ".</p>\n"
        }
        if !recorder.halts.isEmpty {
            body += "<p>Trading halts: " + recorder.halts.map { "\(ISO8601.formatDate($0.time)) \(esc($0.reason))" }.joined(separator: "; ") + ".</p>\n"
        }
        body += "</div></div>\n"
        body += "<h2>Trades (\(recorder.trades.count))</h2>\n<table class=\"trades\">\n<tr><th>#</th><th>symbol</th><th>side</th><th>qty</th><th>entry</th><th>price</th><th>exit</th><th>price</th><th>P&amp;L</th><th>return %</th><th>reason</th></tr>\n"
        for t in recorder.trades.prefix(2000) {
            let ret = BacktestStatistics.returnFraction(t) * 100
            let cls = t.pnl > 0 ? " class=\"win\"" : t.pnl < 0 ? " class=\"loss\"" : ""
            body += "<tr\(cls)><td>\(esc(t.tradeId))</td><td>\(esc(t.symbol))</td><td>\(t.side.rawValue)</td><td class=\"num\">\(Fmt.grouped(t.quantity))</td>"
            body += "<td>\(Fmt.when(t.entryTime))</td><td class=\"num\">\(Fmt.price(t.entryPrice))</td>"
            body += "<td>\(Fmt.when(t.exitTime))</td><td class=\"num\">\(Fmt.price(t.exitPrice))</td>"
            body += "<td class=\"num\">\(Fmt.fixed(t.pnl, 2))</td><td class=\"num\">\(Fmt.fixed(ret, 2))</td><td>\(esc(t.exitReason))</td></tr>\n"
        }
        if recorder.trades.count > 2000 { body += "<tr><td colspan=\"11\">… \(recorder.trades.count - 2000) more in trades.csv</td></tr>\n" }
        body += "</table>\n"
        if !recorder.openPositions.isEmpty {
            body += "<p>Open at the end (not in the trades; valued in the equity at the last price): "
                + recorder.openPositions.map { esc(RunReports.describe($0)) }.joined(separator: "; ") + ".</p>\n"
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(esc(title))</title>
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1f2328}
            h1{font-size:20px}h2{font-size:15px;margin:18px 0 6px}
            table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #eaeef2;text-align:left}
            .num{text-align:right;font-variant-numeric:tabular-nums}
            .grid{display:grid;grid-template-columns:minmax(280px,360px) 1fr;gap:24px}
            .win td{color:#1a7f37}.loss td{color:#cf222e}
            svg{background:#f6f8fa;border-radius:6px}
            </style></head><body>
            \(body)</body></html>

            """
    }

    struct Marker {
        var index: Int
        var value: Double
        var entry: Bool
        var long: Bool
    }

    static func position(of t: Timestamp, in times: [Timestamp]) -> Int {
        var lo = 0, hi = times.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if times[mid] < t { lo = mid + 1 } else { hi = mid }
        }
        return min(lo, max(0, times.count - 1))
    }

    static func lineChart(_ series: [(String, [Double], String)], times: [Timestamp], fill: Bool, markers: [Marker] = []) -> String {
        let w = 900.0, h = 220.0, pad = 48.0
        let n = series.first?.1.count ?? 0
        guard n > 1 else { return "<p>(no data)</p>\n" }
        var lo = Double.infinity, hi = -Double.infinity
        for (_, ys, _) in series { for y in ys where y.isFinite { lo = min(lo, y); hi = max(hi, y) } }
        for m in markers { lo = min(lo, m.value); hi = max(hi, m.value) }
        if !(lo < hi) {
            // A flat series: a band around it (below 0 only for a series at 0, a drawdown).
            if hi == 0 { lo = -1 } else { let d = abs(hi) * 0.01; lo -= d; hi += d }
        }
        func x(_ i: Int) -> Double { pad + (w - pad - 8) * Double(i) / Double(n - 1) }
        func y(_ v: Double) -> Double { 8 + (h - 28) * (1 - (v - lo) / (hi - lo)) }
        let step = max(1, n / 1500)
        var svg = "<svg viewBox=\"0 0 \(Int(w)) \(Int(h))\" width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\">\n"
        let decimals = Fmt.stepDecimals((hi - lo) / 4)
        for k in 0...4 {
            let v = lo + (hi - lo) * Double(k) / 4
            svg += "<line x1=\"\(f(pad))\" x2=\"\(f(w - 8))\" y1=\"\(f(y(v)))\" y2=\"\(f(y(v)))\" stroke=\"#d0d7de\" stroke-width=\"0.5\"/>"
            svg += "<text x=\"\(f(pad - 4))\" y=\"\(f(y(v) + 4))\" font-size=\"10\" text-anchor=\"end\">\(esc(Fmt.fixed(v, decimals)))</text>\n"
        }
        svg += "<text x=\"\(f(pad))\" y=\"\(f(h - 4))\" font-size=\"10\">\(ISO8601.formatDate(times.first!))</text>"
        svg += "<text x=\"\(f(w - 8))\" y=\"\(f(h - 4))\" font-size=\"10\" text-anchor=\"end\">\(ISO8601.formatDate(times.last!))</text>\n"
        for (_, ys, color) in series {
            var indices = Array(stride(from: 0, to: n, by: step))
            if indices.last != n - 1 { indices.append(n - 1) }
            let pts = indices.filter { ys[$0].isFinite }.map { "\(f(x($0))),\(f(y(ys[$0])))" }
            if fill, let first = pts.first, let last = pts.last {
                let base = f(y(min(max(0, lo), hi)))
                svg += "<polygon points=\"\(first.split(separator: ",")[0]),\(base) \(pts.joined(separator: " ")) \(last.split(separator: ",")[0]),\(base)\" fill=\"\(color)\" fill-opacity=\"0.25\" stroke=\"none\"/>\n"
            }
            svg += "<polyline points=\"\(pts.joined(separator: " "))\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.2\"/>\n"
        }
        // At most `maxMarkers`, spread evenly over all of them (the caption says so).
        let every = (markers.count + maxMarkers - 1) / maxMarkers
        for m in stride(from: 0, to: markers.count, by: max(1, every)).map({ markers[$0] }) {
            let cx = x(m.index), cy = y(m.value)
            let up = m.entry == m.long
            let color = m.entry ? "#1a7f37" : "#cf222e"
            let pts = up ? "\(f(cx)),\(f(cy - 6)) \(f(cx - 4)),\(f(cy + 2)) \(f(cx + 4)),\(f(cy + 2))" : "\(f(cx)),\(f(cy + 6)) \(f(cx - 4)),\(f(cy - 2)) \(f(cx + 4)),\(f(cy - 2))"
            svg += "<polygon points=\"\(pts)\" fill=\"\(color)\"/>"
        }
        svg += "\n</svg>\n"
        return svg
    }

    static func shareChart(_ shares: [(agent: String, share: Double)]) -> String {
        guard !shares.isEmpty else { return "<p>(no buy or sell decisions)</p>\n" }
        var svg = "<svg viewBox=\"0 0 600 \(24 * shares.count + 8)\" width=\"600\" xmlns=\"http://www.w3.org/2000/svg\">\n"
        for (i, s) in shares.enumerated() {
            let y = 8 + 24 * i
            svg += "<text x=\"96\" y=\"\(y + 13)\" font-size=\"12\" text-anchor=\"end\">\(esc(s.agent))</text>"
            svg += "<rect x=\"104\" y=\"\(y)\" width=\"\(f(400 * s.share))\" height=\"16\" fill=\"#1f6feb\"/>"
            svg += "<text x=\"\(f(110 + 400 * s.share))\" y=\"\(y + 13)\" font-size=\"12\">\(Fmt.fixed(s.share * 100, 1))%</text>\n"
        }
        return svg + "</svg>\n"
    }

    static func f(_ v: Double) -> String { Fmt.fixed(v, 1) }

    /// Entry and exit markers drawn on one price chart at most.
    static let maxMarkers = 4000

    static func ordinal(_ n: Int) -> String {
        let suffix = (11...13).contains(n % 100) ? "th" : [1: "st", 2: "nd", 3: "rd"][n % 10] ?? "th"
        return "\(n)\(suffix)"
    }

    static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
