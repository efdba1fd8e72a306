import Bus

/// The behavioural patterns the journal looks for.
public enum PatternKind: String, Sendable, CaseIterable, Hashable {
    case revengeTrading = "revenge_trading"
    case overtrading
    case tilt
    case dispositionEffect = "disposition_effect"
    case stopDiscipline = "stop_discipline"
    case sizeCreep = "size_creep"
    case outsideHours = "outside_hours"

    public var title: String {
        switch self {
        case .revengeTrading: "Revenge trading"
        case .overtrading: "Overtrading"
        case .tilt: "Tilt"
        case .dispositionEffect: "Disposition effect"
        case .stopDiscipline: "Stop discipline"
        case .sizeCreep: "Size creep"
        case .outsideHours: "Outside planned hours"
        }
    }
}

public enum PatternSeverity: String, Sendable, Comparable {
    case low, medium, high
    var rank: Int { self == .low ? 0 : (self == .medium ? 1 : 2) }
    public static func < (a: PatternSeverity, b: PatternSeverity) -> Bool { a.rank < b.rank }
}

/// The outcome of one pattern rule on a journal.
public struct PatternFinding: Sendable {
    public enum Status: String, Sendable {
        case detected
        case notDetected = "not_detected"
        /// The journal is too small for the rule to mean anything; `reason` says so.
        case insufficientData = "insufficient_data"
        case disabled
    }

    public var kind: PatternKind
    public var status: Status
    /// Why the rule could not run (insufficient data, disabled), as a template over `facts`.
    public var reasonTemplate: String?
    public var reason: String? { reasonTemplate.map { ReportSentence.fill($0, facts) } }
    public var severity: PatternSeverity?
    /// The money the flagged trades account for (see docs/journal.md per pattern);
    /// negative is a cost. 0 when nothing was detected.
    public var moneyEffect: Double = 0
    /// The flagged trades (indices into the journal), in entry order.
    public var trades: [Int32] = []
    /// The numbers behind the finding's sentences.
    public var facts: [ReportFact] = []
    /// Structured evidence beyond the trade list (days, episodes, pairs).
    public var details: [JSONValue.Member] = []
    /// The rule's thresholds as applied.
    public var rule: [ReportFact] = []

    public var detected: Bool { status == .detected }

    public func fact(_ name: String) -> ReportFactValue? { facts.first { $0.name == name }?.value }
}

/// The pattern rules. Each is a pure function of the trade table, the metrics and the
/// configuration, linear or O(n log n) in the number of trades.
public enum PatternDetector {
    public static func detectAll(_ t: TradeTable, _ m: JournalMetrics) -> [PatternFinding] {
        PatternKind.allCases.map { detect($0, t, m) }
    }

    public static func detect(_ kind: PatternKind, _ t: TradeTable, _ m: JournalMetrics) -> PatternFinding {
        let c = t.config
        switch kind {
        case .revengeTrading: return c.revenge.enabled ? revenge(t, m) : disabled(kind)
        case .overtrading: return c.overtrading.enabled ? overtrading(t, m) : disabled(kind)
        case .tilt: return c.tilt.enabled ? tilt(t, m) : disabled(kind)
        case .dispositionEffect: return c.disposition.enabled ? disposition(t, m) : disabled(kind)
        case .stopDiscipline: return c.stopDiscipline.enabled ? stopDiscipline(t, m) : disabled(kind)
        case .sizeCreep: return c.sizeCreep.enabled ? sizeCreep(t, m) : disabled(kind)
        case .outsideHours: return c.session.enabled ? outsideHours(t, m) : disabled(kind, "session hours are not configured")
        }
    }

    static func disabled(_ kind: PatternKind, _ reason: String = "disabled in the configuration", _ facts: [ReportFact] = []) -> PatternFinding {
        PatternFinding(kind: kind, status: .disabled, reasonTemplate: reason, facts: facts)
    }

