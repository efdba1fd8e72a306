import Bus

/// The coaching report: a performance overview, the behavioural patterns, opportunities
/// and an action plan, each sentence filled from computed facts (see ``ReportSentence``),
/// plus the metrics and evidence behind them. Rendered as JSON (``json``) and Markdown
/// (``markdown``); an optional ``ReportRephraser`` may reword the sentences.
public struct CoachingReport: Sendable {
    public struct KeyMetric: Sendable, Equatable {
        public var name: String
        public var label: String
        public var value: JSONValue
        public var display: String
        /// Why the value is missing, when it is.
        public var note: String?
    }

    public struct PatternEntry: Sendable {
        public var finding: PatternFinding
        public var sentence: ReportSentence
        /// The ids of the first flagged trades (up to `report.maxEvidenceIds`).
        public var tradeIDs: [String]
    }

    public struct Opportunity: Sendable {
        public enum Kind: String, Sendable { case leak, strength }
        public var kind: Kind
        public var dimension: JournalMetrics.Dimension
        public var bucket: String
        public var trades: Int
        /// Leak: the P&L skipping the bucket would have added; strength: its net P&L.
        public var moneyEffect: Double
        public var sentence: ReportSentence
    }

    public struct Action: Sendable {
        public var title: String
        public var detail: ReportSentence
    }

    public var trades: Int
    public var summary: ReportSentence
    /// The one-line summary carried by the `journal.report` event.
    public var headline: String
    public var keyMetrics: [KeyMetric]
    public var patterns: [PatternEntry]
    public var opportunities: [Opportunity]
    public var actions: [Action]
    /// The `metrics` member of the JSON report.
    public var metrics: JSONValue

    public init(_ a: JournalAnalysis, source: JournalSource) {
        let h = a.metrics.headline
        trades = h.trades
        let detected = a.findings.filter(\.detected)
        let assessed = a.findings.filter { $0.status == .detected || $0.status == .notDetected }
        summary = CoachingReport.summarySentence(a, detected: detected.count, assessed: assessed.count)
        headline = CoachingReport.headlineText(a.metrics)
        keyMetrics = CoachingReport.keyMetrics(a)
        patterns = CoachingReport.orderedFindings(a.findings).map { f in
            PatternEntry(finding: f, sentence: CoachingReport.patternSentence(f),
                         tradeIDs: f.trades.prefix(a.config.report.maxEvidenceIds).map { a.table.id($0) })
        }
        opportunities = CoachingReport.opportunities(a)
        actions = CoachingReport.actions(a, opportunities: opportunities)
        metrics = CoachingReport.metricsJSON(a, source: source)
    }

    /// Every sentence of the report, in reading order (what a rephraser is given).
    public var sentences: [ReportSentence] {
        [summary] + patterns.map(\.sentence) + opportunities.map(\.sentence) + actions.map(\.detail)
    }

    /// Replaces the sentences' texts (same order as ``sentences``); used by rephrasing.
    mutating func setTexts(_ texts: [String?]) {
        var k = 0
        func next(_ s: inout ReportSentence) {
            if let text = texts[k] {
                s.text = text
                s.rephrased = true
            }
            k += 1
        }
        next(&summary)
        for i in patterns.indices { next(&patterns[i].sentence) }
        for i in opportunities.indices { next(&opportunities[i].sentence) }
        for i in actions.indices { next(&actions[i].detail) }
    }

    // MARK: overview

