import Agents
import Bus

/// Orchestrator settings: voter weights and decision thresholds.
public struct VotingConfig: Codable, Sendable, Equatable {
    /// Weight of each voter by agent name. Defaults: technical 0.4, sentiment 0.3, risk 0.3.
    public var weights: [String: Double]
    /// Open a position when the score reaches this (long: score ≥ entry; short: score ≤ −entry).
    public var entryThreshold: Double
    /// Close a long when the score falls to −exit or below (a short when it rises to +exit).
    public var exitThreshold: Double
    /// Live mode: a cycle's decision is taken this long after its bar even if votes are missing.
    public var voteTimeoutSeconds: Double
    /// Whether a flat book may open shorts on sell signals.
    public var allowShort: Bool

    public init(
        weights: [String: Double] = VotingConfig.defaultWeights, entryThreshold: Double = 0.3,
        exitThreshold: Double = 0.3, voteTimeoutSeconds: Double = 2, allowShort: Bool = false
    ) {
        self.weights = weights
        self.entryThreshold = entryThreshold
        self.exitThreshold = exitThreshold
        self.voteTimeoutSeconds = voteTimeoutSeconds
        self.allowShort = allowShort
    }

    public static let defaultWeights: [String: Double] = ["technical": 0.4, "sentiment": 0.3, "risk": 0.3]

    /// The voters, in a fixed order (by name) so decisions are laid out identically every run.
    public var voters: [String] { weights.keys.sorted() }

    /// One thing wrong with the settings: the field (`weights.technical`, `entryThreshold`, …)
    /// and why.
    public struct Problem: Sendable, Equatable {
        public var field: String
        public var message: String
    }

    /// Problems with the configuration (empty when valid).
    public func problems() -> [Problem] {
        var out: [Problem] = []
        for (name, w) in weights.sorted(by: { $0.key < $1.key }) where !(w >= 0) || !w.isFinite {
            out.append(Problem(field: "weights.\(name)", message: "weight of \"\(name)\" is \(w): weights must be finite and ≥ 0"))
        }
        if weights.values.reduce(0, +) <= 0 { out.append(Problem(field: "weights", message: "weights must sum to a positive number")) }
        if !(entryThreshold > 0 && entryThreshold <= 1) {
            out.append(Problem(field: "entryThreshold", message: "entryThreshold \(entryThreshold) must be in (0, 1]"))
        }
        if !(exitThreshold >= 0 && exitThreshold <= 1) {
            out.append(Problem(field: "exitThreshold", message: "exitThreshold \(exitThreshold) must be in [0, 1]"))
        }
        if !(voteTimeoutSeconds > 0) { out.append(Problem(field: "voteTimeoutSeconds", message: "voteTimeoutSeconds must be positive")) }
        return out
    }
}

/// One voter's input to a decision: its vote, or nothing if the vote did not arrive.
public struct VoterInput: Sendable, Equatable {
    public var agent: String
    public var vote: Vote?
    public init(agent: String, vote: Vote?) {
        self.agent = agent
        self.vote = vote
    }
}

/// Weighted voting, as pure functions.
///
/// **The rule.** Voters with no opinion — a vote with confidence 0, or no vote at all — take
/// no part: their weight is shared out among the others in proportion to the others'
/// weights. For the active voters *A*:
///
///     effectiveWeight(i) = weight(i) / Σ_{j ∈ A} weight(j)
///     contribution(i)    = effectiveWeight(i) × confidence(i) × score(i)
///     score              = Σ contribution(i)            (in [−1, 1])
///
/// When no voter is active the score is 0 (hold).
///
/// **The decision.** With position *p* (signed quantity) for the symbol:
/// - a forced exit from risk (stop-loss, take-profit) closes any open position;
/// - flat: buy if score ≥ entry; sell (open a short) if score ≤ −entry and shorts are allowed;
/// - long: sell if score ≤ −exit; short: buy if score ≥ exit;
/// - otherwise hold.
/// While trading is halted (a risk vote carries a veto) new entries become holds with the
/// veto recorded; exits are never vetoed.
public enum Voting {
    public struct Outcome: Sendable, Equatable {
        public var action: Action
        public var score: Double
        public var contributions: [VoterContribution]
        public var veto: String?
        public var exit: String?
        public var missing: [String]
        public var reason: String
    }