    /// A rule that cannot mean anything on this journal: the template says why, from facts.
    static func insufficient(_ kind: PatternKind, _ reason: String, _ facts: [ReportFact], rule: [ReportFact]) -> PatternFinding {
        PatternFinding(kind: kind, status: .insufficientData, reasonTemplate: reason, facts: facts, rule: rule)
    }

    /// `high`, `medium` or `low` from the share of the journal's gross loss the money
    /// effect accounts for; a finding that made money is `low`.
    static func severity(_ money: Double, _ m: JournalMetrics, _ c: JournalConfig) -> PatternSeverity {
        let loss = m.headline.grossLoss
        guard money < 0, loss > 0 else { return .low }
        let share = -money / loss
        if share >= c.severity.highShareOfLosses { return .high }
        if share >= c.severity.mediumShareOfLosses { return .medium }
        return .low
    }

    /// Win rate and P&L of a set of trades and of all the others.
    struct Split {
        var count = 0, wins = 0, pnl = 0.0
        var otherCount = 0, otherWins = 0, otherPnL = 0.0
        init(_ t: TradeTable, _ flagged: [Bool]) {
            for i in 0..<t.count {
                if flagged[i] {
                    count += 1; pnl += t.pnl[i]; if t.outcome[i] == 1 { wins += 1 }
                } else {
                    otherCount += 1; otherPnL += t.pnl[i]; if t.outcome[i] == 1 { otherWins += 1 }
                }
            }
        }
        var winRate: ReportFactValue { count > 0 ? .percent(Double(wins) / Double(count)) : .ratio(.undefined) }
        var otherWinRate: ReportFactValue { otherCount > 0 ? .percent(Double(otherWins) / Double(otherCount)) : .ratio(.undefined) }
        var average: ReportFactValue { count > 0 ? .pnl(pnl / Double(count)) : .ratio(.undefined) }
        var otherAverage: ReportFactValue { otherCount > 0 ? .pnl(otherPnL / Double(otherCount)) : .ratio(.undefined) }
    }

    /// The flagged trade indices in entry order.
    static func list(_ t: TradeTable, _ flagged: [Bool]) -> [Int32] {
        var out: [Int32] = []
        for i in t.byEntry where flagged[Int(i)] { out.append(i) }
        return out
    }

    static func ids(_ t: TradeTable, _ indices: some Sequence<Int32>, limit: Int) -> JSONValue {
        var out: [JSONValue] = []
        for i in indices {
            if out.count >= limit { break }
            out.append(.string(t.id(i)))
        }
        return .array(out)
    }

    // MARK: revenge trading