    static func summarySentence(_ a: JournalAnalysis, detected: Int, assessed: Int) -> ReportSentence {
        let m = a.metrics, h = m.headline, t = a.table
        guard h.trades > 0 else {
            return ReportSentence(id: "performance_overview.summary", template: "No closed trades to analyse yet.", facts: [])
        }
        var facts = [
            ReportFact("trades", .count(h.trades)),
            ReportFact("first_day", .day(t.entryDay[Int(t.byEntry[0])])),
            ReportFact("last_day", .day(t.exitDay[Int(t.byExit[t.count - 1])])),
            ReportFact("net_pnl", .pnl(h.netPnL)), ReportFact("fees", .money(h.fees)),
            ReportFact("win_rate", .percent(h.winRate ?? 0)), ReportFact("profit_factor", .ratio(h.profitFactor)),
            ReportFact("expectancy", .pnl(h.expectancy ?? 0)),
            ReportFact("detected", .count(detected)), ReportFact("assessed", .count(assessed)),
        ]
        var template = h.trades == 1 ? "{trades} trade" : "{trades} trades"
        template += " from {first_day} to {last_day}: net P&L {net_pnl} after {fees} in fees, win rate {win_rate}, profit factor {profit_factor}"
        switch h.profitFactor {
        case .infinite: template += " (no losing trades)"
        case .undefined: template += " (no winning or losing trades)"
        case .value: break
        }
        template += ", expectancy {expectancy} per trade."
        if detected > 0 {
            template += detected == 1 ? " {detected} of the {assessed} behavioural patterns checked was detected" : " {detected} of the {assessed} behavioural patterns checked were detected"
            // The most serious is one that cost money (they come first); a pattern whose
            // trades made money is not called serious.
            if let worst = CoachingReport.orderedFindings(a.findings).first(where: { $0.detected && $0.moneyEffect < 0 }) {
                facts.append(ReportFact("worst_pattern", .text(worst.kind.title.lowercased())))
                facts.append(ReportFact("worst_effect", .pnl(worst.moneyEffect)))
                template += "; the most serious is {worst_pattern} ({worst_effect})."
            } else {
                template += detected == 1 ? ", and it cost no money here." : ", and none of them cost money here."
            }
        } else if assessed > 0 {
            template += " None of the {assessed} behavioural patterns checked was detected."
        }
        return ReportSentence(id: "performance_overview.summary", template: template, facts: facts)
    }

    static func headlineText(_ m: JournalMetrics) -> String {
        let h = m.headline
        guard h.trades > 0 else { return "no closed trades" }
        return "\(JournalFormat.count(h.trades)) trade\(h.trades == 1 ? "" : "s"), win rate \(JournalFormat.percent(h.winRate ?? 0)), profit factor \(ReportFactValue.ratio(h.profitFactor).display), net P&L \(JournalFormat.pnl(h.netPnL))"
    }

    static func keyMetrics(_ a: JournalAnalysis) -> [KeyMetric] {
        let m = a.metrics, h = m.headline
        var out: [KeyMetric] = []
        func add(_ name: String, _ label: String, _ v: ReportFactValue?, note: String? = nil) {
            if let v {
                out.append(KeyMetric(name: name, label: label, value: v.json, display: v.display, note: note))
            } else {
                out.append(KeyMetric(name: name, label: label, value: .null, display: "n/a", note: note))
            }
        }
        add("trades", "Trades", .count(h.trades))
        add("net_pnl", "Net P&L", .pnl(h.netPnL))
        add("win_rate", "Win rate", h.winRate.map { .percent($0) })
        add("profit_factor", "Profit factor", .ratio(h.profitFactor),
            note: h.profitFactor == .infinite ? "no losing trades" : (h.profitFactor == .undefined ? "no winning or losing trades" : nil))
        add("expectancy", "Expectancy per trade", h.expectancy.map { .pnl($0) })
        add("average_win", "Average win", h.averageWin.map { .money($0) }, note: h.averageWin == nil ? "no winning trades" : nil)
        add("average_loss", "Average loss", h.averageLoss.map { .money($0) }, note: h.averageLoss == nil ? "no losing trades" : nil)
        add("payoff_ratio", "Payoff ratio", h.payoffRatio.map { .ratio(.value($0)) },
            note: h.payoffRatio == nil ? "needs both winning and losing trades" : nil)
        add("largest_win", "Largest win", h.largestWin.map { .pnl($0.value) })
        add("largest_loss", "Largest loss", h.largestLoss.map { .pnl($0.value) })
        add("max_consecutive_wins", "Max consecutive wins", .count(h.maxConsecutiveWins))
        add("max_consecutive_losses", "Max consecutive losses", .count(h.maxConsecutiveLosses))
        add("average_hold_winners", "Average hold, winners", m.holding.averageWinnerSeconds.map { .seconds($0) })
        add("average_hold_losers", "Average hold, losers", m.holding.averageLoserSeconds.map { .seconds($0) })
        add("average_r", "Average R", m.risk.averageR.map { .r($0) }, note: m.risk.tradesWithStop == 0 ? "no trade has a stop price" : nil)
        add("sqn", "SQN", m.risk.sqn.value.map { .number($0, decimals: 2) }, note: m.risk.sqn.reason)
        add("max_drawdown", "Max drawdown", .money(m.drawdown.amount))
        return out
    }

    // MARK: patterns

