import Agents
import Bus
import Orchestrator

/// Publishes `system.heartbeat.<node>` every interval with the node's counters.
actor HeartbeatPublisher {
    let node: String
    let agents: [String]
    let bus: any EventBus
    let publisher: Publisher
    let clock: any WallClock
    let interval: Duration
    let started: Timestamp
    private(set) var status = "starting"
    /// The uptimes the last 64 heartbeats carried (to the nanosecond): a heartbeat under
    /// this node's name with none of them comes from another process running the same node.
    /// Kept before each is published, so that it is known when it comes back.
    private var recent: [Double] = []

    init(node: String, agents: [String], bus: any EventBus, clock: any WallClock, interval: Duration = .seconds(1)) {
        self.node = node
        self.agents = agents
        self.bus = bus
        self.clock = clock
        self.interval = interval
        started = clock.now()
        publisher = Publisher(bus: bus, source: "\(node)/node", clock: clock)
    }

    func set(status: String) async {
        self.status = status
        try? await beat()
    }

    func beat() async throws {
        let s = bus.statistics()
        let now = clock.now()
        let hb = Heartbeat(
            node: node, time: now, agents: agents, uptimeSeconds: (now - started).secondsDouble,
            eventsIn: s.subscriptions.reduce(0) { $0 + $1.delivered }, eventsOut: s.published, queueDepth: s.queueDepth,
            drops: s.dropped, gaps: s.gaps, malformed: s.malformed, status: status)
        if recent.count == 64 { recent.removeFirst() }
        recent.append(hb.uptimeSeconds)
        try await publisher.publish(hb)
    }

    /// True when a heartbeat under this node's name that carried `uptime` is one of this
    /// process's recent ones.
    func isOwn(uptime: Double) -> Bool { recent.contains(uptime) }

    /// Beats until cancelled. The status stays `starting` until the node sets it `up`.
    func run() async {
        while !Task.isCancelled {
            try? await beat()
            try? await Task.sleep(for: interval)
        }
    }
}