    /// An entry within `windowMinutes` after a losing exit at ≥ `sizeMultiple` × that
    /// trade's size, or any entry within `anyEntryWithinMinutes` after a losing exit.
    static func revenge(_ t: TradeTable, _ m: JournalMetrics) -> PatternFinding {
        let r = t.config.revenge
        let rule: [ReportFact] = [
            ReportFact("window_minutes", .number(r.windowMinutes, decimals: 0)),
            ReportFact("size_multiple", .number(r.sizeMultiple, decimals: 2)),
            ReportFact("any_entry_within_minutes", .number(r.anyEntryWithinMinutes, decimals: 0)),
            ReportFact("minimum_trades", .count(r.minimumTrades)),
        ]
        guard t.count >= r.minimumTrades else {
            return insufficient(.revengeTrading, "revenge trading is compared with your baseline, which needs at least {minimum_trades} trades; the journal has {trades}",
                                [ReportFact("minimum_trades", .count(r.minimumTrades)), ReportFact("trades", .count(t.count))], rule: rule)
        }
        let n = t.count
        let windowNs = Int64(r.windowMinutes * 60e9), anyNs = Int64(r.anyEntryWithinMinutes * 60e9)
        var flagged = [Bool](repeating: false, count: n)
        var trigger = [Int32](repeating: -1, count: n)
        // Losing exits inside the window, sizes increasing from the front: the front is
        // the smallest losing trade the entry could be compared with.
        var deque = [Int32](repeating: 0, count: n)
        var head = 0, tail = 0
        var lastLoss: Int32 = -1
        var p = 0
        for ti in t.byEntry {
            let i = Int(ti)
            let e = t.entry[i], rank = t.entryRank[i]
            while p < n {
                let j = Int(t.byExit[p])
                let x = t.exit[j]
                guard x < e || (x == e && t.entryRank[j] < rank) else { break }
                if t.outcome[j] == -1 {
                    while tail > head && t.size[Int(deque[tail - 1])] >= t.size[j] { tail -= 1 }
                    deque[tail] = Int32(j); tail += 1
                    lastLoss = Int32(j)
                }
                p += 1
            }
            while tail > head && e - t.exit[Int(deque[head])] > windowNs { head += 1 }
            if lastLoss >= 0 && e - t.exit[Int(lastLoss)] <= anyNs {
                flagged[i] = true
                trigger[i] = lastLoss
            } else if tail > head && t.size[i] >= r.sizeMultiple * t.size[Int(deque[head])] {
                flagged[i] = true
                trigger[i] = deque[head]
            }
        }
        let trades = list(t, flagged)
        guard !trades.isEmpty else {
            return PatternFinding(kind: .revengeTrading, status: .notDetected, facts: [ReportFact("trades_checked", .count(n))] + rule, rule: rule)
        }
        let s = Split(t, flagged)
        var pairs: [JSONValue] = []
        for i in trades.prefix(t.config.report.maxEvidenceIds) {
            let j = Int(trigger[Int(i)])
            pairs.append(JournalJSON.object([
                ("trade", .string(t.id(i))), ("after_loss", .string(t.id(j))),
                ("minutes_after", .number((Double(t.entry[Int(i)] - t.exit[j]) / 6e10 * 10).rounded() / 10)),
                ("size_multiple", JournalJSON.number((t.size[Int(i)] / t.size[j] * 100).rounded() / 100)),
            ]))
        }
        return PatternFinding(
            kind: .revengeTrading, status: .detected, severity: severity(s.pnl, m, t.config), moneyEffect: s.pnl, trades: trades,
            facts: [
                ReportFact("count", .count(s.count)), ReportFact("window_minutes", .number(r.windowMinutes, decimals: 0)),
                ReportFact("any_entry_within_minutes", .number(r.anyEntryWithinMinutes, decimals: 0)),
                ReportFact("size_multiple", .number(r.sizeMultiple, decimals: 2)),
                ReportFact("win_rate", s.winRate), ReportFact("baseline_win_rate", s.otherWinRate),
                ReportFact("net_pnl", .pnl(s.pnl)), ReportFact("average_pnl", s.average), ReportFact("baseline_average_pnl", s.otherAverage),
            ],
            details: [JSONValue.Member("pairs", .array(pairs))], rule: rule)
    }

    // MARK: overtrading