    public static func combine(_ inputs: [VoterInput], weights: [String: Double]) -> (score: Double, contributions: [VoterContribution]) {
        // Each voter's weight, looked up once.
        let ws = inputs.map { max(0, weights[$0.agent] ?? 0) }
        var activeWeight = 0.0
        for (k, i) in inputs.enumerated() {
            if let v = i.vote, v.confidence > 0 { activeWeight += ws[k] }
        }
        var score = 0.0
        var contributions: [VoterContribution] = []
        contributions.reserveCapacity(inputs.count)
        for (k, i) in inputs.enumerated() {
            let w = ws[k]
            guard let v = i.vote else {
                contributions.append(VoterContribution(
                    agent: i.agent, action: .hold, score: 0, confidence: 0, weight: w, effectiveWeight: 0,
                    contribution: 0, reason: "no vote", missing: true))
                continue
            }
            let active = v.confidence > 0 && activeWeight > 0
            let ew = active ? w / activeWeight : 0
            let c = ew * clamp(v.confidence, 0, 1) * clamp(v.score, -1, 1)
            score += c
            contributions.append(VoterContribution(
                agent: i.agent, action: v.action, score: v.score, confidence: v.confidence, weight: w,
                effectiveWeight: ew, contribution: c, reason: v.reason, missing: false))
        }
        return (clamp(score, -1, 1), contributions)
    }

    /// Decides for one cycle.
    /// - Parameters:
    ///   - position: the signed position in the symbol (shares) before this decision.
    public static func decide(_ inputs: [VoterInput], config: VotingConfig, position: Double) -> Outcome {
        let (score, contributions) = combine(inputs, weights: config.weights)
        var missing: [String] = []
        var veto: String?, forcedExit: String?
        for i in inputs {
            if i.vote == nil {
                missing.append(i.agent)
            } else if i.agent == "risk" {
                veto = veto ?? i.vote?.veto
                forcedExit = forcedExit ?? i.vote?.exit
            }
        }
        let s = format(score)

        if let forcedExit, position != 0 {
            let action: Action = position > 0 ? .sell : .buy
            return Outcome(action: action, score: score, contributions: contributions, veto: nil, exit: forcedExit,
                           missing: missing, reason: "forced exit: \(forcedExit)")
        }
        var action = Action.hold
        var reason: String
        if position > 0 {
            if score <= -config.exitThreshold {
                action = .sell
                reason = "long; score \(s) ≤ −\(format(config.exitThreshold)) (exit): sell"
            } else {
                reason = "long; score \(s) > −\(format(config.exitThreshold)) (exit): hold"
            }
        } else if position < 0 {
            if score >= config.exitThreshold {
                action = .buy
                reason = "short; score \(s) ≥ \(format(config.exitThreshold)) (exit): buy to cover"
            } else {
                reason = "short; score \(s) < \(format(config.exitThreshold)) (exit): hold"
            }
        } else if score >= config.entryThreshold {
            action = .buy
            reason = "flat; score \(s) ≥ \(format(config.entryThreshold)) (entry): buy"
        } else if score <= -config.entryThreshold && config.allowShort {
            action = .sell
            reason = "flat; score \(s) ≤ −\(format(config.entryThreshold)) (entry): sell short"
        } else if score <= -config.entryThreshold {
            reason = "flat; score \(s) ≤ −\(format(config.entryThreshold)) but shorts are disabled: hold"
        } else {
            reason = "flat; |score \(s)| < \(format(config.entryThreshold)) (entry): hold"
        }
        var vetoed: String?
        if let veto, action != .hold, position == 0 {
            vetoed = veto
            reason = "vetoed by risk (\(veto)); would have: \(reason)"
            action = .hold
        }
        if !missing.isEmpty { reason += "; missing votes: \(missing.joined(separator: ", "))" }
        return Outcome(action: action, score: score, contributions: contributions, veto: vetoed, exit: nil,
                       missing: missing, reason: reason)
    }

    @inline(__always) static func clamp(_ x: Double, _ lo: Double, _ hi: Double) -> Double {
        x.isNaN ? 0 : Swift.min(hi, Swift.max(lo, x))
    }

    /// Two decimals, locale-independent (for reasons). Formatted without `String(Double)`
    /// below 1e13 (every decision formats its score); the same text as `formatReference`.
    static func format(_ x: Double) -> String {
        let k = (x * 100).rounded()
        if k == 0 { return k.sign == .minus ? "-0.00" : "0.00" }
        if k.magnitude < 1e15 { return Fmt.fixed(k / 100, 2) }
        return formatReference(x)
    }

    /// The original `format`: the reference the fast path is tested against.
    static func formatReference(_ x: Double) -> String {
        let r = (x * 100).rounded() / 100
        var s = String(r)
        if s.hasSuffix(".0") { s += "0" }
        if let dot = s.firstIndex(of: "."), s.distance(from: dot, to: s.endIndex) == 2 { s += "0" }
        return s
    }
}
