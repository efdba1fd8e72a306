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

    private struct Cycle {
        var symbol: String
        var time: Timestamp
        var votes: [String: Vote] = [:]
        var lastCause: EventID?
        var reported = false
        var barSeen = false
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
            cycles[key, default: Cycle(symbol: bar.symbol, time: bar.time)].barSeen = true
            if config.mode == .live { scheduleTimeout(key) }
        case .vote(let v):
            guard config.voters.contains(v.agent) else { return }
            var c = cycles[key, default: Cycle(symbol: v.symbol, time: v.time)]
            c.votes[v.agent] = v
            c.lastCause = e.id
            cycles[key] = c
            try await decideIfComplete(key)
        case .executionReport(let r):
            var c = cycles[key, default: Cycle(symbol: r.symbol, time: r.time)]
            c.reported = true
            cycles[key] = c
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
        guard let c = cycles[key] else { return }
        let waitingForVotes = config.voters.contains { c.votes[$0] == nil && !unavailable.contains($0) }
        let waitingForBroker = config.mode == .backtest && config.awaitExecutionReport && !c.reported
        if waitingForVotes || waitingForBroker { return }
        try await decide(key)
    }

    private func decide(_ key: String) async throws {
        guard let c = cycles.removeValue(forKey: key) else { return }
        let inputs = config.voters.map { VoterInput(agent: $0, vote: c.votes[$0]) }
        let outcome = Voting.decide(inputs, config: config.voting, position: positions[c.symbol] ?? 0)
        let decision = Decision(
            symbol: c.symbol, time: c.time, action: outcome.action, score: outcome.score, reason: outcome.reason,
            votes: outcome.contributions, veto: outcome.veto, missing: outcome.missing, exit: outcome.exit)
        try await publisher.publish(decision, topic: decisionTopics.topic(c.symbol), correlation: key, causation: c.lastCause)
        if log.isEnabled(.debug) {
            log.log(.debug, "\(outcome.action.rawValue) \(c.symbol) score \(Fmt.fixed(outcome.score, 2)): \(outcome.reason)", correlation: key)
        }
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