    /// Days with more than `multipleOfMedian` × the median number of trades per day.
    static func overtrading(_ t: TradeTable, _ m: JournalMetrics) -> PatternFinding {
        let r = t.config.overtrading
        let rule: [ReportFact] = [ReportFact("multiple_of_median", .number(r.multipleOfMedian, decimals: 2)), ReportFact("minimum_days", .count(r.minimumDays))]
        // Days are contiguous runs in entry order.
        var dayOf: [Int32] = [], counts: [Double] = [], pnls: [Double] = [], starts: [Int] = []
        var k = 0
        while k < t.count {
            let d = t.entryDay[Int(t.byEntry[k])]
            var pnl = 0.0
            let start = k
            while k < t.count, t.entryDay[Int(t.byEntry[k])] == d {
                pnl += t.pnl[Int(t.byEntry[k])]
                k += 1
            }
            dayOf.append(d); counts.append(Double(k - start)); pnls.append(pnl); starts.append(start)
        }
        let days = dayOf.count
        guard days >= r.minimumDays else {
            return insufficient(.overtrading, "overtrading is measured against your median trades per day, which needs at least {minimum_days} trading days; the journal has {days}",
                                [ReportFact("minimum_days", .count(r.minimumDays)), ReportFact("days", .count(days))], rule: rule)
        }
        let med = journalMedian(counts)!
        let threshold = r.multipleOfMedian * med
        var heavy: [Int] = []
        var heavyPnL = 0.0, otherPnL = 0.0, heavyTrades = 0
        var flagged = [Bool](repeating: false, count: t.count)
        for d in 0..<days {
            if counts[d] > threshold {
                heavy.append(d)
                heavyPnL += pnls[d]
                heavyTrades += Int(counts[d])
                for q in starts[d]..<(starts[d] + Int(counts[d])) { flagged[Int(t.byEntry[q])] = true }
            } else {
                otherPnL += pnls[d]
            }
        }
        guard !heavy.isEmpty else {
            return PatternFinding(kind: .overtrading, status: .notDetected, facts: [
                ReportFact("days", .count(days)), ReportFact("median_per_day", .number(med, decimals: 1)), ReportFact("threshold", .number(threshold, decimals: threshold == threshold.rounded() ? 0 : 1)),
                ReportFact("busiest_day_trades", .count(Int(counts.max() ?? 0))),
            ] + rule, rule: rule)
        }
        let otherDays = days - heavy.count
        var dayList: [JSONValue] = []
        for d in heavy.prefix(t.config.report.maxEvidenceIds) {
            dayList.append(JournalJSON.object([
                ("date", ReportFactValue.day(dayOf[d]).json), ("trades", .number(counts[d])), ("pnl", JournalJSON.number(pnls[d])),
            ]))
        }
        return PatternFinding(
            kind: .overtrading, status: .detected, severity: severity(heavyPnL, m, t.config), moneyEffect: heavyPnL,
            trades: list(t, flagged),
            facts: [
                ReportFact("heavy_days", .count(heavy.count)), ReportFact("days", .count(days)),
                ReportFact("median_per_day", .number(med, decimals: 1)), ReportFact("threshold", .number(threshold, decimals: threshold == threshold.rounded() ? 0 : 1)),
                ReportFact("multiple_of_median", .number(r.multipleOfMedian, decimals: 2)), ReportFact("heavy_trades", .count(heavyTrades)), ReportFact("heavy_pnl", .pnl(heavyPnL)),
                ReportFact("heavy_average_per_day", .pnl(heavyPnL / Double(heavy.count))),
                ReportFact("other_average_per_day", otherDays > 0 ? .pnl(otherPnL / Double(otherDays)) : .ratio(.undefined)),
            ],
            details: [JSONValue.Member("heavy_day_list", .array(dayList))], rule: rule)
    }

    // MARK: tilt