/// Watches every node's heartbeats: reports a node down when it has been silent for
/// `missed` intervals (and up again when it beats), tells the orchestrator which voters
/// cannot vote, and keeps `agora_node_up{node}`.
actor NodeWatch {
    let nodes: [String]
    let voterNodes: [String: String]
    let clock: any WallClock
    let interval: Double
    let missed: Double
    let logger: Logger
    let metrics: Metrics?
    weak var orchestrator: OrchestratorAgent?
    /// This process's node and its heartbeat, to notice another process under its name.
    let own: (node: String, heartbeat: HeartbeatPublisher)?
    /// The first heartbeat under this node's name that another process sent (not one
    /// saying it is stopping).
    private(set) var rival: Heartbeat?
    /// True once this node has started its agents: a rival seen after that is a newcomer,
    /// which refuses to start on its own.
    private var claimed = false
    private var reportedNewcomer = false
    private var reportedDuplicate = false
    private var lastSeen: [String: Timestamp] = [:]
    /// The status of each node's last heartbeat.
    private var statuses: [String: String] = [:]
    private(set) var down: Set<String> = []
    private let subscription: Subscription

    init(bus: any EventBus, nodes: [String], voterNodes: [String: String], clock: any WallClock, interval: Double = 1,
         missed: Double = 3, logger: Logger, metrics: Metrics?, orchestrator: OrchestratorAgent?,
         own: (node: String, heartbeat: HeartbeatPublisher)? = nil) async throws {
        self.own = own
        self.nodes = nodes
        self.voterNodes = voterNodes
        self.clock = clock
        self.interval = interval
        self.missed = missed
        self.logger = logger
        self.metrics = metrics
        self.orchestrator = orchestrator
        subscription = try await bus.subscribe(["system.heartbeat.*"], options: SubscriptionOptions(name: "node-watch", types: [.heartbeat]))
    }

    /// The first node (by name) other than this one whose last heartbeat says it is
    /// stopping: in a backtest, a node told to stop asks the run to end.
    func stoppingNode() -> String? {
        statuses.filter { $0.value == "stopping" && $0.key != own?.node }.keys.sorted().first
    }

    /// True while `node` beats: seen, and not reported down.
    func isUp(_ node: String) -> Bool { lastSeen[node] != nil && !down.contains(node) }

    /// Nodes seen beating at least once.
    var seen: Set<String> { Set(lastSeen.keys) }

    /// Seconds since `node` last beat, when it is reported down (nil while it is up or was
    /// never seen).
    func silentSeconds(_ node: String) -> Double? {
        guard down.contains(node), let seen = lastSeen[node] else { return nil }
        return (clock.now() - seen).secondsDouble
    }

    func run() async {
        let checker = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds((self?.interval ?? 1) / 4))
                await self?.check()
            }
        }
        for await e in subscription {
            guard case .heartbeat(let h) = e.payload else { continue }
            if let own, h.node == own.node, h.status != "stopping", !(await own.heartbeat.isOwn(uptime: h.uptimeSeconds)) {
                if rival == nil { rival = h }
                if claimed && h.status == "starting" && !reportedNewcomer {
                    reportedNewcomer = true
                    logger.warning("another process is starting node \(h.node) on this bus: it refuses to run while this one does (node names must be unique)", ["node": h.node])
                } else if claimed && h.status != "starting" && !reportedDuplicate {
                    // Two processes run one node (they came up together, or one could not
                    // hear the other): their events share sources and sequence numbers, so
                    // gap counts and cycle ownership are wrong. Said once, loudly.
                    reportedDuplicate = true
                    logger.error("another process runs node \(h.node) (a heartbeat #\(e.seq) this one did not send): node names must be unique; stop one of them", ["node": h.node])
                    metrics?.set("agora_node_duplicate", ["node": h.node], 1)
                }
            }
            lastSeen[h.node] = clock.now()
            statuses[h.node] = h.status
            metrics?.set("agora_node_up", ["node": h.node], h.status == "stopping" ? 0 : 1)
            if down.remove(h.node) != nil {
                logger.info("node \(h.node) is up again", ["node": h.node])
                await updateOrchestrator()
            }
        }
        checker.cancel()
    }

    /// Before a node starts its agents: listens for `seconds` (longer than a heartbeat
    /// interval, so that a process already running this node has beaten at least once)
    /// and returns the heartbeat of another process under this node's name, if one came.
    /// After it (nil returned), this node is the one that owns its name.
    func claim(within seconds: Double, stopped: @Sendable () -> Bool = { false }) async -> Heartbeat? {
        let deadline = clock.now().seconds + seconds
        while rival == nil && clock.now().seconds < deadline && !stopped() {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if rival == nil { claimed = true }
        return rival
    }

    /// Waits until every node has beaten once (backtests across nodes start only then).
    /// Waits until every node has been heard, `timeout` seconds pass, or `stopped` says so
    /// (a signal: the caller then stops instead of waiting on). Returns the nodes not heard.
    func waitForAll(timeout: Double, stopped: @Sendable () -> Bool = { false }) async -> [String] {
        let deadline = clock.now().seconds + timeout
        while clock.now().seconds < deadline && !stopped() {
            let missing = nodes.filter { lastSeen[$0] == nil }
            if missing.isEmpty { return [] }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nodes.filter { lastSeen[$0] == nil }
    }

    private func check() async {
        let now = clock.now()
        var changed = false
        for node in nodes where node != own?.node {
            // This node's own heartbeats not coming back means the bus is away, not this node.
            guard let seen = lastSeen[node], !down.contains(node) else { continue }
            let silent = (now - seen).secondsDouble
            // Checked every quarter interval against (missed − ¼) intervals of silence: a node
            // that dies right after a heartbeat is reported within `missed` intervals, and one
            // merely late by less than missed − ¼ intervals is never reported.
            if silent > (missed - 0.25) * interval {
                down.insert(node)
                changed = true
                logger.warning("node \(node) is down: no heartbeat for \(Fmt.fixed(silent, 1)) s", ["node": node])
                metrics?.set("agora_node_up", ["node": node], 0)
            }
        }
        if changed { await updateOrchestrator() }
    }

    private func updateOrchestrator() async {
        let unavailable = Set(voterNodes.filter { down.contains($0.value) }.map(\.key))
        try? await orchestrator?.setUnavailable(unavailable)
    }
}
