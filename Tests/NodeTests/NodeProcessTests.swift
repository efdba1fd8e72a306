import Foundation
import Testing
import TestSupport
@testable import Node
import Bus
#if canImport(Glibc)
import Glibc
#endif

/// The multi-node paths with real `agora` processes on a real Redis.
@Suite(.serialized) struct NodeProcessTests {
    static let root = FileManager.default.currentDirectoryPath
    static let threeNodes: [(String, [String])] = [
        ("core", ["orchestrator", "portfolio", "execution", "journal"]),
        ("signals", ["technical", "risk"]),
        ("feed", ["market-data", "sentiment"]),
    ]

    static func prefix(_ tag: String) -> String { "agora-nodetest.\(getpid()).\(tag).\(UUID().uuidString.prefix(6))." }

    /// Redis plus one `agora node` per node reproduce `agora run` byte for byte.
    @Test(.timeLimit(.minutes(3)))
    func distributedRunMatchesTheSingleProcessRunByteForByte() async throws {
        let dir = scratchDirectory("parity")
        let topo = dir + "/topology.json"
        try writeTopology(topo, url: try AgoraProcess.redisURL(), prefix: Self.prefix("parity"),
                          data: Self.root + "/data/GOOG.csv", news: Self.root + "/data/GOOG-news-sample.jsonl", nodes: Self.threeNodes)
        var procs: [AgoraProcess] = []
        defer { procs.forEach { $0.stop() } }
        for (name, _) in Self.threeNodes {
            procs.append(try AgoraProcess(name, ["node", name, "--topology", topo, "--outputs", dir + "/dist", "--heartbeat", "0.2", "--log-level", "notice"], dir: dir))
        }
        for p in procs {
            let status = await p.wait(timeout: patience)
            #expect(status == 0, "node \(p.name) exited \(status.map(String.init) ?? "(still running)"): \(p.stderr.suffix(2000))")
        }
        #expect(await CommandRegistry.main(["run", "--topology", topo, "--outputs", dir + "/local", "--log-level", "warning"]) == 0)
        for file in ["trades.csv", "stats.json", "equity.csv", "journal.json"] {
            let a = FileManager.default.contents(atPath: "\(dir)/dist/\(file)")
            let b = FileManager.default.contents(atPath: "\(dir)/local/\(file)")
            #expect(a != nil && a == b, "\(file) differs between the distributed run and agora run")
        }
        let trades = try String(contentsOfFile: dir + "/local/trades.csv", encoding: .utf8).split(separator: "\n").count - 1
        #expect(trades > 10)
    }

    /// SIGKILL one node mid-run: it is reported down within 3 heartbeats, the orchestrator
    /// decides without its votes (recorded as missing), the others go on. Then SIGTERM the
    /// feed: every remaining node finishes what it accepted, writes its reports, exits 0.
    @Test(.timeLimit(.minutes(3)))
    func aKilledNodeIsReportedDownAndTheOthersFinishGracefully() async throws {
        let dir = scratchDirectory("kill")
        let data = dir + "/bars.csv"
        let synth = try AgoraProcess("synth", ["data", "synth", "--bars", "20000", "--seed", "7"], dir: dir)
        #expect(await synth.wait(timeout: patience) == 0)
        try FileManager.default.copyItem(atPath: synth.stdoutPath, toPath: data)
        let topo = dir + "/topology.json"
        let nodes: [(String, [String])] = [
            ("core", ["orchestrator", "portfolio", "execution", "journal"]),
            ("signals", ["technical", "risk"]),
            ("news", ["sentiment"]),
            ("feed", ["market-data"]),
        ]
        try writeTopology(topo, url: try AgoraProcess.redisURL(), prefix: Self.prefix("kill"), data: data, news: nil, nodes: nodes)
        let interval = 0.25
        var procs: [String: AgoraProcess] = [:]
        defer { procs.values.forEach { $0.stop() } }
        for (name, _) in nodes {
            var args = ["node", name, "--topology", topo, "--outputs", dir + "/out", "--heartbeat", String(interval), "--log-format", "json", "--log-level", "info"]
            if name == "core" { args += ["--record", dir + "/core.jsonl"] }
            procs[name] = try AgoraProcess(name, args, dir: dir)
        }
        let core = procs["core"]!
        let decisions = { readLog(dir + "/core.jsonl").compactMap { $0.event(as: Decision.self) } }
        #expect(await eventually { decisions().count >= 100 }, "no decisions: \(core.stderr.suffix(1500))")

        procs["news"]!.signal(SIGKILL)
        let killedAt = Date()
        #expect(await eventually { core.stderr.contains("node news is down") }, "core never reported news down: \(core.stderr.suffix(1500))")
        let line = core.stderr.split(separator: "\n").first { $0.contains("node news is down") }.map(String.init) ?? ""
        let reported = try JSONValue(parsing: line)["time"]?.stringValue.flatMap { try? ISO8601.parse($0) }
        let delay = reported.map { Double($0.nanoseconds) / 1e9 - killedAt.timeIntervalSince1970 } ?? .infinity
        // Within 3 heartbeats of the kill, plus scheduling slack on a loaded CI machine.
        #expect(delay <= 3 * interval + 0.5, "reported down \(delay) s after the kill")

        #expect(await eventually { decisions().suffix(20).allSatisfy { $0.missing == ["sentiment"] } && decisions().count > 150 },
                "decisions after the kill do not record the missing sentiment votes")

