import Agents
import Bus

/// Orchestrator settings.
public struct OrchestratorConfig: Codable, Sendable, Equatable {
    public enum Mode: String, Codable, Sendable {
        /// Wait for every vote (and the broker's report of the bar): deterministic.
        case backtest
        /// Decide when every vote is in, or when `voteTimeoutSeconds` has passed.
        case live
    }

    public var voting: VotingConfig
    /// The voting agents that run; the orchestrator waits for their votes.
    public var voters: [String]
    public var mode: Mode
    /// Backtest mode: also wait for `execution.report` of the bar, so fills at the bar's
    /// open are booked before the decision is sized.
    public var awaitExecutionReport: Bool

    public init(voting: VotingConfig = VotingConfig(), voters: [String] = ["risk", "sentiment", "technical"],
                mode: Mode = .backtest, awaitExecutionReport: Bool = true) {
        self.voting = voting
        self.voters = voters.sorted()
        self.mode = mode
        self.awaitExecutionReport = awaitExecutionReport
    }
}

/// The orchestrator: gathers each cycle's votes and decides by weighted voting
/// (`Voting`), with the risk agent's veto and forced exits. Every decision carries its
/// full explanation.
public actor OrchestratorAgent {
    public static let name = "orchestrator"
    public nonisolated let unownedExecutor: UnownedSerialExecutor
    private let config: OrchestratorConfig
    private let context: AgentContext
    private let log: Logger
    private let publisher: Publisher
    private let subscription: Subscription
    private let clock: any WallClock
    /// The voters waited for, sorted by name: a cycle keeps its votes in this order.
    private let voters: [String]

    /// Cycles decided recently (bounded), so a late vote never opens one again.
    private var decided = RecentKeys(capacity: 65_536)
    /// Events that arrived for a cycle already decided.
    public private(set) var lateEvents = 0
    /// Decisions taken so far.
    public private(set) var decidedCount = 0

    private struct Cycle {
        var symbol: String
        var time: Timestamp
        /// Each voter's vote and its event id, in the order of `voters` (sorted by name).
        var votes: [Vote?]
        var voteIDs: [EventID?]
        var voteCount = 0
        /// The bar's event id, when the bar was seen.
        var barID: EventID?
        var reported = false

        init(symbol: String, time: Timestamp, voters: Int) {
            self.symbol = symbol
            self.time = time
            votes = Array(repeating: nil, count: voters)
            voteIDs = Array(repeating: nil, count: voters)
        }

        /// The decision's causation: the vote of the last voter (by name) that voted, else the
        /// bar. A fixed rule, not the last vote to arrive: votes race each other, and the
        /// event log must be the same on every run.
        var cause: EventID? {
            voteIDs.last { $0 != nil } ?? barID
        }

        mutating func record(_ v: Vote, id: EventID, at i: Int) {
            if votes[i] == nil { voteCount += 1 }
            votes[i] = v
            voteIDs[i] = id
        }
    }

    private var cycles: [String: Cycle] = [:]
    private var positions: [String: Double] = [:]
    /// Voters whose node is known to be down: not waited for.
    private var unavailable: Set<String> = []
    private var decisionTopics = TopicCache(prefix: "decision.")

    public init(context: AgentContext, config: OrchestratorConfig) async throws {
        unownedExecutor = context.executor.asUnownedSerialExecutor()
        self.context = context
        log = context.logger.labeled("\(context.node)/\(Self.name)")
        self.config = config
        clock = context.clock
        voters = config.voters.sorted()
        publisher = context.publisher(for: Self.name)
        // Bars only start the vote timer, which backtests do not use.
        var patterns = config.mode == .live ? ["market.bar.*", "order.filled.*"] : ["order.filled.*"]
        patterns += config.voters.map { "signal.\($0).*" }
        if config.awaitExecutionReport && config.mode == .backtest { patterns.append("execution.report.*") }
        subscription = try await context.subscribe(Self.name, patterns)
    }

    public func run() async {
        await context.consume(subscription, agent: Self.name) { [self] _, e in try await self.handle(e) }
    }

    /// Marks voters as unavailable (their node is down) or available again. Cycles that
    /// were only waiting for them are decided at once, with the votes recorded as missing.
    public func setUnavailable(_ voters: Set<String>) async throws {
        unavailable = voters
        for key in cycles.keys.sorted() { try await decideIfComplete(key) }  // indices change as cycles go
    }

    private func handle(_ e: Envelope) async throws {
        guard let key = e.correlation else {
            if case .orderFilled(let f) = e.payload { book(f) }
            return
        }
        switch e.payload {
        case .bar(let bar):
            guard let i = cycle(key, e, bar.symbol, bar.time) else { return }
            cycles.values[i].barID = e.id
        case .vote(let v):
            guard let voter = voters.firstIndex(of: v.agent), let i = cycle(key, e, v.symbol, v.time) else { return }
            cycles.values[i].record(v, id: e.id, at: voter)
            if isComplete(cycles.values[i]) { try await decide(key, at: i) }
        case .executionReport(let r):
            guard let i = cycle(key, e, r.symbol, r.time) else { return }
            cycles.values[i].reported = true
            if isComplete(cycles.values[i]) { try await decide(key, at: i) }
        case .orderFilled(let f):
            book(f)
        default:
            return
        }
    }

    /// The open cycle `key` (one hash of the key when it is open), created on its first
    /// event; nil for an event of a cycle already decided (a vote that came after the
    /// timeout), which is counted and logged, never decided twice. In live mode the vote
    /// timeout starts with whichever event of the cycle comes first.
    private func cycle(_ key: String, _ e: Envelope, _ symbol: String, _ time: Timestamp) -> Dictionary<String, Cycle>.Index? {
        if let i = cycles.index(forKey: key) { return i }
        if decided.contains(key) {
            lateEvents += 1
            log.debug("late \(e.type) from \(e.source) after the cycle was decided: ignored", correlation: key)
            return nil
        }
        cycles[key] = Cycle(symbol: symbol, time: time, voters: voters.count)
        if config.mode == .live { scheduleTimeout(key) }
        return cycles.index(forKey: key)
    }

    private func book(_ f: OrderFilled) {
        positions[f.symbol, default: 0] += f.side == .buy ? f.quantity : -f.quantity
        if Swift.abs(positions[f.symbol]!) < 1e-9 { positions[f.symbol] = nil }
    }

    private func decideIfComplete(_ key: String) async throws {
        guard let i = cycles.index(forKey: key), isComplete(cycles.values[i]) else { return }
        try await decide(key, at: i)
    }

    /// True when nothing more is awaited: every available voter voted, and (in a backtest
    /// that waits for it) the broker reported.
    private func isComplete(_ c: Cycle) -> Bool {
        if config.mode == .backtest && config.awaitExecutionReport && !c.reported { return false }
        if c.voteCount == voters.count { return true }
        for (i, voter) in voters.enumerated() where c.votes[i] == nil && !unavailable.contains(voter) { return false }
        return true
    }

    private func decide(_ key: String, at index: Dictionary<String, Cycle>.Index) async throws {
        var c = cycles.remove(at: index).value
        decided.insert(key)
        decidedCount += 1
        // The votes move into the inputs (the cycle is done with them): no copy of each
        // vote's strings and components.
        let inputs = voters.indices.map { VoterInput(agent: voters[$0], vote: c.votes[$0].take()) }
        let outcome = Voting.decide(inputs, config: config.voting, position: positions[c.symbol] ?? 0)
        let decision = Decision(
            symbol: c.symbol, time: c.time, action: outcome.action, score: outcome.score, reason: outcome.reason,
            votes: outcome.contributions, veto: outcome.veto, missing: outcome.missing, exit: outcome.exit)
        try await publisher.publish(decision, topic: decisionTopics.topic(c.symbol), correlation: key, causation: c.cause)
        log.debug("\(outcome.action.rawValue) \(c.symbol) score \(Fmt.fixed(outcome.score, 2)): \(outcome.reason)", correlation: key)
    }

    private func scheduleTimeout(_ key: String) {
        let seconds = config.voting.voteTimeoutSeconds
        Task { [weak self] in
            try? await Task.sleep(for: .seconds(seconds))
            try? await self?.expire(key)
        }
    }

    private func expire(_ key: String) async throws {
        guard let i = cycles.index(forKey: key) else { return }
        try await decide(key, at: i)
    }
}
