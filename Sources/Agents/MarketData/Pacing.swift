import Bus

/// Waits for a while. Injected so tests (and simulated runs) need not wait for real.
public protocol Sleeper: Sendable {
    /// Returns after `duration`; throws when the waiting task is cancelled.
    func sleep(for duration: Duration) async throws
}

/// Real waiting, with `Task.sleep`.
public struct TaskSleeper: Sleeper {
    public init() {}
    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}

/// How the market-data agent paces its replay.
public struct MarketDataConfig: Sendable, Equatable, Codable {
    public enum Mode: String, Sendable, Equatable, Codable, CaseIterable {
        /// Publish everything as fast as the bus takes it, without waiting for anyone.
        case fast
        /// Follow market time at `speed` × real time (`speed` 60: a day of bars in 24 minutes).
        case paced
        /// Backtests: publish bar t+1 only once the trading cycle of bar t has finished
        /// (the determinism protocol, docs/architecture.md).
        case backtest
    }

    /// Default `backtest`.
    public var mode: Mode = .backtest
    /// `paced` only: how many times faster than real time market time runs. Default 60.
    public var speed = 60.0
    /// `backtest` only: how long one cycle may take before the replay fails. Default 30 s.
    public var cycleTimeoutSeconds = 30.0

    public init(mode: Mode = .backtest, speed: Double = 60, cycleTimeoutSeconds: Double = 30) {
        self.mode = mode
        self.speed = speed
        self.cycleTimeoutSeconds = cycleTimeoutSeconds
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case mode, speed, cycleTimeoutSeconds }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue), in: "market-data configuration")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = MarketDataConfig()
        mode = try c.value(.mode, or: d.mode)
        speed = try c.value(.speed, or: d.speed)
        cycleTimeoutSeconds = try c.value(.cycleTimeoutSeconds, or: d.cycleTimeoutSeconds)
        if let p = problem() {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: p))
        }
    }

    public func problem() -> String? {
        if !(speed.isFinite && speed > 0) { return "speed must be a positive number, got \(speed)" }
        if !(cycleTimeoutSeconds.isFinite && cycleTimeoutSeconds > 0) {
            return "cycleTimeoutSeconds must be a positive number, got \(cycleTimeoutSeconds)"
        }
        return nil
    }
}

/// Which events end a trading cycle, for the backtest gate (pure, so it is tested alone).
public enum CycleGate {
    /// The topics the gate listens to.
    public static let patterns = ["decision.*", "order.denied.*", "order.rejected.*", "order.filled.*", "order.accepted.*"]
    public static let types: Set<EventType> = [.decision, .orderDenied, .orderRejected, .orderFilled, .orderAccepted]

    public enum Verdict: Sendable, Equatable {
        /// The cycle is over.
        case finished
        /// A step of the cycle, not its end (a buy or sell decision): noted for the timeout message.
        case progress(String)
        /// Not about this cycle's end.
        case unrelated
    }

    /// What `envelope` means for the cycle `correlation`. Events of other cycles are unrelated.
    public static func verdict(_ envelope: Envelope, cycle correlation: String) -> Verdict {
        guard envelope.correlation == correlation else { return .unrelated }
        switch envelope.payload {
        case .decision(let d): return d.action == .hold ? .finished : .progress("decision \(d.action.rawValue)")
        case .orderDenied, .orderRejected, .orderFilled, .orderAccepted: return .finished
        default: return .unrelated
        }
    }

    /// The message when a cycle did not finish in time.
    /// - Parameters:
    ///   - reconnects, gaps: the bus's counts so far; after an outage the likely cause is
    ///     an event lost in it, not an agent that is not running.
    public static func timeoutMessage(cycle: String, seconds: Double, progress: String?, reconnects: UInt64 = 0, gaps: UInt64 = 0) -> String {
        let within = "cycle \(cycle) did not finish within \(Fmt.plain(seconds)) s"
        if reconnects > 0 || gaps > 0 {
            return within + " (\(progress ?? "no decision")): the bus has reconnected \(reconnects) time\(reconnects == 1 ? "" : "s") and counted \(gaps) gap\(gaps == 1 ? "" : "s") in this run, so an event of the cycle was probably lost in an outage"
        }
        guard let progress else { return within + " (no decision): is the orchestrator running?" }
        return within + " (\(progress), but no order outcome): are the portfolio, risk and execution agents running?"
    }
}
