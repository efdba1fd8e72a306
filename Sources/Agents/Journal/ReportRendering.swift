import Bus

extension CoachingReport {
    // MARK: metrics

    static func metricsJSON(_ a: JournalAnalysis, source: JournalSource) -> JSONValue {
        let t = a.table, m = a.metrics, h = m.headline, c = a.config
        let n = JournalJSON.number, money = JournalJSON.money
        func tradeRef(_ e: JournalMetrics.Extreme?, _ f: (Double?) -> JSONValue) -> JSONValue {
            guard let e else { return .null }
            return JournalJSON.object([("value", f(e.value)), ("trade_id", .string(t.id(e.trade)))])
        }
        func time(_ ts: Timestamp?) -> JSONValue { ts.map { .string($0.iso8601) } ?? .null }
        var journal: [(String, JSONValue)] = [("source", .string(source.name)), ("format", .string(source.format))]
        if let rows = source.rows { journal.append(("rows", .number(Double(rows)))) }
        journal += [
            ("skipped_rows", .number(Double(source.skippedRows))), ("open_positions", .number(Double(source.openPositions))),
            ("trades", .number(Double(h.trades))), ("first_entry", time(h.firstEntry)), ("last_exit", time(h.lastExit)),
            ("utc_offset_minutes", .number(Double(c.utcOffsetMinutes))), ("breakeven_tolerance", n(c.breakevenTolerance)),
            ("size_basis", .string(c.sizeBasis.rawValue)),
        ]
        let headline = JournalJSON.object([
            ("trades", .number(Double(h.trades))), ("wins", .number(Double(h.wins))), ("losses", .number(Double(h.losses))),
            ("breakeven", .number(Double(h.breakeven))), ("win_rate", n(h.winRate)), ("net_pnl", money(h.netPnL)),
            ("gross_profit", money(h.grossProfit)), ("gross_loss", money(h.grossLoss)), ("fees", money(h.fees)),
            ("profit_factor", JournalJSON.ratio(h.profitFactor)), ("expectancy", money(h.expectancy)),
            ("average_win", money(h.averageWin)), ("average_loss", money(h.averageLoss)), ("payoff_ratio", n(h.payoffRatio)),
            ("largest_win", tradeRef(h.largestWin, money)), ("largest_loss", tradeRef(h.largestLoss, money)),
            ("max_consecutive_wins", .number(Double(h.maxConsecutiveWins))),
            ("max_consecutive_losses", .number(Double(h.maxConsecutiveLosses))),
        ])
        let holding = JournalJSON.object([
            ("average_seconds", n(m.holding.averageSeconds)), ("average_winner_seconds", n(m.holding.averageWinnerSeconds)),
            ("average_loser_seconds", n(m.holding.averageLoserSeconds)),
        ])
        let sqn = m.risk.sqn
        var sqnMembers: [(String, JSONValue)] = [("value", n(sqn.value)), ("basis", .string(sqn.basis.rawValue)), ("trades", .number(Double(sqn.trades)))]
        if let reason = sqn.reason { sqnMembers.append(("reason", .string(reason))) }
        let risk = JournalJSON.object([
            ("trades_with_stop", .number(Double(m.risk.tradesWithStop))), ("average_r", n(m.risk.averageR)),
            ("total_r", m.risk.tradesWithStop > 0 ? n(m.risk.totalR) : .null),
            ("best_r", tradeRef(m.risk.bestR, n)), ("worst_r", tradeRef(m.risk.worstR, n)), ("sqn", JournalJSON.object(sqnMembers)),
        ])
        let d = m.drawdown
        let drawdown = JournalJSON.object([
            ("amount", money(d.amount)), ("peak_equity", money(d.peakEquity)), ("trough_equity", money(d.troughEquity)),
            ("peak_trade_id", d.peakTrade.map { .string(t.id($0)) } ?? .null),
            ("trough_trade_id", d.troughTrade.map { .string(t.id($0)) } ?? .null),
            ("final_equity", money(d.finalEquity)),
        ])
        var breakdowns: [(String, JSONValue)] = []
        for bd in m.breakdowns {
            breakdowns.append((bd.dimension.rawValue, .array(bd.buckets.map { b in
                JournalJSON.object([
                    ("key", .string(b.key)), ("trades", .number(Double(b.trades))), ("wins", .number(Double(b.wins))),
                    ("losses", .number(Double(b.losses))), ("win_rate", n(b.winRate)), ("net_pnl", money(b.netPnL)),
                    ("expectancy", money(b.expectancy)), ("gross_profit", money(b.grossProfit)), ("gross_loss", money(b.grossLoss)),
                    ("profit_factor", JournalJSON.ratio(b.profitFactor)),
                ])
            })))
        }
        return JournalJSON.object([
            ("journal", JournalJSON.object(journal)), ("headline", headline), ("holding", holding), ("risk", risk),
            ("drawdown", drawdown), ("breakdowns", JournalJSON.object(breakdowns)),
        ])
    }

