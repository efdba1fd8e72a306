import Foundation
import Testing
@testable import Node
import Bus

/// Every validation rule of topology.json, each with its exact message (JSON path first).
@Suite struct TopologyValidationTests {
    static let root = FileManager.default.currentDirectoryPath

    /// A valid one-node topology; `edit` changes it before it is validated.
    static func problems(_ edit: (inout [String: Any]) -> Void) throws -> [String] {
        var t: [String: Any] = [
            "bus": ["kind": "memory"],
            "market": ["mode": "backtest", "symbols": ["GOOG"], "data": [["file": root + "/data/GOOG.csv", "symbol": "GOOG"]]],
            "agents": ["orchestrator": ["weights": ["technical": 0.5, "sentiment": 0.2, "risk": 0.3]]],
            "nodes": [["name": "main", "agents": ["market-data", "technical", "sentiment", "risk", "orchestrator", "portfolio", "execution", "journal"]]],
        ]
        edit(&t)
        let text = String(decoding: try JSONSerialization.data(withJSONObject: t, options: [.sortedKeys]), as: UTF8.self)
        let json = try ConfigReader.parse(text, file: "t.json")
        return TopologyLoader.decode(json, file: root + "/t.json").1.map(\.description)
    }

    static var split: [[String: Any]] { [
        ["name": "feed", "agents": ["market-data", "sentiment"]],
        ["name": "signals", "agents": ["technical", "risk"]],
        ["name": "core", "agents": ["orchestrator", "portfolio", "execution", "journal"]],
    ] }

    @Test func theBaseTopologyIsValid() throws {
        #expect(try Self.problems { _ in } == [])
        #expect(try Self.problems { $0["nodes"] = Self.split; $0["bus"] = ["kind": "redis", "url": "redis://127.0.0.1:6379", "prefix": "a."] } == [])
    }