    /// Detected findings first (most severe, then most costly), then the rest in rule order.
    static func orderedFindings(_ findings: [PatternFinding]) -> [PatternFinding] {
        let order = Dictionary(uniqueKeysWithValues: PatternKind.allCases.enumerated().map { ($1, $0) })
        return findings.sorted { a, b in
            if a.detected != b.detected { return a.detected }
            if a.detected {
                let sa = a.severity ?? .low, sb = b.severity ?? .low
                if sa != sb { return sa > sb }
                if a.moneyEffect != b.moneyEffect { return a.moneyEffect < b.moneyEffect }
            }
            return order[a.kind]! < order[b.kind]!
        }
    }

    static func patternSentence(_ f: PatternFinding) -> ReportSentence {
        let id = "behavioural_patterns.\(f.kind.rawValue)"
        switch f.status {
        case .insufficientData, .disabled:
            let t = f.reasonTemplate ?? "not assessed"
            return ReportSentence(id: id, template: "Not assessed: " + t + ".", facts: f.facts)
        case .notDetected:
            return ReportSentence(id: id, template: notDetectedTemplate(f), facts: f.facts)
        case .detected:
            return ReportSentence(id: id, template: detectedTemplate(f), facts: f.facts)
        }
    }

    static func plural(_ f: PatternFinding, _ name: String, _ one: String, _ many: String) -> String {
        if case .count(let n) = f.fact(name), n == 1 { return one }
        return many
    }

    static func detectedTemplate(_ f: PatternFinding) -> String {
        switch f.kind {
        case .revengeTrading:
            return "{count} " + plural(f, "count", "entry", "entries")
                + " came within {window_minutes} minutes of a losing exit at {size_multiple}× its size or more, or within {any_entry_within_minutes} minutes of it."
                + " They won {win_rate} of the time against {baseline_win_rate} for your other trades, and netted {net_pnl} ({average_pnl} per trade against {baseline_average_pnl})."
        case .overtrading:
            return "On {heavy_days} of {days} trading days you took more than {threshold} trades ({multiple_of_median}× your median of {median_per_day} a day):"
                + " {heavy_trades} trades that netted {heavy_pnl}, {heavy_average_per_day} a day against {other_average_per_day} on the other days."
        case .tilt:
            return "On {episodes} " + plural(f, "episodes", "occasion", "occasions")
                + " you kept trading the same day after {loss_streak} or more losses in a row: {count} "
                + plural(f, "count", "trade", "trades") + " that won {win_rate} (against {baseline_win_rate} otherwise) and netted {net_pnl}."
        case .dispositionEffect:
            var s = "You held losers {ratio}× as long as winners ({loser_hold} against {winner_hold}; the rule flags {threshold}× or more)."
            if f.fact("quick_losers") != nil {
                s += " The {held_losers} losers held longer than your average winner averaged {held_loser_average} against {quick_loser_average} for the {quick_losers} closed sooner: {excess_loss} in all."
            } else {
                s += " Every loser was held longer than your average winner; together they netted {held_losers_pnl}."
            }
            if f.fact("premature_average") != nil {
                s += " {premature} " + plural(f, "premature", "winner was", "winners were")
                    + " closed in under {premature_hold}, averaging {premature_average} against {average_win} for all winners."
            }
            return s
        case .stopDiscipline:
            return "{count} of {with_stops} trades with a stop closed below {threshold} (worst {worst_r}), netting {net_pnl}:"
                + " {excess_loss} beyond the loss the stops had planned."
        case .sizeCreep:
            return "In {episodes} win " + plural(f, "episodes", "streak", "streaks")
                + " of {win_streak} or more you traded at least {size_multiple}× your median size of {baseline_size} (peak {peak_multiple}×);"
                + " the size above the median on those {count} trades netted {extra_size_pnl}."
        case .outsideHours:
            var s = "{count} " + plural(f, "count", "trade was", "trades were") + " entered outside your session of {start}–{end}"
            if case .count(let w) = f.fact("weekend"), w > 0 { s += " ({weekend} at the weekend)" }
            return s + ", netting {net_pnl} with a win rate of {win_rate} against {baseline_win_rate} inside it."
        }
    }