        procs["feed"]!.signal(SIGTERM)
        for name in ["feed", "signals", "core"] {
            let p = procs[name]!
            let status = await p.wait(timeout: patience)
            #expect(status == 0, "\(name) exited \(status.map(String.init) ?? "(still running)"): \(p.stderr.suffix(1500))")
        }

        // Nothing accepted was lost: every bar the feed published was decided, every order
        // came to an end, and the reports hold every closed trade.
        let log = readLog(dir + "/core.jsonl")
        let bars = log.filter { $0.type == "bar" }.count
        let end = log.compactMap { $0.event(as: MarketEnd.self) }.first
        let finished = log.compactMap { $0.event(as: RunFinished.self) }.first
        #expect(end != nil && finished != nil)
        #expect(end?.bars == bars)
        #expect(bars < 20000, "the feed should have stopped early")
        #expect(Set(log.compactMap { $0.event(as: Decision.self)?.time }).count == bars)
        let ordered = Set(log.compactMap { $0.event(as: OrderRequest.self)?.orderId })
        var ended = Set<String>()
        for e in log {
            if let f = e.event(as: OrderFilled.self) { ended.insert(f.orderId) }
            if let d = e.event(as: OrderDenied.self) { ended.insert(d.orderId) }
            if let r = e.event(as: OrderRejected.self) { ended.insert(r.orderId) }
            if let c = e.event(as: OrderCancelled.self) { ended.insert(c.orderId) }
        }
        #expect(ordered.isSubset(of: ended), "orders without an outcome: \(ordered.subtracting(ended).sorted())")
        let rows = try String(contentsOfFile: dir + "/out/trades.csv", encoding: .utf8).split(separator: "\n").count - 1
        #expect(rows == finished?.trades)
        #expect(core.stderr.contains("wrote "))
    }

    /// `agora tap` against Redis: patterns, --type, --symbol, --format json, --count.
    @Test(.timeLimit(.minutes(1)))
    func tapFiltersAndFormatsWhatFlowsOnRedis() async throws {
        let dir = scratchDirectory("tap")
        let url = try AgoraProcess.redisURL()
        let prefix = Self.prefix("tap")
        let json = try AgoraProcess("tap-json", ["tap", "--bus", url, "--prefix", prefix, "market.*", "--type", "bar", "--symbol", "AAPL", "--format", "json", "--count", "2"], dir: dir)
        let line = try AgoraProcess("tap-line", ["tap", "--bus", url, "--prefix", prefix, "--count", "3"], dir: dir)
        defer { json.stop(); line.stop() }
        #expect(await eventually { json.stderr.contains("Ctrl-C") && line.stderr.contains("Ctrl-C") })
        let bus = try await RedisBus.connect(url: url, prefix: prefix)
        let pub = Publisher(bus: bus, source: "test/feed")
        func bar(_ s: String, _ close: Double) -> Bar {
            Bar(symbol: s, time: Timestamp(seconds: 1_704_153_600), open: close, high: close + 1, low: close - 1, close: close, volume: 10)
        }
        try await pub.publish(bar("MSFT", 400))
        try await pub.publish(Vote(agent: "risk", symbol: "AAPL", time: .epoch, action: .hold, score: 0, confidence: 0, reason: "calm"))
        try await pub.publish(bar("AAPL", 190))
        try await pub.publish(bar("AAPL", 191))
        await bus.shutdown()

        #expect(await json.wait(timeout: patience) == 0)
        let events = json.stdout.split(separator: "\n").map { try? EventCodec.decode(String($0)) }
        #expect(events.count == 2)
        #expect(events.compactMap { $0?.event(as: Bar.self)?.close } == [190, 191])

        #expect(await line.wait(timeout: patience) == 0)
        let lines = line.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines.first?.contains("market.bar.MSFT  test/feed:1  O 400 H 401 L 399 C 400 V 10") == true, "\(lines)")
        #expect(lines.dropFirst().first?.contains("signal.risk.AAPL") == true)
        #expect(line.stderr.contains("3 events shown; gaps 0, malformed 0"))
    }

    /// The tap's output is live also into a file or a pipe: a line per event as it comes
    /// (it was buffered until exit).
    @Test(.timeLimit(.minutes(1)))
    func tapLinesReachAFileAsTheyCome() async throws {
        let dir = scratchDirectory("tap-live")
        let url = try AgoraProcess.redisURL()
        let prefix = Self.prefix("tap-live")
        let tap = try AgoraProcess("tap", ["tap", "--bus", url, "--prefix", prefix], dir: dir)
        defer { tap.stop() }
        #expect(await eventually { tap.stderr.contains("Ctrl-C") })
        let bus = try await RedisBus.connect(url: url, prefix: prefix)
        try await Publisher(bus: bus, source: "test/feed").publish(
            Bar(symbol: "AAPL", time: Timestamp(seconds: 1_704_153_600), open: 1, high: 1, low: 1, close: 1, volume: 1))
        await bus.shutdown()
        #expect(await eventually(timeout: 10) { tap.stdout.contains("market.bar.AAPL") }, "still running, nothing in the file")
        tap.signal(SIGINT)
        #expect(await tap.wait(timeout: patience) == 0)
    }

    @Test func tapWithoutABusSaysHowToGiveOne() async throws {
        let dir = scratchDirectory("tap-nobus")
        let p = try AgoraProcess("tap", ["tap", "--topology", Self.root + "/topology.json"], dir: dir)
        defer { p.stop() }
        #expect(await p.wait(timeout: patience) == 64)
        #expect(p.stderr.contains("no Redis URL"))
    }
}

