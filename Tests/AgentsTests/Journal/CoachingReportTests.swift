import Testing
@testable import Agents
import Bus

/// The report: its JSON shape, that every number in its prose comes from computed facts,
/// the Markdown rendering, and the guarded rephrasing.
@Suite struct CoachingReportTests {
    static func report(_ trades: [JournalTrade], _ config: JournalConfig = JournalConfig()) -> CoachingReport {
        JournalAnalysis(trades, config: config).report(source: JournalSource(name: "test.csv", format: "journal", rows: trades.count))
    }

    static let journals: [(String, [JournalTrade])] = [
        ("clean", SyntheticJournal.generate(.init(trades: 400, seed: 1))),
        ("all", SyntheticJournal.generate(.init(trades: 1500, seed: 2, inject: Set(PatternKind.allCases)))),
        ("small", Array(SyntheticJournal.generate(.init(trades: 12, seed: 3, inject: [.tilt])))),
        ("metrics", JournalMetricsTests.journal),
        ("empty", []),
    ]

    @Test func topLevelKeysAreExactlyTheDocumentedOnes() {
        for (_, trades) in Self.journals {
            let json = Self.report(trades).json
            #expect(json.objectValue!.map(\.key) == ["performance_overview", "behavioural_patterns", "opportunities", "action_plan", "metrics", "evidence"])
            #expect(json["performance_overview"]!.objectValue!.map(\.key) == ["summary", "key_metrics"])
            for a in json["action_plan"]!.arrayValue! { #expect(a.objectValue!.map(\.key) == ["title", "detail"]) }
            #expect(json["behavioural_patterns"]!.arrayValue!.count == PatternKind.allCases.count)
        }
    }

    /// The guarantee behind "every number comes from the facts": templates hold no digits,
    /// every placeholder has a fact, and each sentence's evidence holds its facts.
    @Test func everyNumberInTheProseComesFromFacts() {
        for (name, trades) in Self.journals {
            let r = Self.report(trades)
            #expect(!r.sentences.isEmpty)
            let evidence = r.json["evidence"]!
            for s in r.sentences {
                #expect(!s.template.contains(where: { $0.isASCII && $0.isNumber }), "\(name): \(s.id): digits in the template: \(s.template)")
                for p in ReportSentence.placeholders(s.template) {
                    #expect(s.facts.contains { $0.name == p }, "\(name): \(s.id): no fact for {\(p)}")
                }
                #expect(!s.text.contains("?}"))
                #expect(s.text == ReportSentence.fill(s.template, s.facts))
                let filed = evidence[s.id]
                let keys = filed?.objectValue?.map(\.key) ?? []
                #expect(Set(keys).count == keys.count, "\(name): \(s.id): repeated evidence keys \(keys)")
                #expect(filed != nil, "\(name): no evidence for \(s.id)")
                for f in s.facts { #expect(filed?[f.name] == f.value.json, "\(name): \(s.id).\(f.name)") }
            }
            for a in r.actions { #expect(!a.title.contains("?}")) }
        }
    }

    /// Advice never puts money made ahead of money lost: patterns whose flagged trades made
    /// money come after every leak in the action plan, say so, and are never called the
    /// most serious (the coach told traders to stop what had paid, ahead of a larger leak).
    @Test func patternsThatMadeMoneyComeAfterTheLeaks() {
        var sawGain = false, sawGainAfterLeak = false
        for seed in 1...12 {
            for perDay in [2, 4, 8] {
                let trades = SyntheticJournal.generate(.init(trades: 400, seed: UInt64(seed), inject: Set(PatternKind.allCases), tradesPerDay: perDay))
                var config = JournalConfig()
                config.report.maxActions = 20
                let r = Self.report(trades, config)
                let kinds = r.actions.map { a -> String in
                    if a.detail.text.contains("made money this time") { return "gain" }
                    if a.detail.text.contains("trade them smaller") { return "leak" }
                    return "other"
                }
                if let lastLeak = kinds.lastIndex(of: "leak"), let firstGain = kinds.firstIndex(of: "gain") {
                    #expect(lastLeak < firstGain, "seed \(seed): \(kinds)")
                    sawGainAfterLeak = true
                }
                sawGain = sawGain || kinds.contains("gain")
                for f in r.patterns.map(\.finding) where f.detected && f.moneyEffect >= 0 {
                    #expect(!r.summary.text.contains("most serious is \(f.kind.title.lowercased())"), "seed \(seed): \(r.summary.text)")
                }
                if case .pnl(let worst)? = r.summary.facts.first(where: { $0.name == "worst_effect" })?.value {
                    #expect(worst < 0, "seed \(seed): \(r.summary.text)")
                }
            }
        }
        #expect(sawGain && sawGainAfterLeak, "the journals exercise the ordering")
    }

    /// Every trade a winner: a pattern found in them cost nothing, and the summary says so
    /// instead of calling it the most serious.
    @Test func aPatternThatCostNothingIsNotCalledSerious() {
        let trades = SyntheticJournal.generate(.init(trades: 400, seed: 5, inject: [.outsideHours])).map { t -> JournalTrade in
            var w = t
            w.pnl = Swift.abs(t.pnl) + 1
            return w
        }
        let r = Self.report(trades)
        #expect(r.patterns.contains { $0.finding.kind == .outsideHours && $0.finding.detected })
        #expect(r.summary.text.contains("was detected, and it cost no money here.") || r.summary.text.contains("and none of them cost money here."), "\(r.summary.text)")
        #expect(!r.summary.text.contains("most serious"))
    }

    @Test func durationsUnderTenMinutesKeepTheirFraction() {
        #expect(JournalFormat.duration(450) == "7.5 min")
        #expect(JournalFormat.duration(480) == "8 min")
        #expect(JournalFormat.duration(1200) == "20 min")
        #expect(JournalFormat.duration(45) == "45 s")
    }

    /// One trade reads as one: no "All 1 trades", no "all 1 win streak"; patterns that were
    /// not assessed have no money effect (null), not 0.
    @Test func oneTradeJournalsReadRight() {
        let one = Array(SyntheticJournal.generate(.init(trades: 1, seed: 1)))
        let r = Self.report(one)
        for s in r.sentences { #expect(!s.text.contains("All 1 ") && !s.text.contains("all 1 "), "\(s.id): \(s.text)") }
        for p in r.json["behavioural_patterns"]!.arrayValue! {
            let assessed = p["status"] == .string("detected") || p["status"] == .string("not_detected")
            #expect((p["money_effect"] == .null) == !assessed, "\(p["pattern"]!): \(p["money_effect"]!)")
        }
    }

    @Test func summaryOfTheHandComputedJournal() {
        let r = Self.report(JournalMetricsTests.journal)
        #expect(r.summary.text.hasPrefix("8 trades from 2024-01-08 to 2024-01-12: net P&L +47.00 after 3.00 in fees, win rate 50.0%, profit factor 1.24, expectancy +5.88 per trade."))
        #expect(r.headline == "8 trades, win rate 50.0%, profit factor 1.24, net P&L +47.00")
        let km = Dictionary(uniqueKeysWithValues: r.keyMetrics.map { ($0.name, $0) })
        #expect(km["profit_factor"]?.value == .number(1.235))
        #expect(km["max_consecutive_losses"]?.display == "1")
        #expect(km["average_hold_losers"]?.display == "65 min")
        #expect(km["sqn"]?.value == .null)
        #expect(km["sqn"]?.note == "SQN needs at least 30 trades; the journal has 8")
        #expect(km["max_drawdown"]?.display == "150.00")
    }

    @Test func infiniteProfitFactorIsShownAndEncodedAsDocumented() {
        let trades = [pnlTrade(1, pnl: 30, minute: 600), pnlTrade(2, pnl: 5, minute: 620)]
        let r = Self.report(trades)
        #expect(r.summary.text.contains("profit factor ∞ (no losing trades)"))
        let json = r.json
        #expect(json["metrics"]!["headline"]!["profit_factor"] == .string("infinity"))
        let pf = json["performance_overview"]!["key_metrics"]!.arrayValue!.first { $0["name"] == .string("profit_factor") }!
        #expect(pf["value"] == .string("infinity"))
        #expect(pf["display"] == .string("∞"))
        #expect(pf["note"] == .string("no losing trades"))
        #expect(r.markdown.contains("| Profit factor | ∞ (no losing trades) |"))
    }

    @Test func patternsListEvidenceSeverityAndMoney() {
        let r = Self.report(JournalPatternTests.tiltJournal)
        let json = r.json
        let tilt = json["behavioural_patterns"]!.arrayValue!.first { $0["pattern"] == .string("tilt") }!
        #expect(tilt["status"] == .string("detected"))
        #expect(tilt["severity"] == .string("low"))
        #expect(tilt["money_effect"] == .number(25))
        #expect(tilt["trade_ids"] == .array([.string("4")]))
        #expect(tilt["rule"]!["loss_streak"] == .number(3))
        #expect(tilt["finding"] == .string("On 1 occasion you kept trading the same day after 3 or more losses in a row: 1 trade that won 100.0% (against 25.0% otherwise) and netted +25.00."))
        let revenge = json["behavioural_patterns"]!.arrayValue!.first { $0["pattern"] == .string("revenge_trading") }!
        #expect(revenge["status"] == .string("insufficient_data"))
        #expect(revenge["finding"] == .string("Not assessed: revenge trading is compared with your baseline, which needs at least 20 trades; the journal has 9."))
        #expect(json["evidence"]?["behavioural_patterns.tilt"]?["episode_list"]?.arrayValue?.count == 1)
        // Detected findings come first.
        #expect(json["behavioural_patterns"]!.arrayValue![0]["pattern"] == .string("tilt"))
    }

    @Test func evidenceListsAreCapped() {
        var c = JournalConfig()
        c.report.maxEvidenceIds = 3
        let r = Self.report(SyntheticJournal.generate(.init(trades: 600, seed: 4, inject: [.stopDiscipline])), c)
        let stop = r.json["behavioural_patterns"]!.arrayValue!.first { $0["pattern"] == .string("stop_discipline") }!
        #expect(stop["trade_ids"]!.arrayValue!.count == 3)
        #expect(stop["trade_count"]!.doubleValue! > 3)
    }

    @Test func opportunitiesAndActionsFollowTheFacts() {
        let r = Self.report(SyntheticJournal.generate(.init(trades: 1500, seed: 2, inject: Set(PatternKind.allCases))))
        #expect(r.opportunities.count <= 5)
        for o in r.opportunities {
            if o.kind == .leak { #expect(o.moneyEffect > 0) }
        }
        #expect(r.actions.count == 5)
        #expect(r.actions.map(\.title).prefix(1).allSatisfy { !$0.isEmpty })
        // The first actions address the detected patterns, most severe first.
        let firstPattern = r.patterns[0].finding.kind
        let expectedTitle = ["revenge_trading": "Pause after a loss", "overtrading": "Cap your trades per day", "tilt": "Stop after a losing streak",
                             "disposition_effect": "Cut losers as fast as you take winners", "stop_discipline": "Honour your stops",
                             "size_creep": "Keep size constant on a streak", "outside_hours": "Trade only in your session"][firstPattern.rawValue]
        #expect(r.actions[0].title == expectedTitle)
    }

    @Test func emptyJournalStillGivesACompleteReport() {
        let r = Self.report([])
        #expect(r.summary.text == "No closed trades to analyse yet.")
        #expect(r.actions.map(\.title) == ["Start journaling"])
        #expect(r.patterns.allSatisfy { $0.finding.status == .insufficientData || $0.finding.status == .notDetected })
        #expect(r.markdown.contains("## Action plan"))
    }

    @Test func markdownRendersTheSameSentences() {
        let r = Self.report(SyntheticJournal.generate(.init(trades: 500, seed: 6, inject: [.revengeTrading, .outsideHours])))
        let md = r.markdown
        for s in r.sentences { #expect(md.contains(s.text), "\(s.id) missing from the Markdown") }
        #expect(md.contains("### Revenge trading: detected"))
        #expect(md.contains("### By symbol"))
        #expect(md.contains("| Metric | Value |"))
    }

    @Test func prettyJSONParsesBackToTheSameValue() throws {
        let r = Self.report(SyntheticJournal.generate(.init(trades: 300, seed: 9, inject: [.tilt])))
        let pretty = try JSONValue(parsing: r.jsonText(pretty: true))
        let compact = try JSONValue(parsing: r.jsonText(pretty: false))
        #expect(pretty == r.json)
        #expect(compact == r.json)
    }

    // MARK: rephrasing

    struct Rewording: ReportRephraser {
        var change: @Sendable (RephraseItem) -> String
        func rephrase(_ sentences: [RephraseItem]) async throws -> [String] { sentences.map(change) }
    }

    struct Failing: ReportRephraser {
        struct Down: Error, CustomStringConvertible { var description: String { "connection refused" } }
        func rephrase(_ sentences: [RephraseItem]) async throws -> [String] { throw Down() }
    }

    @Test func rephrasingKeepsWordingsThatCarryTheSameNumbers() async {
        var r = Self.report(JournalPatternTests.tiltJournal)
        let before = r.sentences
        let outcome = await r.rephrase(with: Rewording { "Coach's note — " + $0.text })
        #expect(outcome.failure == nil)
        #expect(outcome.rejected.isEmpty)
        #expect(outcome.accepted == before.count)
        #expect(r.summary.text == "Coach's note — " + before[0].text)
        let all = r.sentences.allSatisfy { $0.rephrased }
        #expect(all)
        #expect(r.json["metrics"]!["report"]!["text"] == .string("rephrased"))
        #expect(r.markdown.contains("reworded by a language model"))
    }

    @Test func rephrasingThatChangesANumberIsRejected() async {
        var r = Self.report(JournalPatternTests.tiltJournal)
        let before = r.sentences
        // Rewrites every sentence, but invents a number in the tilt finding.
        let outcome = await r.rephrase(with: Rewording { item in
            item.id == "behavioural_patterns.tilt" ? item.text.replacingOccurrences(of: "+25.00", with: "+35.00") : "Note: " + item.text
        })
        #expect(outcome.rejected == ["behavioural_patterns.tilt"])
        let tilt = r.patterns.first { $0.finding.kind == .tilt }!.sentence
        #expect(tilt.text == before.first { $0.id == "behavioural_patterns.tilt" }!.text)
        #expect(!tilt.rephrased)
        #expect(r.summary.text.hasPrefix("Note: "))
    }

    @Test func aFailingRephraserLeavesTheTemplate() async {
        var r = Self.report(JournalPatternTests.tiltJournal)
        let before = r.sentences.map(\.text)
        let outcome = await r.rephrase(with: Failing())
        #expect(outcome.failure == "connection refused")
        #expect(r.sentences.map(\.text) == before)
        #expect(r.json["metrics"]!["report"]!["text"] == .string("template"))
        let short = await r.rephrase(with: ShortAnswer())
        #expect(short.failure == "expected \(before.count) sentences, got 1")
        #expect(r.sentences.map(\.text) == before)
    }

    struct ShortAnswer: ReportRephraser {
        func rephrase(_ sentences: [RephraseItem]) async throws -> [String] { ["just one"] }
    }

    @Test(arguments: [
        ("Win rate 52.1% on +1,234.50, worst -1.20R.", "Your win rate was 52.1%; you made 1234.50 and your worst was -1.20R.", true),
        ("Win rate 52.1% on +1,234.50.", "Your win rate was 52.2% on +1,234.50.", false),
        ("Netted -87.00.", "Netted 87.00.", false),
        ("Netted -87.00.", "Made 87.00 and -87.00.", false),
        ("Profit factor ∞ (no losing trades).", "No losing trades, so the profit factor is ∞.", true),
        ("Profit factor ∞ (no losing trades).", "No losing trades.", false),
        ("Held 2.5× as long.", "", false),
    ])
    func rephraseCheck(original: String, rewritten: String, accepted: Bool) {
        #expect(RephraseCheck.accepts(original: original, rewritten: rewritten) == accepted)
    }

    static let factsSentence = "Trades in AAPL netted +2,404.18 over 29 of 300 trades on Monday."

    /// Rewordings of `factsSentence` a QA pass got past the number check: swapped numbers, a
    /// gain turned into a loss, another symbol, dropped word facts, numbers in words or
    /// other digits, markup. The first is a fair rewording.
    @Test(arguments: [
        ("On Monday, your AAPL trades netted +2,404.18 over 29 of 300 trades.", true),
        ("Trades in AAPL netted +2,404.18 over 300 of 29 trades on Monday.", false),
        ("Trades in AAPL netted a loss of 2,404.18 over 29 of 300 trades on Monday.", false),
        ("Trades in TSLA netted +2,404.18 over 29 of 300 trades on Monday.", false),
        ("AAPL +2,404.18 29 300", false),
        ("Trades in AAPL netted +2,404.18 over 29 of 300 trades on Monday, ten thousand times.", false),
        ("Trades in AAPL netted +2,404.18 over 29 of 300 trades on Monday (١٠٠).", false),
        ("Trades in AAPL netted +2,404.18 over 29 of 300 trades on Monday.\n\n# Heading", false),
        ("Trades in AAPL netted +2,404.18 over 29 of 300 trades on Monday <script>x</script>", false),
    ])
    func rephraseCheckWithFacts(rewritten: String, accepted: Bool) {
        let facts = ["AAPL", "+2,404.18", "29", "300", "Monday"]
        #expect(RephraseCheck.accepts(original: Self.factsSentence, rewritten: rewritten, facts: facts) == accepted)
    }
}

import Foundation