    // MARK: JSON

    /// The report as JSON: exactly the keys `performance_overview`, `behavioural_patterns`,
    /// `opportunities`, `action_plan`, `metrics` and `evidence` (docs/journal.md).
    public var json: JSONValue {
        var evidence: [JSONValue.Member] = [JSONValue.Member(summary.id, summary.evidence)]
        let overview = JournalJSON.object([
            ("summary", .string(summary.text)),
            ("key_metrics", .array(keyMetrics.map { k in
                var members: [(String, JSONValue)] = [("name", .string(k.name)), ("label", .string(k.label)), ("value", k.value), ("display", .string(k.display))]
                if let note = k.note { members.append(("note", .string(note))) }
                return JournalJSON.object(members)
            })),
        ])
        var patternList: [JSONValue] = []
        for p in patterns {
            let f = p.finding
            var members: [(String, JSONValue)] = [
                ("pattern", .string(f.kind.rawValue)), ("title", .string(f.kind.title)), ("status", .string(f.status.rawValue)),
                ("detected", .bool(f.detected)), ("severity", f.severity.map { .string($0.rawValue) } ?? .null),
                ("finding", .string(p.sentence.text)),
                ("money_effect", f.status == .detected || f.status == .notDetected ? JournalJSON.money(f.moneyEffect) : .null),
                ("trade_count", .number(Double(f.trades.count))),
                ("trade_ids", .array(p.tradeIDs.map { .string($0) })),
                ("evidence", .string(p.sentence.id)),
                ("rule", .object(f.rule.map { JSONValue.Member($0.name, $0.value.json) })),
            ]
            if let reason = f.reason { members.append(("reason", .string(reason))) }
            patternList.append(JournalJSON.object(members))
            var ev = p.sentence.facts.map { JSONValue.Member($0.name, $0.value.json) }
            ev += f.details
            evidence.append(JSONValue.Member(p.sentence.id, .object(ev)))
        }
        var opportunityList: [JSONValue] = []
        for o in opportunities {
            opportunityList.append(JournalJSON.object([
                ("kind", .string(o.kind.rawValue)), ("dimension", .string(o.dimension.rawValue)), ("bucket", .string(o.bucket)),
                ("finding", .string(o.sentence.text)), ("money_effect", JournalJSON.money(o.moneyEffect)),
                ("trade_count", .number(Double(o.trades))), ("evidence", .string(o.sentence.id)),
            ]))
            evidence.append(JSONValue.Member(o.sentence.id, o.sentence.evidence))
        }
        var actionList: [JSONValue] = []
        for a in actions {
            actionList.append(JournalJSON.object([("title", .string(a.title)), ("detail", .string(a.detail.text))]))
            evidence.append(JSONValue.Member(a.detail.id, a.detail.evidence))
        }
        let rephrased = sentences.filter(\.rephrased).count
        var metricsMembers = metrics.objectValue ?? []
        metricsMembers.append(JSONValue.Member("report", JournalJSON.object([
            ("text", .string(rephrased > 0 ? "rephrased" : "template")),
            ("sentences", .number(Double(sentences.count))), ("rephrased_sentences", .number(Double(rephrased))),
        ])))
        return JournalJSON.object([
            ("performance_overview", overview),
            ("behavioural_patterns", .array(patternList)),
            ("opportunities", .array(opportunityList)),
            ("action_plan", .array(actionList)),
            ("metrics", .object(metricsMembers)),
            ("evidence", .object(evidence)),
        ])
    }

    /// The JSON text, indented for people (`pretty`) or compact.
    public func jsonText(pretty: Bool = true) -> String {
        pretty ? JournalJSON.pretty(json) + "\n" : json.description
    }

    // MARK: Markdown