    static func notDetectedTemplate(_ f: PatternFinding) -> String {
        switch f.kind {
        case .revengeTrading:
            return "None of the {trades_checked} entries came within {window_minutes} minutes of a losing exit at {size_multiple}× its size or more, or within {any_entry_within_minutes} minutes of it."
        case .overtrading:
            return "No day had more than {threshold} trades ({multiple_of_median}× your median of {median_per_day}); your busiest day had {busiest_day_trades}."
        case .tilt:
            if case .count(let n) = f.fact("losing_streaks"), n > 0 {
                return "Each of your {losing_streaks} " + plural(f, "losing_streaks", "streak", "streaks") + " of {loss_streak} or more losses ended your trading day."
            }
            return "You never had {loss_streak} losses in a row."
        case .dispositionEffect:
            return "Losers were held {ratio}× as long as winners ({loser_hold} against {winner_hold}), below the {threshold}× the rule flags."
        case .stopDiscipline:
            return plural(f, "with_stops", "The {with_stops} trade with a stop", "All {with_stops} trades with a stop")
                + " closed at {maximum_loss_r} or better (worst {worst_r})."
        case .sizeCreep:
            if case .count(let n) = f.fact("streaks"), n > 0 {
                return "Your size stayed below {size_multiple}× your median of {baseline_size} in "
                    + plural(f, "streaks", "your {streaks} win streak", "all {streaks} win streaks") + " of {win_streak} or more."
            }
            return "You had no win streak of {win_streak} or more, so size creep could not occur."
        case .outsideHours:
            return plural(f, "trades_checked", "The {trades_checked} trade was", "All {trades_checked} trades were")
                + " entered within your session of {start}–{end}."
        }
    }

    // MARK: opportunities

    /// How a sentence about a bucket starts.
    static func phrase(_ d: JournalMetrics.Dimension) -> String {
        switch d {
        case .symbol: "Trades in {bucket}"
        case .side: "Your {bucket} trades"
        case .weekday: "Trades on {bucket}"
        case .hour: "Trades entered {bucket}"
        case .tag: "Trades tagged {bucket}"
        }
    }

    static func title(_ d: JournalMetrics.Dimension, _ kind: Opportunity.Kind) -> String {
        switch (d, kind) {
        case (.symbol, .leak): "Review your trades in {bucket}"
        case (.symbol, .strength): "Lean on {bucket}"
        case (.side, .leak): "Review your {bucket} trades"
        case (.side, .strength): "Lean on your {bucket} trades"
        case (.weekday, .leak): "Review your trading on {bucket}"
        case (.weekday, .strength): "Make the most of {bucket}"
        case (.hour, .leak): "Review your entries {bucket}"
        case (.hour, .strength): "Lean on your entries {bucket}"
        case (.tag, .leak): "Review your {bucket} trades"
        case (.tag, .strength): "Lean on your {bucket} setups"
        }
    }

    static func bucketName(_ d: JournalMetrics.Dimension, _ b: JournalMetrics.Bucket) -> String {
        switch d {
        case .symbol, .side: b.key
        case .weekday: b.label
        case .hour: String(b.label.dropFirst("entries ".count))
        case .tag: "#" + b.key
        }
    }

    static func opportunities(_ a: JournalAnalysis) -> [Opportunity] {
        let m = a.metrics, h = m.headline
        let cfg = a.config.report
        guard h.trades > 0, cfg.maxOpportunities > 0 else { return [] }
        let overall = h.expectancy ?? 0
        var leaks: [Opportunity] = [], strengths: [Opportunity] = []
        for bd in m.breakdowns {
            for b in bd.buckets where b.trades >= cfg.minimumBucketTrades && b.trades < h.trades {
                let facts = [
                    ReportFact("bucket", .text(bucketName(bd.dimension, b))), ReportFact("trades", .count(b.trades)),
                    ReportFact("net_pnl", .pnl(b.netPnL)), ReportFact("win_rate", .percent(b.winRate)),
                    ReportFact("expectancy", .pnl(b.expectancy)), ReportFact("overall_expectancy", .pnl(overall)),
                    ReportFact("without", .pnl(h.netPnL - b.netPnL)), ReportFact("total", .pnl(h.netPnL)),
                ]
                let lead = phrase(bd.dimension)
                if b.netPnL < 0 {
                    leaks.append(Opportunity(
                        kind: .leak, dimension: bd.dimension, bucket: b.key, trades: b.trades, moneyEffect: -b.netPnL,
                        sentence: ReportSentence(id: "", template: lead + " netted {net_pnl} over {trades} trades (win rate {win_rate}, {expectancy} per trade); without them your net P&L would have been {without} instead of {total}.", facts: facts)))
                } else if b.netPnL > 0 && b.expectancy > overall + cfg.strengthMargin * abs(overall) {
                    strengths.append(Opportunity(
                        kind: .strength, dimension: bd.dimension, bucket: b.key, trades: b.trades, moneyEffect: b.netPnL,
                        sentence: ReportSentence(id: "", template: lead + " made {net_pnl} over {trades} trades, {expectancy} per trade against {overall_expectancy} overall (win rate {win_rate}).", facts: facts)))
                }
            }
        }
        leaks.sort { $0.moneyEffect != $1.moneyEffect ? $0.moneyEffect > $1.moneyEffect : $0.bucket < $1.bucket }
        strengths.sort { $0.moneyEffect != $1.moneyEffect ? $0.moneyEffect > $1.moneyEffect : $0.bucket < $1.bucket }
        // Mostly leaks (money to save), keeping a place for the best strength.
        let reserve = !strengths.isEmpty && cfg.maxOpportunities > 1 ? 1 : 0
        var out = Array(leaks.prefix(cfg.maxOpportunities - reserve))
        out += strengths.prefix(cfg.maxOpportunities - out.count)
        for i in out.indices { out[i].sentence.id = "opportunities.\(i + 1)" }
        return out
    }

