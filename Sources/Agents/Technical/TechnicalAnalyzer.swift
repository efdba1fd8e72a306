import Bus

/// The technical analysis of one symbol: the enabled strategies, fed bar by bar, combined
/// into one vote per bar. Pure: the agent holds one per symbol.
public struct TechnicalAnalyzer: Sendable {
    public static let agent = "technical"

    public let symbol: String
    public let config: TechnicalConfig
    private var strategies: [any Strategy]
    private let weights: [Double]
    private let combiner: VoteCombiner
    private var lastTime: Timestamp?
    /// Bars analysed so far.
    public private(set) var bars = 0

    public init(symbol: String, config: TechnicalConfig = TechnicalConfig()) {
        self.symbol = symbol
        self.config = config
        let s = config.strategies()
        strategies = s.map(\.strategy)
        weights = s.map(\.weight)
        combiner = VoteCombiner(minScore: config.minScore)
    }

    /// Bars needed before every enabled strategy is warmed up.
    public var warmUpBars: Int { strategies.map(\.warmUpBars).max() ?? 0 }

    /// The vote on `bar`. A bar that is not later than the previous one (a duplicate or an
    /// out-of-order bar from another publisher) changes nothing and gets a hold with
    /// confidence 0 saying so.
    public mutating func update(_ bar: Bar) -> Vote {
        if let last = lastTime, bar.time <= last {
            return Vote(agent: TechnicalAnalyzer.agent, symbol: symbol, time: bar.time, action: .hold, score: 0, confidence: 0,
                        reason: "ignored: bar at \(bar.time) is not after the previous bar at \(last)")
        }
        lastTime = bar.time
        bars += 1
        var components: [VoteComponent] = []
        components.reserveCapacity(strategies.count)
        var allReady = true, anyReady = false
        for i in strategies.indices {
            components.append(strategies[i].update(bar))
            if strategies[i].isReady { anyReady = true } else { allReady = false }
        }
        if !anyReady || (config.holdUntilAllReady && !allReady) {
            return Vote(agent: TechnicalAnalyzer.agent, symbol: symbol, time: bar.time, action: .hold, score: 0, confidence: 0,
                        reason: "warming up (\(bars)/\(warmUpBars) bars)", components: components)
        }
        let r = combiner.combine(components, weights: weights)
        return Vote(agent: TechnicalAnalyzer.agent, symbol: symbol, time: bar.time, action: r.action, score: r.score,
                    confidence: r.confidence, reason: r.reason, components: components)
    }
}
