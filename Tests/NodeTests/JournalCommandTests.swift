import Foundation
import Testing
@testable import Node
import Agents
import Bus

/// `agora journal …` end to end: exit codes and the files written.
@Suite(.serialized) struct JournalCommandTests {
    static func temp(_ name: String) -> String {
        let dir = NSTemporaryDirectory() + "agora-journal-cli-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir + "/\(UUID().uuidString.prefix(8))-\(name)"
    }

    static func run(_ args: String...) async -> Int32 { await CommandRegistry.main(args) }

    @Test func analyzeWritesJSONAndMarkdown() async throws {
        let csv = Self.temp("j.csv"), json = Self.temp("r.json"), md = Self.temp("r.md")
        #expect(await Self.run("journal", "generate", csv, "--trades", "300", "--inject", "tilt,outside_hours") == 0)
        #expect(await Self.run("journal", "analyze", csv, "--json", json, "--markdown", md) == 0)
        let report = try JSONValue(parsing: String(contentsOfFile: json, encoding: .utf8))
        #expect(report.objectValue?.map(\.key) == ["performance_overview", "behavioural_patterns", "opportunities", "action_plan", "metrics", "evidence"])
        let detected = report["behavioural_patterns"]?.arrayValue?.filter { $0["detected"] == .bool(true) }.compactMap { $0["pattern"]?.stringValue }
        #expect(Set(detected ?? []) == ["tilt", "outside_hours"])
        #expect(report["metrics"]?["journal"]?["rows"] == .number(300))
        #expect(try String(contentsOfFile: md, encoding: .utf8).hasPrefix("# Trading journal report"))
    }

    @Test func badRowsRefuseTheFileUnlessSkipped() async throws {
        let csv = Self.temp("bad.csv"), json = Self.temp("bad.json")
        try """
            id,symbol,side,quantity,entry_time,entry_price,exit_time,exit_price,fees
            1,AAPL,long,100,2024-01-08T10:00:00Z,10,2024-01-08T10:30:00Z,11,1
            2,AAPL,sideways,100,2024-01-08T11:00:00Z,10,2024-01-08T11:30:00Z,11,1
            3,AAPL,long,100,2024-01-08T12:00:00Z,10,2024-01-08T12:30:00Z,9,1
            """.write(toFile: csv, atomically: true, encoding: .utf8)
        #expect(await Self.run("journal", "analyze", csv, "--json", json) == 1)
        #expect(!FileManager.default.fileExists(atPath: json))
        #expect(await Self.run("journal", "analyze", csv, "--json", json, "--skip-bad-rows") == 0)
        let report = try JSONValue(parsing: String(contentsOfFile: json, encoding: .utf8))
        #expect(report["metrics"]?["journal"]?["skipped_rows"] == .number(1))
        #expect(report["metrics"]?["headline"]?["trades"] == .number(2))
    }

    @Test func executionExportsArePaired() async throws {
        let csv = Self.temp("fills.csv"), json = Self.temp("fills.json")
        #expect(await Self.run("journal", "generate", csv, "--trades", "200", "--format", "executions") == 0)
        #expect(await Self.run("journal", "analyze", csv, "--json", json) == 0)
        let report = try JSONValue(parsing: String(contentsOfFile: json, encoding: .utf8))
        #expect(report["metrics"]?["journal"]?["format"] == .string("executions"))
        #expect(report["metrics"]?["headline"]?["trades"] == .number(200))
    }

    @Test func configurationFiles() async throws {
        let csv = Self.temp("c.csv"), json = Self.temp("c.json"), config = Self.temp("config.json")
        #expect(await Self.run("journal", "generate", csv, "--trades", "300", "--inject", "outside_hours") == 0)
        try #"{"session": {"enabled": false}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        #expect(await Self.run("journal", "analyze", csv, "--json", json, "--config", config) == 0)
        let report = try JSONValue(parsing: String(contentsOfFile: json, encoding: .utf8))
        let outside = report["behavioural_patterns"]?.arrayValue?.first { $0["pattern"] == .string("outside_hours") }
        #expect(outside?["status"] == .string("disabled"))
        try #"{"sesion": {}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        #expect(await Self.run("journal", "analyze", csv, "--config", config) == 1)
        #expect(loadError(config) == "\(config): sesion: unknown key \"sesion\" (did you mean \"session\"?)")
        try #"{"revenge": {"windowMinutes": "thirty"}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        #expect(loadError(config) == "\(config): revenge.windowMinutes: expected a number")
        try #"{"session": {"start": "25:00"}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        #expect(loadError(config) == "\(config): session.start: expected HH:MM, got \"25:00\"")
    }

    func loadError(_ path: String) -> String? {
        do {
            _ = try loadJournalConfig(path)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func addAppendsUnderstoodSentencesAndRefusesOthers() async throws {
        let csv = Self.temp("added.csv")
        #expect(await Self.run("journal", "add", "Long 200 AAPL @ 187.20, out 190.55 stop 185, chased the open #fomo", "--file", csv, "--now", "2024-05-02T15:04:05Z") == 0)
        #expect(await Self.run("journal", "add", "Short", "5", "TSLA", "@", "250", "out", "251", "--file", csv, "--now", "2024-05-02T15:10:00Z") == 0)
        #expect(await Self.run("journal", "add", "Long two AAPL", "--file", csv) == 1)
        #expect(await Self.run("journal", "add", "Long 1 X @ 1 out 2", "--file", csv, "--now", "tomorrow") == 64)
        #expect(await Self.run("journal", "add", "Long 1 X @ 1 out 2", "--file", csv, "--dry-run") == 0)
        let loaded = try JournalFile.load(path: csv)
        #expect(loaded.trades.map(\.id) == ["1", "2"])
        #expect(loaded.trades[0].tags == ["fomo"])
        #expect(loaded.trades[1].exitTime.iso8601 == "2024-05-02T15:10:00Z")
    }

    @Test func usageAndFileErrors() async {
        #expect(await Self.run("journal", "analyze", "/nonexistent/journal.csv") == 1)
        #expect(await Self.run("journal", "analyze", "x.csv", "--format", "xml") == 64)
        #expect(await Self.run("journal", "generate", Self.temp("g.csv"), "--inject", "greed") == 64)
        #expect(await Self.run("journal", "analyze") == 64)
    }

    /// `journal generate` says when the journal it wrote does not carry exactly the patterns
    /// asked for (it printed "with revenge_trading" for a journal in which none can be found).
    @Test func generateSaysWhenTheLayoutCannotCarryWhatWasAsked() {
        func verify(_ n: Int, perDay: Int, _ inject: Set<PatternKind>, seed: UInt64 = 2) -> String? {
            JournalGenerateCommand.verify(SyntheticJournal.generate(.init(trades: n, seed: seed, inject: inject, tradesPerDay: perDay)), injected: inject, perDay: perDay)
        }
        #expect(verify(100, perDay: 1, [.revengeTrading])?.contains("not detectable in it: revenge_trading") == true)
        #expect(verify(400, perDay: 20, [])?.contains("detected without being injected: revenge_trading") == true)
        #expect(verify(400, perDay: 4, Set(PatternKind.allCases)) == nil)
        #expect(verify(400, perDay: 4, [], seed: 1) == nil)
    }
}