    // MARK: action plan

    static func actions(_ a: JournalAnalysis, opportunities: [Opportunity]) -> [Action] {
        let cfg = a.config.report
        // Patterns that cost money, then leaks, then patterns whose trades made money this
        // time (still worth a rule, but not ahead of money lost), then strengths.
        typealias Item = (title: String, detail: String, facts: [ReportFact])
        var costly: [Item] = [], gains: [Item] = []
        for f in orderedFindings(a.findings) where f.detected {
            var facts = f.facts
            let (title, detail): (String, String)
            switch f.kind {
            case .revengeTrading:
                title = "Pause after a loss"
                detail = "After a losing exit, wait at least {window_minutes} minutes before the next entry and keep it no larger than the losing trade: the {count} entries that broke this rule netted {net_pnl}."
            case .overtrading:
                if case .number(let th, _) = f.fact("threshold") { facts.append(ReportFact("cap", .count(max(1, Int(th.rounded(.down)))))) }
                title = "Cap your trades per day"
                detail = "Stop for the day after {cap} trades: on the {heavy_days} days above that you netted {heavy_average_per_day} a day against {other_average_per_day} on the others."
            case .tilt:
                title = "Stop after a losing streak"
                detail = "End the day after {loss_streak} losses in a row: the {count} trades taken after such streaks netted {net_pnl}."
            case .dispositionEffect:
                title = "Cut losers as fast as you take winners"
                detail = "Decide the exit before the entry and close losers at the stop: losers stayed open {ratio}× as long as winners, and those held past your average winner's {winner_hold} netted {held_losers_pnl}."
            case .stopDiscipline:
                title = "Honour your stops"
                detail = "Place the stop order with the entry and do not move it: {count} trades went past {threshold}, costing {saving} beyond the planned loss."
            case .sizeCreep:
                title = "Keep size constant on a streak"
                detail = "Size every trade from your plan, not from recent wins: during win streaks you went up to {peak_multiple}× your median size, and the size above the median netted {extra_size_pnl}."
            case .outsideHours:
                title = "Trade only in your session"
                detail = "Keep entries between {start} and {end}: the {count} trades outside it netted {net_pnl}."
            }
            if f.moneyEffect < 0 {
                costly.append((title, detail, facts))
            } else {
                gains.append((title, detail + " These trades made money this time; the rule is there for the times they do not.", facts))
            }
        }
        var leaks: [Item] = [], strengths: [Item] = []
        for o in opportunities {
            switch o.kind {
            case .leak:
                leaks.append((title(o.dimension, .leak), phrase(o.dimension) + " netted {net_pnl} over {trades} trades: trade them smaller or pause them until you find what goes wrong.", o.sentence.facts))
            case .strength:
                strengths.append((title(o.dimension, .strength), phrase(o.dimension) + " earned {expectancy} per trade against {overall_expectancy} overall: look for more of these.", o.sentence.facts))
            }
        }
        var out = costly + leaks + gains + strengths
        if out.isEmpty {
            let n = a.metrics.headline.trades
            out.append(n == 0
                ? ("Start journaling", "Record every closed trade with its stop and a tag for the setup; the report needs trades to find patterns.", [])
                : ("Keep your process", "No behavioural pattern was detected in {trades} trades; keep recording stops and tags so the next report can compare more.", [ReportFact("trades", .count(n))]))
        }
        return out.prefix(cfg.maxActions).enumerated().map { i, item in
            Action(title: ReportSentence.fill(item.0, item.2), detail: ReportSentence(id: "action_plan.\(i + 1)", template: item.1, facts: item.2))
        }
    }
}