    /// `lossStreak` or more losses in a row (by exit), followed by more entries the same
    /// day (the day of the streak's latest exit, from that exit on).
    static func tilt(_ t: TradeTable, _ m: JournalMetrics) -> PatternFinding {
        let r = t.config.tilt
        let rule: [ReportFact] = [ReportFact("loss_streak", .count(r.lossStreak))]
        guard t.count > r.lossStreak else {
            return insufficient(.tilt, "tilt needs more than {loss_streak} trades; the journal has {trades}",
                                [ReportFact("loss_streak", .count(r.lossStreak)), ReportFact("trades", .count(t.count))], rule: rule)
        }
        let n = t.count
        var flagged = [Bool](repeating: false, count: n)
        var streak = 0
        var streakStart = 0
        var scannedDay: Int32 = .min
        var episodes: [JSONValue] = []
        var episodeCount = 0
        var streaks = 0
        for k in 0..<n {
            let i = Int(t.byExit[k])
            if t.outcome[i] != -1 {
                streak = 0
                continue
            }
            if streak == 0 { streakStart = k }
            streak += 1
            guard streak >= r.lossStreak else { continue }
            if streak == r.lossStreak { streaks += 1 }
            let x = t.exit[i]
            let day = t.exitDay[i]
            if day == scannedDay { continue } // an earlier trigger that day already covered the rest of the day
            // First entry at or after the exit, then the rest of that day.
            var lo = 0, hi = n
            while lo < hi {
                let mid = (lo + hi) / 2
                if t.entry[Int(t.byEntry[mid])] < x { lo = mid + 1 } else { hi = mid }
            }
            // The trades' ids are kept for the first episodes only (the evidence is capped).
            let keep = episodes.count < 20
            var after: [Int32] = []
            var any = false
            var q = lo
            while q < n, t.entryDay[Int(t.byEntry[q])] == day {
                let j = t.byEntry[q]
                if Int(t.exitRank[Int(j)]) > k && !flagged[Int(j)] {
                    flagged[Int(j)] = true
                    any = true
                    if keep { after.append(j) }
                }
                q += 1
            }
            scannedDay = day
            if any {
                episodeCount += 1
                if keep {
                    let streakIDs = (streakStart...k).map { t.byExit[$0] }
                    episodes.append(JournalJSON.object([
                        ("date", ReportFactValue.day(day).json),
                        ("losing_streak", ids(t, streakIDs, limit: t.config.report.maxEvidenceIds)),
                        ("trades_after", ids(t, after, limit: t.config.report.maxEvidenceIds)),
                    ]))
                }
            }
        }
        let trades = list(t, flagged)
        guard !trades.isEmpty else {
            return PatternFinding(kind: .tilt, status: .notDetected, facts: [ReportFact("losing_streaks", .count(streaks))] + rule, rule: rule)
        }
        let s = Split(t, flagged)
        return PatternFinding(
            kind: .tilt, status: .detected, severity: severity(s.pnl, m, t.config), moneyEffect: s.pnl, trades: trades,
            facts: [
                ReportFact("episodes", .count(episodeCount)), ReportFact("loss_streak", .count(r.lossStreak)), ReportFact("count", .count(s.count)),
                ReportFact("net_pnl", .pnl(s.pnl)), ReportFact("win_rate", s.winRate), ReportFact("baseline_win_rate", s.otherWinRate),
            ],
            details: [JSONValue.Member("episode_list", .array(episodes))], rule: rule)
    }

    // MARK: disposition effect