/// `agora run` as a real process: SIGINT stops it gracefully, a second signal at once.
@Suite(.serialized) struct RunProcessTests {
    /// The repo's topology, paced (live mode) so the run lasts long enough to be interrupted.
    static func pacedTopology(_ dir: String) throws -> String {
        try repoTopology(dir, name: "paced.json") { market in
            market["mode"] = "live"
            market["speed"] = 86_400 * 100   // 100 days per second: about 30 s for the whole series
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func sigintStopsAfterTheCycleInFlightAndWritesTheReports() async throws {
        let dir = scratchDirectory("run-sigint")
        let topo = try Self.pacedTopology(dir)
        let run = try AgoraProcess("run", ["run", "--topology", topo, "--outputs", dir + "/out", "--record", dir + "/events.jsonl"], dir: dir)
        defer { run.stop() }
        #expect(await eventually { readLog(dir + "/events.jsonl").filter { $0.type == "decision" }.count >= 50 })
        run.signal(SIGINT)
        #expect(await run.wait(timeout: patience) == 0, "\(run.stderr.suffix(1500))")
        #expect(run.stderr.contains("signal 2: stopping"))
        #expect(run.stdout.contains("Wrote: "))
        let log = readLog(dir + "/events.jsonl")
        let bars = log.filter { $0.type == "bar" }.count
        #expect(bars < 2148, "the run should have stopped early")
        #expect(log.compactMap { $0.event(as: MarketEnd.self) }.first?.bars == bars)
        #expect(log.filter { $0.type == "decision" }.count == bars)
        #expect(FileManager.default.fileExists(atPath: dir + "/out/trades.csv"))
    }

    /// An error quoting a 20,000-character CSV field is one readable line: its head (file,
    /// line, field) and its tail, around a count of what is left out (was 20 kB).
    @Test(.timeLimit(.minutes(1)))
    func aHugeRefusedValueIsClippedInTheErrorLine() async throws {
        let dir = scratchDirectory("clip")
        let csv = dir + "/big.csv"
        try ("Date,Open,High,Low,Close,Volume\n2020-01-01,1,1,1," + String(repeating: "Z", count: 20_000) + "!,1\n")
            .write(toFile: csv, atomically: true, encoding: .utf8)
        let run = try AgoraProcess("big", ["backtest", "--data", csv], dir: dir)
        defer { run.stop() }
        #expect(await run.wait(timeout: patience) == 1)
        let line = run.stderr.split(separator: "\n").first { $0.contains("big.csv:2") }.map(String.init) ?? run.stderr
        #expect(line.count < 1_000, "\(line.count) characters")
        #expect(line.hasPrefix("agora backtest: \(csv):2: "))
        #expect(line.contains(" characters not shown] … ZZZ"))
        #expect(line.contains("Z!"))
    }

    @Test func linesAreClippedInTheMiddleOnly() {
        #expect(Console.clipped("short\nlines") == "short\nlines")
        let long = String(repeating: "a", count: 600) + String(repeating: "b", count: 500) + String(repeating: "c", count: 300)
        #expect(Console.clipped("one\n" + long + "\n") == "one\n" + String(repeating: "a", count: 600) + " … [500 characters not shown] … " + String(repeating: "c", count: 300) + "\n")
        let edge = String(repeating: "x", count: Console.maxErrorLine)
        #expect(Console.clipped(edge) == edge)
    }

    @Test(.timeLimit(.minutes(1)))
    func aSecondSignalExitsAtOnce() async throws {
        let dir = scratchDirectory("run-sigint2")
        let topo = try Self.pacedTopology(dir)
        let run = try AgoraProcess("run", ["run", "--topology", topo, "--outputs", dir + "/out", "--record", dir + "/events.jsonl"], dir: dir)
        defer { run.stop() }
        #expect(await eventually { readLog(dir + "/events.jsonl").count >= 50 })
        // Two different signals: two of the same kind sent at once may merge into one.
        run.signal(SIGINT)
        run.signal(SIGTERM)
        #expect(await run.wait(timeout: patience) == 130)
        #expect(run.stderr.contains("second signal, exiting now"))
    }

    /// A signal while the market node waits for the other nodes to come up stops it at
    /// once, exit 0 (it waited out the whole startup timeout and then blamed it).
    @Test(.timeLimit(.minutes(1)))
    func aSignalDuringTheStartupWaitStopsTheNode() async throws {
        let (dir, topo) = try feedAndCoreTopology("node-startup-sigint")
        let feed = try AgoraProcess("feed", ["node", "feed", "--topology", topo, "--outputs", dir + "/out", "--startup-timeout", "600"], dir: dir)
        defer { feed.stop() }
        #expect(await eventually { feed.stderr.contains("node feed up") }, "\(feed.stderr.suffix(1500))")
        let t0 = Date()
        feed.signal(SIGINT)
        #expect(await feed.wait(timeout: 20) == 0, "\(feed.stderr.suffix(1500))")
        #expect(Date().timeIntervalSince(t0) < 15)
        #expect(!feed.stderr.contains("did not come up"))
    }

    /// Events a node accepted but could not hand to Redis before it stopped are lost: the
    /// node says so and exits 1 (it logged an error and exited 0).
    @Test(.timeLimit(.minutes(1)))
    func lostEventsAtShutdownMakeTheExitStatusFail() async throws {
        // A Redis of this test's own, to stop under the node.
        let server = ProcessInfo.processInfo.environment["AGORA_REDIS_SERVER"] ?? "/usr/bin/redis-server"
        let port = try freeLoopbackPort()
        let redis = Process()
        redis.executableURL = URL(fileURLWithPath: server)
        redis.arguments = ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", NSTemporaryDirectory()]
        redis.standardOutput = FileHandle.nullDevice
        try redis.run()
        defer { if redis.isRunning { kill(redis.processIdentifier, SIGKILL) } }
        let (dir, topo) = try feedAndCoreTopology("node-lost", url: "redis://127.0.0.1:\(port)")
        var core: AgoraProcess?
        #expect(await eventually {
            if core == nil || core?.process.isRunning == false { core = try? AgoraProcess("core", ["node", "core", "--topology", topo, "--outputs", dir + "/out"], dir: dir) }
            return core?.stderr.contains("node core up") == true
        }, "\(core?.stderr.suffix(1500) ?? "")")
        guard let core else { return }
        defer { core.stop() }
        kill(redis.processIdentifier, SIGKILL)
        // Heartbeats keep coming while Redis is gone; they wait in the publisher's queue.
        try await Task.sleep(for: .seconds(3))
        core.signal(SIGINT)
        #expect(await core.wait(timeout: 40) == 1, "\(core.stderr.suffix(1500))")
        #expect(core.stderr.contains("could not be sent to redis://127.0.0.1:\(port) before it stopped"), "\(core.stderr.suffix(1500))")
        #expect(!core.stderr.contains("node core is down"), "its own heartbeats missing mean the bus is away, not the node")
    }

