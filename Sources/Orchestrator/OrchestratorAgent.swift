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

    /// Cycles decided recently (bounded), so a late vote never opens one again.
    private var decided = RecentKeys(capacity: 65_536)
    /// Events that arrived for a cycle already decided.
    public private(set) var lateEvents = 0
    /// Decisions taken so far.
    public private(set) var decidedCount = 0

    private struct Cycle {
        var symbol: String
        var time: Timestamp
        var votes: [String: Vote] = [:]
        /// Each vote's event id, by voter.
        var voteIDs: [String: EventID] = [:]
        /// The bar's event id, when the bar was seen.
        var barID: EventID?

        /// The decision's causation: the vote of the last voter (by name) that voted, else the
        /// bar. A fixed rule, not the last vote to arrive: votes race each other, and the
        /// event log must be the same on every run.
        var cause: EventID? {
            voteIDs.max { $0.key < $1.key }?.value ?? barID
        }
        var reported = false
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
        for key in cycles.keys.sorted() { try await decideIfComplete(key) }
    }

    private func handle(_ e: Envelope) async throws {
        guard let key = e.correlation else {
            if case .orderFilled(let f) = e.payload { book(f) }
            return
        }
        switch e.payload {
        case .bar(let bar):
            guard !isDecided(key, e) else { return }
            open(key, bar.symbol, bar.time)
            cycles[key]!.barID = e.id
        case .vote(let v):
            guard config.voters.contains(v.agent), !isDecided(key, e) else { return }
            open(key, v.symbol, v.time)
            // One look-up of the cycle for the vote and the completeness check.
            let complete = { (c: inout Cycle) -> Bool in
                c.votes[v.agent] = v
                c.voteIDs[v.agent] = e.id
                return isComplete(c)
            }(&cycles[key]!)
            if complete { try await decide(key) }
        case .executionReport(let r):
            guard !isDecided(key, e) else { return }
            open(key, r.symbol, r.time)
            cycles[key]!.reported = true
            try await decideIfComplete(key)
        case .orderFilled(let f):
            book(f)
        default:
            return
        }
    }

    private func book(_ f: OrderFilled) {
        positions[f.symbol, default: 0] += f.side == .buy ? f.quantity : -f.quantity
        if Swift.abs(positions[f.symbol]!) < 1e-9 { positions[f.symbol] = nil }
    }

    private func decideIfComplete(_ key: String) async throws {
        guard let c = cycles[key], isComplete(c) else { return }
        try await decide(key)
    }

    /// True when nothing more is awaited: every available voter voted, and (in a backtest
    /// that waits for it) the broker reported.
    private func isComplete(_ c: Cycle) -> Bool {
        if config.mode == .backtest && config.awaitExecutionReport && !c.reported { return false }
        if c.votes.count == config.voters.count { return true }
        return !config.voters.contains { c.votes[$0] == nil && !unavailable.contains($0) }
    }

    /// The open cycle `key`, created on its first event (in live mode with its vote timeout,
    /// whichever event comes first).
    private func open(_ key: String, _ symbol: String, _ time: Timestamp) {
        guard cycles[key] == nil else { return }
        cycles[key] = Cycle(symbol: symbol, time: time)
        if config.mode == .live { scheduleTimeout(key) }
    }

    /// True for an event of a cycle already decided (a vote that came after the timeout):
    /// it is counted and logged, never decided twice.
    private func isDecided(_ key: String, _ e: Envelope) -> Bool {
        // An open cycle was not decided; only the first event of a cycle pays the look-up.
        guard cycles[key] == nil, decided.contains(key) else { return false }
        lateEvents += 1
        log.debug("late \(e.type) from \(e.source) after the cycle was decided: ignored", correlation: key)
        return true
    }

    private func decide(_ key: String) async throws {
        guard let c = cycles.removeValue(forKey: key) else { return }
        decided.insert(key)
        decidedCount += 1
        let inputs = config.voters.map { VoterInput(agent: $0, vote: c.votes[$0]) }
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
        guard cycles[key] != nil else { return }
        try await decide(key)
    }
}

/// A set that remembers the last `capacity` keys inserted.
struct RecentKeys {
    private var set: Set<String> = []
    private var order: [String] = []
    private var head = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func contains(_ key: String) -> Bool { set.contains(key) }

    mutating func insert(_ key: String) {
        guard set.insert(key).inserted else { return }
        if order.count < capacity {
            order.append(key)
        } else {
            set.remove(order[head])
            order[head] = key
            head = (head + 1) % capacity
        }
    }
}
