import Foundation
import Testing
import TestSupport
@testable import Node
import Agents
import Bus
#if canImport(Glibc)
import Glibc
#endif

/// Record, replay, explain, the tap's formats and the metrics endpoint.
@Suite(.serialized) struct OperationsTests {
    /// Events as wire text without the wall-clock publish time.
    static func normalized(_ events: [Envelope]) -> [String] {
        events.map { e in
            var e = e
            e.published = .epoch
            return EventCodec.encodeString(e)
        }
    }

    /// The decisions of a log.
    static func decisions(_ path: String) throws -> [String] {
        normalized(try EventLog.read(path).filter { $0.type == "decision" })
    }

    static func smallTopology(_ dir: String, bars: Int = 400) throws -> String { try repoTopology(dir, bars: bars) }

    @Test func recordThenReplayReproducesTheSameDecisions() async throws {
        let dir = scratchDirectory("replay")
        let topo = try Self.smallTopology(dir)
        #expect(await CommandRegistry.main(["run", "--topology", topo, "--record", dir + "/a.jsonl", "--outputs", dir + "/a", "--log-level", "warning"]) == 0)
        #expect(await CommandRegistry.main(["replay", dir + "/a.jsonl", "--topology", topo, "--record", dir + "/b.jsonl", "--outputs", dir + "/b", "--log-level", "warning"]) == 0)
        let a = try Self.decisions(dir + "/a.jsonl"), b = try Self.decisions(dir + "/b.jsonl")
        #expect(a.count == 400)
        #expect(a == b)
        // Not only the decisions: every publisher's stream (votes, orders, fills, snapshots)
        // is the same. How two publishers' events interleave in a log may differ (votes race).
        func byPublisher(_ path: String) throws -> [String] {
            Self.normalized(try EventLog.read(path).sorted { ($0.source, $0.seq) < ($1.source, $1.seq) })
        }
        #expect(try byPublisher(dir + "/a.jsonl") == byPublisher(dir + "/b.jsonl"))
        #expect(FileManager.default.contents(atPath: dir + "/a/trades.csv") == FileManager.default.contents(atPath: dir + "/b/trades.csv"))

        // explain reads the same log.
        #expect(await CommandRegistry.main(["explain", dir + "/a.jsonl", "trades"]) == 0)
        let cycle = try EventLog.read(dir + "/a.jsonl").first { $0.type == "order_request" }!.correlation!
        #expect(await CommandRegistry.main(["explain", dir + "/a.jsonl", cycle]) == 0)
        #expect(await CommandRegistry.main(["explain", dir + "/a.jsonl", "GOOG@1999-01-01T00:00:00Z"]) == 1)
    }

    /// A log whose bar names a symbol no topic can carry is refused by file and line
    /// before the replay starts (not by the bus, halfway).
    @Test func aReplayRefusesASymbolNoTopicCanCarry() async throws {
        let dir = scratchDirectory("replay-bad-symbol")
        let good = Envelope(topic: "market.bar.GOOG", source: "main/market-data", seq: 1, time: .epoch, published: .epoch,
                            payload: .bar(Bar(symbol: "GOOG", time: .epoch, open: 1, high: 1, low: 1, close: 1, volume: 1)))
        var bad = good
        bad.payload = .bar(Bar(symbol: "GO OG", time: .epoch + .seconds(60), open: 1, high: 1, low: 1, close: 1, volume: 1))
        let log = dir + "/bad.jsonl"
        try (EventCodec.encodeString(good) + "\n\n" + EventCodec.encodeString(bad) + "\n").write(toFile: log, atomically: true, encoding: .utf8)
        #expect(await CommandRegistry.main(["replay", log, "--outputs", dir + "/out", "--log-level", "warning"]) == 1)
        do {
            _ = try EventLog.marketInputs(log)
            Issue.record("accepted")
        } catch {
            #expect("\(error)" == "\(log):3: symbol \"GO OG\" contains a space or control character")
        }
    }