    /// One process per node name: a second `agora node core` on the same bus hears the
    /// first one's heartbeat before it starts its agents, and refuses to run (exit 1) instead
    /// of trading a second time under the same source; the first runs on and says so.
    @Test(.timeLimit(.minutes(1)))
    func aSecondProcessUnderOneNodeNameRefusesToRun() async throws {
        let (dir, topo) = try feedAndCoreTopology("node-twice")
        let first = try AgoraProcess("core-1", ["node", "core", "--topology", topo, "--outputs", dir + "/out1"], dir: dir)
        defer { first.stop() }
        #expect(await eventually { first.stderr.contains("node core up") })
        try await Task.sleep(for: .seconds(2.5))
        #expect(!first.stderr.contains("another process"), "alone, its own heartbeats are its own")
        let second = try AgoraProcess("core-2", ["node", "core", "--topology", topo, "--outputs", dir + "/out2"], dir: dir)
        defer { second.stop() }
        #expect(await second.wait(timeout: 20) == 1, "\(second.stderr.suffix(800))")
        #expect(second.stderr.contains("node core already runs in another process on the same bus"), "\(second.stderr.suffix(800))")
        #expect(!second.stderr.contains("node core up"), "it never started its agents")
        #expect(await eventually { first.stderr.contains("another process is starting node core") }, "\(first.stderr.suffix(800))")
        #expect(first.process.isRunning, "the first one runs on")
        #expect(!first.stderr.contains("another process runs node core"), "no false duplicate: the second never ran")
        first.signal(SIGTERM)
        #expect(await first.wait(timeout: 20) == 0, "\(first.stderr.suffix(800))")
    }