    /// Average loser hold ÷ average winner hold ≥ `holdRatio`. Winners closed in under
    /// `prematureFraction` × the average winner hold are listed as premature.
    static func disposition(_ t: TradeTable, _ m: JournalMetrics) -> PatternFinding {
        let r = t.config.disposition
        let rule: [ReportFact] = [
            ReportFact("hold_ratio", .number(r.holdRatio, decimals: 2)), ReportFact("premature_fraction", .number(r.prematureFraction, decimals: 2)),
            ReportFact("minimum_winners", .count(r.minimumWinners)), ReportFact("minimum_losers", .count(r.minimumLosers)),
        ]
        let h = m.headline
        guard h.wins >= r.minimumWinners, h.losses >= r.minimumLosers,
              let winHold = m.holding.averageWinnerSeconds, let lossHold = m.holding.averageLoserSeconds else {
            return insufficient(.dispositionEffect, "the disposition effect compares winners with losers and needs at least {minimum_winners} winners and {minimum_losers} losers; the journal has {winners} and {losers}",
                                [ReportFact("minimum_winners", .count(r.minimumWinners)), ReportFact("minimum_losers", .count(r.minimumLosers)),
                                 ReportFact("winners", .count(h.wins)), ReportFact("losers", .count(h.losses))], rule: rule)
        }
        guard winHold > 0 || lossHold > 0 else {
            return insufficient(.dispositionEffect, "every trade was closed the moment it was opened, so holding times cannot be compared", [], rule: rule)
        }
        let ratio = JournalRatio.of(lossHold, winHold)
        let base: [ReportFact] = [
            ReportFact("ratio", .ratio(ratio)), ReportFact("loser_hold", .seconds(lossHold)), ReportFact("winner_hold", .seconds(winHold)),
            ReportFact("threshold", .number(r.holdRatio, decimals: 2)),
        ]
        let fires: Bool
        switch ratio {
        case .value(let v): fires = v >= r.holdRatio
        case .infinite: fires = true
        case .undefined: fires = false
        }
        guard fires else {
            return PatternFinding(kind: .dispositionEffect, status: .notDetected, facts: base, rule: rule)
        }
        var flagged = [Bool](repeating: false, count: t.count)
        var held: [Int32] = [], premature: [Int32] = []
        var heldPnL = 0.0, prematurePnL = 0.0, quickPnL = 0.0, quick = 0
        let cut = r.prematureFraction * winHold
        for ti in t.byEntry {
            let i = Int(ti)
            if t.outcome[i] == -1 {
                if t.hold[i] > winHold {
                    held.append(ti); heldPnL += t.pnl[i]; flagged[i] = true
                } else {
                    quick += 1; quickPnL += t.pnl[i]
                }
            } else if t.outcome[i] == 1 && t.hold[i] < cut {
                premature.append(ti); prematurePnL += t.pnl[i]; flagged[i] = true
            }
        }
        // The money effect: how much more the losers held past the average winner lost
        // than the losers closed sooner did on average; all of their P&L when every
        // loser was held that long (nothing to compare with).
        let money = quick > 0 ? heldPnL - Double(held.count) * (quickPnL / Double(quick)) : heldPnL
        var facts = base + [ReportFact("held_losers", .count(held.count)), ReportFact("held_losers_pnl", .pnl(heldPnL))]
        if quick > 0 {
            facts += [
                ReportFact("held_loser_average", held.isEmpty ? .ratio(.undefined) : .pnl(heldPnL / Double(held.count))),
                ReportFact("quick_losers", .count(quick)), ReportFact("quick_loser_average", .pnl(quickPnL / Double(quick))),
            ]
        }
        facts += [ReportFact("excess_loss", .pnl(money)), ReportFact("premature", .count(premature.count)), ReportFact("premature_hold", .seconds(cut))]
        if !premature.isEmpty {
            facts += [ReportFact("premature_average", .pnl(prematurePnL / Double(premature.count))), ReportFact("average_win", .pnl(h.averageWin ?? 0))]
        }
        let limit = t.config.report.maxEvidenceIds
        return PatternFinding(
            kind: .dispositionEffect, status: .detected, severity: severity(money, m, t.config), moneyEffect: money,
            trades: list(t, flagged),
            facts: facts,
            details: [
                JSONValue.Member("held_loser_ids", ids(t, held, limit: limit)),
                JSONValue.Member("premature_winner_ids", ids(t, premature, limit: limit)),
            ], rule: rule)
    }

    // MARK: stop discipline