    @Test func unknownKeysNameTheirPathWithASuggestion() throws {
        #expect(try Self.problems { t in
            var m = t["market"] as! [String: Any]
            m["modee"] = "live"
            t["market"] = m
        } == ["market.modee: unknown key (did you mean \"mode\"?)"])
        #expect(try Self.problems { $0["nodez"] = [] } == ["nodez: unknown key (did you mean \"nodes\"?)"])
    }

    @Test func unknownAgentsAreNamedWithTheirIndex() throws {
        let p = try Self.problems { t in
            t["nodes"] = [["name": "main", "agents": ["market-data", "technical", "sentimnet", "risk", "orchestrator", "portfolio", "execution", "journal"]]]
        }
        #expect(p.first == "nodes[0].agents[2]: unknown agent \"sentimnet\" (did you mean \"sentiment\"?)")
    }

    @Test func anAgentPlacedTwiceOrNowhereIsRefused() throws {
        var nodes = Self.split
        nodes[2]["agents"] = ["orchestrator", "portfolio", "execution", "journal", "risk"]
        let twice = try Self.problems { $0["nodes"] = nodes; $0["bus"] = ["kind": "redis", "url": "redis://127.0.0.1:6379"] }
        #expect(twice == ["nodes[2].agents[4]: agent \"risk\" is already placed in node \"signals\"; every agent runs in exactly one node"])

        let nowhere = try Self.problems { $0["nodes"] = [["name": "main", "agents": ["market-data", "technical", "sentiment", "risk", "orchestrator", "portfolio", "journal"]]] }
        #expect(nowhere.first == "nodes: agent \"execution\" is placed in no node")
    }

    @Test(arguments: [
        (["technical": -0.1, "sentiment": 0.5, "risk": 0.3], "agents.orchestrator.weights.technical: weight of \"technical\" is -0.1: weights must be finite and ≥ 0"),
        (["technical": 0, "sentiment": 0, "risk": 0], "agents.orchestrator.weights: weights must sum to a positive number"),
    ] as [([String: Double], String)])
    func weightsMustBeNonNegativeWithAPositiveSum(weights: [String: Double], message: String) throws {
        #expect(try Self.problems { $0["agents"] = ["orchestrator": ["weights": weights]] } == [message])
    }

    @Test func aBadThresholdIsNamedByItsField() throws {
        let found = try Self.problems { $0["agents"] = ["orchestrator": ["entryThreshold": 1.5]] }
        #expect(found == ["agents.orchestrator.entryThreshold: entryThreshold 1.5 must be in (0, 1]"])
    }

    /// Foundation's decoder says only "not valid JSON" for a number that does not fit an
    /// integer field; the message names the key.
    @Test func aNumberThatDoesNotFitItsFieldIsNamed() throws {
        #expect(try Self.problems { $0["agents"] = ["technical": ["maCross": ["fast": 2.5]]] }
            == ["agents.technical.maCross.fast: expected a whole number (at most 19 digits), found 2.5"])
        #expect(try Self.problems { $0["agents"] = ["journal": ["reportEvery": 1e20]] }
            == ["agents.journal.reportEvery: expected a whole number (at most 19 digits), found 1e+20"])
    }

    /// A period beyond what the indicators keep is refused, not allocated (or overflowed).
    @Test func strategyPeriodsHaveAnUpperBound() throws {
        #expect(try Self.problems { $0["agents"] = ["technical": ["bollinger": ["period": 100_001]]] }
            == ["agents.technical: bollinger.period must be at most 100000, got 100001"])
        #expect(try Self.problems { $0["agents"] = ["technical": ["maCross": ["fast": 20, "slow": 10_000_000_000]]] }
            == ["agents.technical: maCross.slow must be at most 100000, got 10000000000"])
        #expect(try Self.problems { $0["agents"] = ["technical": ["rsi": ["period": 4_611_686_018_427_387_904]]] }.count == 1)
        #expect(try Self.problems { $0["agents"] = ["technical": ["macd": ["signal": 200_000]]] }.count == 1)
        #expect(try Self.problems { $0["agents"] = ["technical": ["bollinger": ["period": 100_000]]] } == [])
    }

    /// Settings that cannot take effect as written are refused, not ignored.
    @Test(arguments: [
        (#"{"execution": {"commission": {"rate": 0.001}}}"#,
         "agents.execution.commission.kind: missing or none, so the rate and minimum given are not charged: set kind to percent, per-share or fixed"),
        (#"{"execution": {"commission": {"kind": "none", "minimum": 1}}}"#,
         "agents.execution.commission.kind: missing or none, so the rate and minimum given are not charged: set kind to percent, per-share or fixed"),
        (#"{"execution": {"commission": {"kind": "fixed", "rate": 4.95, "minimum": 1}}}"#,
         "agents.execution.commission.minimum: not used by the fixed kind (the fee is the rate per fill): remove it, or choose percent or per-share"),
        (#"{"orchestrator": {"allowShort": true}}"#,
         "agents.orchestrator.allowShort: true while agents.portfolio.allowShort is false: the portfolio would deny every short entry; set agents.portfolio.allowShort (it enables both)"),
    ])
    func settingsWithoutEffectAreRefused(agents: String, message: String) throws {
        let value = try JSONSerialization.jsonObject(with: Data(agents.utf8))
        #expect(try Self.problems { $0["agents"] = value } == [message])
    }

    /// Both ends of a range and the value in one style (was "1e+16 … 1000000000000000.0").
    @Test func rangesAreWrittenAlike() throws {
        #expect(try Self.problems { $0["agents"] = ["portfolio": ["initialCash": 1e16]] }
            == ["agents.portfolio.initialCash: 10000000000000000 is out of range 0.01…1000000000000000"])
    }

    @Test func settingsWithEffectPass() throws {
        #expect(try Self.problems { $0["agents"] = ["execution": ["commission": ["kind": "per-share", "rate": 0.005, "minimum": 1]]] } == [])
        #expect(try Self.problems { $0["agents"] = ["execution": ["commission": ["kind": "fixed", "rate": 4.95]]] } == [])
        #expect(try Self.problems { $0["agents"] = ["portfolio": ["allowShort": true], "orchestrator": ["allowShort": true]] } == [])
        #expect(try Self.problems { $0["agents"] = ["portfolio": ["allowShort": true]] } == [])
    }

    /// Every output its own file: no silent overwrite, no output named as its folder.
    @Test func outputsNeedFilesOfTheirOwn() throws {
        let out = Self.root + "/out"
        #expect(try Self.problems { $0["outputs"] = ["trades": "x.csv", "equity": "./x.csv"] }
            == ["outputs: the trades and equity outputs would both write \(out)/x.csv"])
        #expect(try Self.problems { $0["outputs"] = ["report": "journal.md"] }
            == ["outputs: the report and journal's Markdown outputs would both write \(out)/journal.md"])
        #expect(try Self.problems { $0["outputs"] = ["trades": ""] }
            == ["outputs.trades: \"\" is not a file name (null writes no trades file)"])
        #expect(try Self.problems { $0["outputs"] = ["trades": NSNull(), "equity": "trades.csv"] } == [])
    }

    @Test func theJournalsCadenceIsChecked() throws {
        #expect(try Self.problems { $0["agents"] = ["journal": ["reportEvery": 10, "reportGrowth": 0.25]] } == [])
        #expect(try Self.problems { $0["agents"] = ["journal": ["reportGrowth": -0.5]] }
            == ["agents.journal.reportGrowth: -0.5 must be a finite number ≥ 0 (0: every reportEvery trades)"])
        #expect(try Self.problems { $0["agents"] = ["journal": ["reportEvery": -1]] }
            == ["agents.journal.reportEvery: -1 must be ≥ 0 (0: only at the end of the run)"])
    }

    @Test func aMultiNodeTopologyNeedsARedisURL() throws {
        #expect(try Self.problems { $0["nodes"] = Self.split; $0["bus"] = ["kind": "redis"] } == ["bus.url: missing: a topology with 3 nodes needs the Redis URL"])
        #expect(try Self.problems { $0["nodes"] = Self.split }.contains("bus.kind: 3 nodes need the redis bus to talk to each other"))
    }

    @Test func redisSettingsAreReadAndChecked() throws {
        #expect(try Self.problems { $0["nodes"] = Self.split; $0["bus"] = ["kind": "redis", "url": "redis://127.0.0.1:6379", "whenDisconnected": "fail", "connectTimeout": 0.5] } == [])
        let json = try ConfigReader.parse(#"{"bus": {"kind": "redis", "url": "redis://h:1", "whenDisconnected": "fail", "maxMessageBytes": 4096}, "nodes": [{"name": "main", "agents": ["technical", "risk", "orchestrator", "portfolio", "execution"]}]}"#, file: "t.json")
        let (t, _) = TopologyLoader.decode(json, file: "t.json", checkFiles: false)
        let c = try t.bus.redisConfiguration(url: "redis://h:1", prefix: "p.")
        #expect(c.whenDisconnected == .fail && c.maxMessageBytes == 4096 && c.prefix == "p." && c.url.host == "h")
        #expect(try Self.problems { $0["bus"] = ["kind": "memory", "readTimeout": -1] } == ["bus: redis readTimeout -1.0 is outside 0.001…3600.0 seconds"])
        #expect(try Self.problems { $0["bus"] = ["kind": "memory", "conectTimeout": 1] } == ["bus.conectTimeout: unknown key (did you mean \"connectTimeout\"?)"])
    }

    /// What `agora node` would refuse, `check` refuses, by field.
    @Test func redisURLsAndPrefixesAreCheckedAsANodeChecksThem() throws {
        func redis(_ bus: [String: Any]) throws -> [String] { try Self.problems { $0["nodes"] = Self.split; $0["bus"] = bus } }
        #expect(try redis(["kind": "redis", "url": "redis://127.0.0.1:notaport"])
            == ["bus.url: redis URL \"redis://127.0.0.1:notaport\": port \"notaport\" is not a number in 1…65535"])
        #expect(try redis(["kind": "redis", "url": "redis://127.0.0.1:6379", "prefix": "a b"])
            == ["bus.prefix: redis prefix \"a b\" contains a space or control character (U+20)"])
        #expect(try redis(["kind": "redis", "url": "redis://127.0.0.1:6379", "whenDisconnected": "panic"])
            == ["bus.whenDisconnected: expected one of wait, fail, got \"panic\""])
        #expect(try Self.problems { t in
            var nodes = Self.split
            nodes[0]["name"] = ""
            t["nodes"] = nodes
            t["bus"] = ["kind": "redis", "url": "redis://127.0.0.1:6379"]
        }.first == "nodes[0].name: empty: a node needs a name")
    }

    @Test func filePathsAreRelativeToTheTopologysFolder() throws {
        let json = try ConfigReader.parse(#"""
            {"agents": {"sentiment": {"lexicon": {"path": "lex/vader.txt"}, "llm": {"baseURL": "http://h:1/v1", "model": "m", "cacheFile": "cache.jsonl"}},
                        "journal": {"llm": {"baseURL": "http://h:1/v1", "model": "m", "cacheFile": "/abs/j.jsonl"}}}}
            """#, file: "t.json")
        let (t, _) = TopologyLoader.decode(json, file: "/srv/agora/t.json", checkFiles: false)
        #expect(t.sentiment.lexicon?.path == "/srv/agora/lex/vader.txt")
        #expect(t.sentiment.llm?.cacheFile == "/srv/agora/cache.jsonl")
        #expect(t.journalLLM?.cacheFile == "/abs/j.jsonl")
    }

    @Test func unreadableDataFilesAreNamed() throws {
        let p = try Self.problems { t in
            var m = t["market"] as! [String: Any]
            m["data"] = [["file": "/nonexistent/GOOG.csv", "symbol": "GOOG"]]
            t["market"] = m
        }
        #expect(p == ["market.data[0].file: cannot read \"/nonexistent/GOOG.csv\" (resolved to /nonexistent/GOOG.csv)"])
    }

    @Test func everyProblemIsReportedNotJustTheFirst() throws {
        let p = try Self.problems { t in
            t["bus"] = ["kind": "redis"]
            t["nodes"] = Self.split
            t["agents"] = ["orchestrator": ["weights": ["technical": -1]]]
        }
        #expect(p.count >= 2)
    }

    @Test func checkCommandExitsOneOnABadTopologyAndZeroOnTheRepoOne() async throws {
        let bad = NSTemporaryDirectory() + "agora-check-\(getpid()).json"
        try #"{"bus": {"kind": "memory"}, "nodes": [{"name": "main", "agents": ["sentimnet"]}]}"#.write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(await CommandRegistry.main(["check", bad]) == 1)
        #expect(await CommandRegistry.main(["check", "topology.json"]) == 0)
        #expect(await CommandRegistry.main(["check", "examples/sma-cross.json"]) == 0)
    }
}