    /// Two processes started at once under one name: whichever way their start-up
    /// overlaps, at most one of them runs the node.
    @Test(.timeLimit(.minutes(1)))
    func twoProcessesStartedTogetherUnderOneNameDoNotBothRun() async throws {
        let (dir, topo) = try feedAndCoreTopology("node-twice-together")
        let a = try AgoraProcess("core-a", ["node", "core", "--topology", topo, "--outputs", dir + "/outa"], dir: dir)
        let b = try AgoraProcess("core-b", ["node", "core", "--topology", topo, "--outputs", dir + "/outb"], dir: dir)
        defer { a.stop(); b.stop() }
        // Both have had their start-up window (1.5 heartbeat intervals) by then.
        #expect(await eventually(timeout: 20) { !a.process.isRunning || !b.process.isRunning }, "\(a.stderr.suffix(600)) \(b.stderr.suffix(600))")
        try await Task.sleep(for: .seconds(1))
        let running = [a, b].filter { $0.process.isRunning }
        #expect(running.count <= 1, "\(a.stderr.suffix(600)) \(b.stderr.suffix(600))")
        for p in [a, b] where !p.process.isRunning {
            #expect(p.process.terminationStatus == 1)
            #expect(p.stderr.contains("node names must be unique"), "\(p.stderr.suffix(600))")
        }
        for p in running { p.signal(SIGTERM); #expect(await p.wait(timeout: 20) == 0, "\(p.stderr.suffix(600))") }
    }

    /// The node running risk dies while a position is open and nothing else trades: at the
    /// end of the data the closing order gets no answer. The run used to wait forever; the
    /// node that replayed the data gives it one cycle's time, then fails, naming the node down.
    @Test(.timeLimit(.minutes(2)))
    func aRunWhoseClosingOrderGetsNoAnswerFails() async throws {
        let dir = scratchDirectory("node-end-unanswered")
        let data = dir + "/RISE.csv"
        var csv = "time,open,high,low,close,volume\n"
        let t0 = try ISO8601.parse("2024-01-01T00:00:00Z")
        for i in 0..<6000 {
            let c = i < 100 ? 100 - Double(i) * 0.01 : 99 + Double(i - 100) * 0.01  // down, then up for good
            csv += "\((t0 + .seconds(60 * Int64(i))).iso8601),\(c),\(c + 0.02),\(c - 0.02),\(c),1000\n"
        }
        try csv.write(toFile: data, atomically: true, encoding: .utf8)
        let topo = dir + "/multi.json"
        try writeTopology(topo, url: try AgoraProcess.redisURL(), prefix: "end-\(getpid())-\(UUID().uuidString.prefix(6)).", data: data, news: nil,
                          nodes: [("feed", ["market-data"]), ("signals", ["technical", "risk"]), ("core", ["sentiment", "orchestrator", "portfolio", "execution", "journal"])])
        var t = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: topo))) as! [String: Any]
        var market = t["market"] as! [String: Any]
        market["cycleTimeoutSeconds"] = 3
        t["market"] = market
        var agents = t["agents"] as! [String: Any]
        agents["orchestrator"] = ["weights": ["technical": 1], "entryThreshold": 0.3, "exitThreshold": 0.3]
        agents["risk"] = ["limits": "none"]
        t["agents"] = agents
        try JSONSerialization.data(withJSONObject: t).write(to: URL(fileURLWithPath: topo))
        let flags = ["--topology", topo, "--outputs", dir + "/out", "--heartbeat", "0.2"]
        let events = dir + "/core.jsonl"
        let core = try AgoraProcess("core", ["node", "core", "--record", events] + flags, dir: dir)
        let signals = try AgoraProcess("signals", ["node", "signals"] + flags, dir: dir)
        let feed = try AgoraProcess("feed", ["node", "feed"] + flags, dir: dir)
        defer { core.stop(); signals.stop(); feed.stop() }
        // Bought once, on the cross up, and never sold.
        #expect(await eventually(timeout: 30) { ((try? String(contentsOfFile: events, encoding: .utf8)) ?? "").contains("\"type\":\"order_filled\"") },
                "\(feed.stderr.suffix(600)) \(core.stderr.suffix(600))")
        kill(signals.pid, SIGKILL)
        #expect(await feed.wait(timeout: 60) == 1, "\(feed.stderr.suffix(1500))")
        #expect(feed.stderr.contains("the run did not finish within 3 s (cycleTimeoutSeconds) of the end of the data: an order is still unanswered; nodes down: signals"),
                "\(feed.stderr.suffix(1500))")
        #expect(await core.wait(timeout: 30) == 1, "\(core.stderr.suffix(1500))")
    }

    /// SIGTERM to a node other than the feed in a backtest ends the whole run gracefully: the
    /// node stays, its heartbeat says stopping, the feed ends the data after the cycle in
    /// flight, the portfolio closes what is open, and every node exits 0 with complete
    /// reports (the signalled core left at once, and the feed failed on a cycle timeout).
    @Test(.timeLimit(.minutes(1)))
    func aSignalToAnotherNodeEndsTheBacktestGracefully() async throws {
        let (dir, topo) = try feedAndCoreTopology("node-signal-core")
        let core = try AgoraProcess("core", ["node", "core", "--topology", topo, "--outputs", dir + "/out", "--heartbeat", "0.2"], dir: dir)
        defer { core.stop() }
        #expect(await eventually { core.stderr.contains("node core up") })
        let feed = try AgoraProcess("feed", ["node", "feed", "--topology", topo, "--outputs", dir + "/out", "--heartbeat", "0.2"], dir: dir)
        defer { feed.stop() }
        #expect(await eventually { feed.stderr.contains("node feed up") })
        try await Task.sleep(for: .milliseconds(300))
        core.signal(SIGTERM)
        #expect(await core.wait(timeout: 40) == 0, "\(core.stderr.suffix(1500))")
        #expect(await feed.wait(timeout: 40) == 0, "\(feed.stderr.suffix(1500))")
        #expect(feed.stderr.contains("node core is stopping: the backtest ends after the cycle in flight"), "\(feed.stderr.suffix(1500))")
        #expect(core.stderr.contains("run finished"), "\(core.stderr.suffix(1500))")
        let stats = try String(contentsOfFile: dir + "/out/stats.json", encoding: .utf8)
        #expect(stats.contains("\"equity_final_usd\":"), "\(stats)")
        let bars = try String(contentsOfFile: dir + "/out/equity.csv", encoding: .utf8).split(separator: "\n").count - 1
        #expect(bars > 0 && bars < 2148, "ended early: \(bars) bars")
    }

    /// In a backtest, the node that replays the market data is the run's clock: when it dies,
    /// the other nodes stop with an error once it has been down longer than a cycle may take
    /// (they waited forever).
    @Test(.timeLimit(.minutes(1)))
    func nodesStopWhenTheMarketNodeDiesInABacktest() async throws {
        let (dir, topo) = try feedAndCoreTopology("node-feed-dies")
        var t = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: topo))) as! [String: Any]
        var market = t["market"] as! [String: Any]
        market["cycleTimeoutSeconds"] = 2
        t["market"] = market
        try JSONSerialization.data(withJSONObject: t).write(to: URL(fileURLWithPath: topo))
        try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
        try "earlier".write(toFile: dir + "/out/stats.json", atomically: true, encoding: .utf8)
        let core = try AgoraProcess("core", ["node", "core", "--topology", topo, "--outputs", dir + "/out"], dir: dir)
        defer { core.stop() }
        #expect(await eventually { core.stderr.contains("node core up") })
        let feed = try AgoraProcess("feed", ["node", "feed", "--topology", topo, "--outputs", dir + "/out"], dir: dir)
        defer { feed.stop() }
        #expect(await eventually { feed.stderr.contains("node feed up") })
        try await Task.sleep(for: .milliseconds(300))
        kill(feed.pid, SIGKILL)
        #expect(await core.wait(timeout: 30) == 1, "\(core.stderr.suffix(1500))")
        #expect(core.stderr.contains("stopped because node feed (the market data) went down before the backtest finished (its log says why)"), "\(core.stderr.suffix(1500))")
        // The failed run leaves the earlier run's reports as they were.
        #expect(core.stderr.contains("reports not written: the run did not finish"), "\(core.stderr.suffix(1500))")
        #expect(try String(contentsOfFile: dir + "/out/stats.json", encoding: .utf8) == "earlier")
    }
}