    /// A realised R below `maximumLossR` on a trade with a stop: the stop was not honoured.
    static func stopDiscipline(_ t: TradeTable, _ m: JournalMetrics) -> PatternFinding {
        let r = t.config.stopDiscipline
        let rule: [ReportFact] = [ReportFact("maximum_loss_r", .r(r.maximumLossR))]
        guard m.risk.tradesWithStop > 0 else {
            return insufficient(.stopDiscipline, "no trade has a stop price, so stop discipline cannot be checked", [], rule: rule)
        }
        var flagged = [Bool](repeating: false, count: t.count)
        var count = 0, excess = 0.0, pnl = 0.0
        var worst = 0.0
        for i in 0..<t.count where !t.risk[i].isNaN {
            let rm = t.pnl[i] / t.risk[i]
            if rm < r.maximumLossR {
                flagged[i] = true
                count += 1
                pnl += t.pnl[i]
                excess += t.pnl[i] + t.risk[i]
                worst = min(worst, rm)
            }
        }
        guard count > 0 else {
            return PatternFinding(kind: .stopDiscipline, status: .notDetected, facts: [
                ReportFact("with_stops", .count(m.risk.tradesWithStop)), ReportFact("worst_r", .r(m.risk.worstR?.value ?? 0)),
            ] + rule, rule: rule)
        }
        return PatternFinding(
            kind: .stopDiscipline, status: .detected, severity: severity(excess, m, t.config), moneyEffect: excess, trades: list(t, flagged),
            facts: [
                ReportFact("count", .count(count)), ReportFact("with_stops", .count(m.risk.tradesWithStop)), ReportFact("threshold", .r(r.maximumLossR)),
                ReportFact("worst_r", .r(worst)), ReportFact("net_pnl", .pnl(pnl)), ReportFact("excess_loss", .pnl(excess)), ReportFact("saving", .money(-excess)),
            ], rule: rule)
    }

    // MARK: size creep

    /// During a win streak of `winStreak` or more (its trades, and the trade that ends it
    /// when that one was opened after the streak began), a size ≥ `sizeMultiple` × the
    /// median size of the journal.
    static func sizeCreep(_ t: TradeTable, _ m: JournalMetrics) -> PatternFinding {
        let r = t.config.sizeCreep
        let rule: [ReportFact] = [
            ReportFact("win_streak", .count(r.winStreak)), ReportFact("size_multiple", .number(r.sizeMultiple, decimals: 2)),
            ReportFact("minimum_trades", .count(r.minimumTrades)),
        ]
        guard t.count >= r.minimumTrades else {
            return insufficient(.sizeCreep, "size creep is measured against your median size, which needs at least {minimum_trades} trades; the journal has {trades}",
                                [ReportFact("minimum_trades", .count(r.minimumTrades)), ReportFact("trades", .count(t.count))], rule: rule)
        }
        let n = t.count
        let baseline = journalMedian(t.size)!
        let limit = r.sizeMultiple * baseline
        var flagged = [Bool](repeating: false, count: n)
        var episodes: [JSONValue] = []
        var episodeCount = 0, streaks = 0
        var extra = 0.0, oversizePnL = 0.0, peak = 0.0, oversize = 0
        var k = 0
        while k < n {
            guard t.outcome[Int(t.byExit[k])] == 1 else { k += 1; continue }
            let start = k
            while k < n, t.outcome[Int(t.byExit[k])] == 1 { k += 1 }
            guard k - start >= r.winStreak else { continue }
            streaks += 1
            // The trade that ended the streak (the next to close: the one a trader sizes up
            // after the wins) counts when it was opened after the streak began, not when it
            // was a position held from before.
            var end = k - 1
            if k < n, t.entry[Int(t.byExit[k])] >= t.entry[Int(t.byExit[start])] { end = k }
            var big: [Int32] = []
            var bigCount = 0
            var peakHere = 0.0
            for q in start...end {
                let i = Int(t.byExit[q])
                peakHere = max(peakHere, t.size[i])
                if t.size[i] >= limit {
                    bigCount += 1
                    if episodes.count < 20 { big.append(Int32(i)) }
                    if !flagged[i] {
                        flagged[i] = true
                        oversize += 1
                        oversizePnL += t.pnl[i]
                        extra += t.pnl[i] * (1 - baseline / t.size[i])
                    }
                }
            }
            if bigCount > 0 {
                episodeCount += 1
                peak = max(peak, peakHere / baseline)
                if episodes.count < 20 {
                    episodes.append(JournalJSON.object([
                        ("streak", ids(t, (start..<k).map { t.byExit[$0] }, limit: t.config.report.maxEvidenceIds)),
                        ("oversize", ids(t, big, limit: t.config.report.maxEvidenceIds)),
                        ("peak_multiple", JournalJSON.number((peakHere / baseline * 100).rounded() / 100)),
                    ]))
                }
            }
        }
        let baselineFact: ReportFactValue = t.config.sizeBasis == .notional ? .money(baseline) : .number(baseline, decimals: 0)
        guard oversize > 0 else {
            return PatternFinding(kind: .sizeCreep, status: .notDetected, facts: [
                ReportFact("streaks", .count(streaks)), ReportFact("baseline_size", baselineFact),
            ] + rule, rule: rule)
        }
        return PatternFinding(
            kind: .sizeCreep, status: .detected, severity: severity(extra, m, t.config), moneyEffect: extra, trades: list(t, flagged),
            facts: [
                ReportFact("episodes", .count(episodeCount)), ReportFact("win_streak", .count(r.winStreak)), ReportFact("count", .count(oversize)),
                ReportFact("baseline_size", baselineFact), ReportFact("peak_multiple", .number(peak, decimals: 2)),
                ReportFact("size_multiple", .number(r.sizeMultiple, decimals: 2)),
                ReportFact("net_pnl", .pnl(oversizePnL)), ReportFact("extra_size_pnl", .pnl(extra)),
            ],
            details: [JSONValue.Member("episode_list", .array(episodes))], rule: rule)
    }