    /// A verbatim replay checks the whole log first, naming file and line: no event goes
    /// out from a log that cannot go out whole (it named the Redis URL, after publishing some).
    @Test func aVerbatimReplayChecksEveryLineFirst() throws {
        let dir = scratchDirectory("replay-verbatim-check")
        let good = Envelope(topic: "market.bar.GOOG", source: "main/market-data", seq: 1, time: .epoch, published: .epoch,
                            payload: .bar(Bar(symbol: "GOOG", time: .epoch, open: 1, high: 1, low: 1, close: 1, volume: 1)))
        var badTopic = good
        badTopic.topic = "a b*"
        var big = good
        big.payload = .news(NewsItem(id: "n", time: .epoch, symbols: ["GOOG"], headline: String(repeating: "x", count: 5000), source: "test"))
        big.topic = "market.news.GOOG"
        func log(_ events: [Envelope]) throws -> String {
            let path = dir + "/log-\(UUID().uuidString.prefix(4)).jsonl"
            try (events.map { EventCodec.encodeString($0) }.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        func problem(_ path: String, limit: Int = 1 << 20) -> String? {
            var c = RedisConfiguration()
            c.maxMessageBytes = limit
            do { _ = try ReplayCommand.publishable(path, configuration: c); return nil } catch { return error.description }
        }
        let a = try log([good, good, badTopic])
        #expect(problem(a) == "\(a):3: topic \"a b*\" contains a space or control character")
        let b = try log([good, big])
        #expect(problem(b, limit: 4096)?.hasPrefix("\(b):2: news event on market.news.GOOG is ") == true)
        #expect(problem(b)  == nil)
    }

    /// Log lines about a cycle (decisions, fills) carry its correlation id, in JSON too.
    @Test func cycleLogLinesCarryTheCorrelationID() async throws {
        let dir = scratchDirectory("logs")
        let sink = LogSink(fd: -1, format: .json, level: .debug, capture: true)
        var o = LocalRun.Options(topology: try TopologyLoader.load(try Self.smallTopology(dir)))
        o.logger = Logger(label: "agora", sink: sink)
        o.writeDefaults = false
        _ = try await LocalRun.execute(o)
        let records = (sink.lines ?? []).compactMap { try? JSONValue(parsing: $0) }
        let cycleLines = records.filter { r in
            let msg = r["msg"]?.stringValue ?? ""
            return msg.hasPrefix("filled ") || msg.hasPrefix("hold ") || msg.hasPrefix("buy ") || msg.hasPrefix("sell ")
        }
        #expect(cycleLines.count >= 400)
        #expect(cycleLines.allSatisfy { $0["correlation"]?.stringValue?.hasPrefix("GOOG@") == true })
    }

    @Test func aDamagedLogIsRefusedWithFileAndLine() throws {
        let dir = scratchDirectory("badlog")
        let e = Envelope(Bar(symbol: "X", time: .epoch, open: 1, high: 1, low: 1, close: 1, volume: 1), source: "t/x", seq: 1, published: .epoch)
        try (EventCodec.encodeString(e) + "\n\n{\"schema\":1,\"type\":\"bar\"\n").write(toFile: dir + "/l.jsonl", atomically: true, encoding: .utf8)
        #expect(throws: EventLog.Failure.self) { try EventLog.read(dir + "/l.jsonl") }
        do { _ = try EventLog.read(dir + "/l.jsonl") } catch { #expect("\(error)".hasPrefix(dir + "/l.jsonl:3: ")) }
        #expect(throws: EventLog.Failure.self) { try EventLog.marketInputs(dir + "/missing.jsonl") }
    }

    @Test func verbatimReplayPublishesTheRecordedEventsUnchanged() async throws {
        let dir = scratchDirectory("verbatim")
        let topo = try Self.smallTopology(dir, bars: 200)
        #expect(await CommandRegistry.main(["run", "--topology", topo, "--outputs", dir + "/a", "--record", dir + "/a.jsonl", "--log-level", "warning"]) == 0)
        let recorded = try EventLog.read(dir + "/a.jsonl")
        let url = try AgoraProcess.redisURL(), prefix = "agora-optest.\(getpid()).verbatim."
        let bus = try await RedisBus.connect(url: url, prefix: prefix)
        let sub = try await bus.subscribe(["*"], options: SubscriptionOptions(name: "check", policy: .suspend(capacity: 1 << 20)))
        #expect(await CommandRegistry.main(["replay", dir + "/a.jsonl", "--verbatim", "--bus", url, "--prefix", prefix, "--log-level", "warning"]) == 0)
        let expected = recorded.count
        let got = try await withTimeout {
            var got: [Envelope] = []
            var it = sub.makeAsyncIterator()
            while got.count < expected, let e = await it.next() { got.append(e) }
            return got
        }
        #expect(got.map(\.id) == recorded.map(\.id))
        #expect(got.map(\.payload) == recorded.map(\.payload))
        #expect(sub.stats.gaps == 0)
        await bus.shutdown()
    }

    @Test func tapFiltersByTypeAndSymbolAndFormatsOneLine() {
        let bar = Envelope(Bar(symbol: "AAPL", time: Timestamp(seconds: 1_704_153_600), open: 1, high: 2, low: 0.5, close: 1.5, volume: 100),
                           source: "feed/market-data", seq: 7, published: .epoch)
        let vote = Envelope(Vote(agent: "risk", symbol: "MSFT", time: .epoch, action: .sell, score: -0.5, confidence: 0.8, reason: "drawdown"),
                            source: "signals/risk", seq: 3, published: .epoch)
        #expect(TapFilter().accepts(bar) && TapFilter().accepts(vote))
        #expect(TapFilter(types: ["bar"]).accepts(bar) && !TapFilter(types: ["bar"]).accepts(vote))
        #expect(TapFilter(symbols: ["MSFT"]).accepts(vote) && !TapFilter(symbols: ["MSFT"]).accepts(bar))
        #expect(TapFormat.line(bar) == "2024-01-02T00:00:00Z  market.bar.AAPL  feed/market-data:7  O 1 H 2 L 0.5 C 1.5 V 100")
        #expect(TapFormat.line(vote) == "1970-01-01T00:00:00Z  signal.risk.MSFT  signals/risk:3  risk sell score -0.50 confidence 0.80: drawdown")
        var stats = TapStats()
        stats.record(bar); stats.record(bar); stats.record(vote)
        let table = stats.render(seconds: 2, gaps: 1, malformed: 2, dropped: 0)
        #expect(table.contains("market.bar.AAPL") && table.contains("1.0") && table.contains("gaps 1  malformed 2  dropped 0"))
    }

    /// Scrapes a live endpoint over HTTP and checks every line is valid Prometheus text.
    @Test func metricsEndpointServesParseablePrometheusText() async throws {
        let bus = InMemoryBus()
        let executor = AgentExecutor(name: "metrics-test")
        defer { executor.stop() }
        let metrics = Metrics()
        let observer = try await MetricsObserver(bus: bus, executor: executor, metrics: metrics, localNodes: ["main"])
        let running = Task { await observer.run() }
        let pub = Publisher(bus: bus, source: "main/portfolio")
        try await pub.publish(PortfolioSnapshot(time: .epoch, cash: 10, equity: 120, peakEquity: 150, drawdown: 0.2, realizedPnL: 0, unrealizedPnL: 0, fees: 0, sectorExposure: [:]))
        try await pub.publish(OrderDenied(orderId: "o-1", symbol: "X", time: .epoch, by: "risk", reasons: [.init(code: "max_position", message: "too big")]))
        // The observer's consumer may not have started yet: wait for what it records.
        #expect(await eventually { metrics.value("agora_denials_total", ["reason": "max_position"]) == 1 && metrics.value("agora_equity") == 120 })
        metrics.observe("agora_handler_seconds", ["agent": "risk"], seconds: 3e-6)
        let server = try MetricsServer(address: "127.0.0.1:0", render: { NodeMetrics.render(metrics, bus: bus, node: "main") }, health: { (true, "ok") })
        server.start()
        defer { server.stop() }

        let (status, body) = try Self.get(port: server.port, path: "/metrics")
        #expect(status == "HTTP/1.1 200 OK")
        let problems = PrometheusText.problems(body)
        #expect(problems.isEmpty, "\(problems)")
        #expect(body.contains("agora_equity 120"))
        #expect(body.contains("agora_drawdown_ratio 0.2"))
        #expect(body.contains("agora_denials_total{reason=\"max_position\"} 1"))
        #expect(body.contains("agora_bus_events_total{direction=\"out\",topic=\"portfolio.snapshot\"} 1"))
        #expect(body.contains("agora_handler_seconds_bucket{agent=\"risk\",le=\"0.0000025\"} 0"))
        #expect(body.contains("agora_handler_seconds_bucket{agent=\"risk\",le=\"0.000005\"} 1"))
        #expect(body.contains("agora_handler_seconds_count{agent=\"risk\"} 1"))
        #expect(try Self.get(port: server.port, path: "/healthz").0 == "HTTP/1.1 200 OK")
        #expect(try Self.get(port: server.port, path: "/nope").0 == "HTTP/1.1 404 Not Found")
        // Counts are counters, with help, including those copied from the bus at scrape time.
        #expect(body.contains("# HELP agora_delivered_total Events delivered to a subscription's consumer.\n# TYPE agora_delivered_total counter"))
        #expect(body.contains("# TYPE agora_events_published_total counter"))
        #expect(!body.contains("_total gauge"))
        // HEAD: the headers of GET, no body; another method: 405 with Allow.
        let head = try Self.get(port: server.port, path: "/metrics", method: "HEAD")
        #expect(head.0 == "HTTP/1.1 200 OK" && head.1.isEmpty && head.2.contains("Content-Length: \(body.utf8.count)"))
        let post = try Self.get(port: server.port, path: "/metrics", method: "POST")
        #expect(post.0 == "HTTP/1.1 405 Method Not Allowed" && post.2.contains("Allow: GET, HEAD"))
        // Idle connections do not hold up a scrape (each held the only thread for 2 s).
        var idle: [Int32] = []
        for _ in 0..<5 { idle.append(try Self.connect(port: server.port)) }
        defer { for fd in idle { close(fd) } }
        let t0 = Monotonic.nanoseconds()
        #expect(try Self.get(port: server.port, path: "/healthz").0 == "HTTP/1.1 200 OK")
        #expect(Double(Monotonic.nanoseconds() - t0) / 1e9 < MetricsServer.requestDeadline * 0.9, "answered before one idle connection's deadline")
        await observer.stop()
        try await withTimeout { await running.value }
    }

    @Test func undescribedTotalsAreCounters() {
        let m = Metrics()
        m.increment("agora_x_total")
        m.set("agora_y", [:], 1)
        let text = m.render()
        #expect(text.contains("# TYPE agora_x_total counter") && text.contains("# TYPE agora_y gauge"))
    }

    @Test func thePrometheusCheckerFindsMistakes() {
        #expect(PrometheusText.problems("# TYPE a counter\na 1\nb{x=\"y\",z=\"w\"} 2.5\nc +Inf\n").isEmpty)
        #expect(PrometheusText.problems("1bad 1").count == 1)
        #expect(PrometheusText.problems("a{x=y} 1").count == 1)
        #expect(PrometheusText.problems("a abc").count == 1)
        #expect(PrometheusText.problems("# TYPE a countr").count == 1)
    }

    static func connect(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard ok == 0 else {
            close(fd)
            throw ProcessTestSetupError(description: "connect: \(errno)")
        }
        return fd
    }

    /// A blocking HTTP GET over a raw socket (the test's own client): status line and body.
    static func get(port: UInt16, path: String) throws -> (String, String) {
        let (status, body, _) = try get(port: port, path: path, method: "GET")
        return (status, body)
    }

    /// Any method: status line, body and the header block.
    static func get(port: UInt16, path: String, method: String) throws -> (String, String, String) {
        let fd = try connect(port: port)
        defer { close(fd) }
        let request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data += buf[0..<n]
        }
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        return (parts[0].components(separatedBy: "\r\n")[0], parts.dropFirst().joined(separator: "\r\n\r\n"), parts[0])
    }
}

/// A checker for the Prometheus text exposition format (0.0.4): comments, and samples
/// `name{label="value",…} number [timestamp]`, and `# TYPE` lines naming a known kind.
enum PrometheusText {
    static func problems(_ text: String) -> [String] {
        var out: [String] = []
        func validName(_ s: Substring) -> Bool {
            guard let f = s.first, f.isLetter || f == "_" || f == ":" else { return false }
            return s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }
        }
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.isEmpty { continue }
            if line.hasPrefix("# TYPE ") {
                let p = line.split(separator: " ")
                if p.count != 4 || !["counter", "gauge", "histogram", "summary", "untyped"].contains(p[3]) { out.append("line \(i + 1): bad TYPE: \(line)") }
                continue
            }
            if line.hasPrefix("#") { continue }
            var rest = line[...]
            let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " } ?? rest.endIndex
            let name = rest[..<nameEnd]
            if !validName(name) { out.append("line \(i + 1): bad metric name: \(line)"); continue }
            rest = rest[nameEnd...]
            if rest.first == "{" {
                guard let close = rest.lastIndex(of: "}") else { out.append("line \(i + 1): unclosed labels"); continue }
                let labels = rest[rest.index(after: rest.startIndex)..<close]
                for pair in labels.split(separator: ",") where !pair.isEmpty {
                    let kv = pair.split(separator: "=", maxSplits: 1)
                    if kv.count != 2 || !validName(kv[0]) || !kv[1].hasPrefix("\"") || !kv[1].hasSuffix("\"") { out.append("line \(i + 1): bad label \(pair)") }
                }
                rest = rest[rest.index(after: close)...]
            }
            let fields = rest.split(separator: " ")
            if fields.isEmpty || fields.count > 2 { out.append("line \(i + 1): expected a value: \(line)"); continue }
            let v = fields[0]
            if Double(v) == nil && !["+Inf", "-Inf", "NaN"].contains(v) { out.append("line \(i + 1): bad value \(v)") }
        }
        return out
    }
}