    /// The same report as Markdown: the sentences, a metrics table and the breakdowns.
    public var markdown: String {
        var md = "# Trading journal report\n\n## Performance overview\n\n" + summary.text + "\n\n"
        md += "| Metric | Value |\n|---|---|\n"
        for k in keyMetrics {
            md += "| \(cell(k.label)) | \(cell(k.display))\(k.note.map { " (\(cell($0)))" } ?? "") |\n"
        }
        md += "\n## Behavioural patterns\n\n"
        for p in patterns {
            let f = p.finding
            var heading = "### \(f.kind.title): "
            switch f.status {
            case .detected: heading += "detected, \(f.severity?.rawValue ?? "low") severity"
            case .notDetected: heading += "not detected"
            case .insufficientData: heading += "not enough data"
            case .disabled: heading += "not checked"
            }
            md += heading + "\n\n" + p.sentence.text + "\n\n"
            if f.detected {
                md += "Money effect: \(JournalFormat.pnl(f.moneyEffect)). "
                let shown = p.tradeIDs.map { "`\($0)`" }
                md += "Trades (\(JournalFormat.count(f.trades.count))): " + shown.joined(separator: ", ")
                if f.trades.count > shown.count { md += ", …" }
                md += "\n\n"
            }
        }
        md += "## Opportunities\n\n"
        if opportunities.isEmpty { md += "No breakdown bucket stands out yet.\n\n" }
        for o in opportunities { md += "- **\(o.kind == .leak ? "Leak" : "Strength")** (\(o.dimension.rawValue)): \(o.sentence.text)\n" }
        if !opportunities.isEmpty { md += "\n" }
        md += "## Action plan\n\n"
        for (i, a) in actions.enumerated() { md += "\(i + 1). **\(a.title).** \(a.detail.text)\n" }
        md += "\n## Breakdowns\n"
        if let bds = metrics["breakdowns"]?.objectValue {
            for member in bds {
                let rows = member.value.arrayValue ?? []
                guard !rows.isEmpty else { continue }
                md += "\n### By \(member.key)\n\n| \(member.key.capitalized) | Trades | Win rate | Net P&L | Expectancy | Profit factor |\n|---|--:|--:|--:|--:|--:|\n"
                for r in rows {
                    let key = r["key"]?.stringValue ?? ""
                    let trades = Int(r["trades"]?.doubleValue ?? 0)
                    let pf: String
                    switch r["profit_factor"] {
                    case .number(let v)?: pf = JournalFormat.ratio(v)
                    case .string?: pf = "∞"
                    default: pf = "n/a"
                    }
                    md += "| \(cell(member.key == "tag" ? "#" + key : key)) | \(JournalFormat.count(trades)) | \(JournalFormat.percent(r["win_rate"]?.doubleValue ?? 0)) | \(JournalFormat.pnl(r["net_pnl"]?.doubleValue ?? 0)) | \(JournalFormat.pnl(r["expectancy"]?.doubleValue ?? 0)) | \(pf) |\n"
                }
            }
        }
        let rephrased = sentences.filter(\.rephrased).count
        md += "\n---\n\nEvery figure above is computed from the journal"
        md += rephrased > 0 ? "; \(rephrased) of \(sentences.count) sentences were reworded by a language model and checked to carry the same numbers.\n" : ".\n"
        return md
    }

    private func cell(_ s: String) -> String { s.replacingPipes() }
}

extension String {
    fileprivate func replacingPipes() -> String {
        guard contains("|") || contains("\n") else { return self }
        var out = ""
        for c in self { out += c == "|" ? "\\|" : (c == "\n" ? " " : String(c)) }
        return out
    }
}

extension JournalJSON {
    /// JSON indented by two spaces, members in order.
    public static func pretty(_ v: JSONValue) -> String {
        var out = ""
        write(v, indent: 0, to: &out)
        return out
    }

    private static func write(_ v: JSONValue, indent: Int, to out: inout String) {
        let pad = String(repeating: "  ", count: indent + 1)
        switch v {
        case .array(let items) where !items.isEmpty:
            if items.allSatisfy({ if case .object = $0 { return false }; if case .array = $0 { return false }; return true }) {
                out += v.description
                return
            }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                write(item, indent: indent + 1, to: &out)
                out += i + 1 < items.count ? ",\n" : "\n"
            }
            out += String(repeating: "  ", count: indent) + "]"
        case .object(let members) where !members.isEmpty:
            out += "{\n"
            for (i, m) in members.enumerated() {
                out += pad + JSONValue.string(m.key).description + ": "
                write(m.value, indent: indent + 1, to: &out)
                out += i + 1 < members.count ? ",\n" : "\n"
            }
            out += String(repeating: "  ", count: indent) + "}"
        default:
            out += v.description
        }
    }
}