    // MARK: outside planned hours

    /// Entries before the session start, at or after its end, or (unless weekends are
    /// planned) on a Saturday or Sunday — on the trader's clock.
    static func outsideHours(_ t: TradeTable, _ m: JournalMetrics) -> PatternFinding {
        let c = t.config
        guard let (start, end) = c.sessionMinutes() else {
            return disabled(.outsideHours, "the session hours {start}–{end} are not valid", [ReportFact("start", .text(c.session.start)), ReportFact("end", .text(c.session.end))])
        }
        let rule: [ReportFact] = [ReportFact("start", .clock(start)), ReportFact("end", .clock(end)), ReportFact("weekends", .text(c.session.weekends ? "yes" : "no"))]
        guard t.count > 0 else {
            return insufficient(.outsideHours, "the journal has no trades, so session hours cannot be checked", [], rule: rule)
        }
        // Dates without a time of day (all at midnight) say nothing about hours.
        var timed = false
        for i in 0..<t.count where (t.entry[i] &+ Int64(c.utcOffsetMinutes) * 60_000_000_000) % 86_400_000_000_000 != 0 {
            timed = true
            break
        }
        guard timed || t.count == 0 else {
            return insufficient(.outsideHours, "every entry time is a bare date (midnight), so session hours cannot be checked", [], rule: rule)
        }
        var flagged = [Bool](repeating: false, count: t.count)
        var any = false, weekend = 0
        for i in 0..<t.count {
            let minute = Int(t.entryMinute[i])
            let isWeekend = !c.session.weekends && TradeTable.weekday(day: t.entryDay[i]) >= 6
            if minute < start || minute >= end || isWeekend {
                flagged[i] = true
                any = true
                if isWeekend { weekend += 1 }
            }
        }
        guard any else {
            return PatternFinding(kind: .outsideHours, status: .notDetected, facts: [ReportFact("trades_checked", .count(t.count))] + rule, rule: rule)
        }
        let s = Split(t, flagged)
        return PatternFinding(
            kind: .outsideHours, status: .detected, severity: severity(s.pnl, m, c), moneyEffect: s.pnl, trades: list(t, flagged),
            facts: [
                ReportFact("count", .count(s.count)), ReportFact("start", .clock(start)), ReportFact("end", .clock(end)), ReportFact("weekend", .count(weekend)),
                ReportFact("net_pnl", .pnl(s.pnl)), ReportFact("win_rate", s.winRate), ReportFact("baseline_win_rate", s.otherWinRate),
            ], rule: rule)
    }
}
