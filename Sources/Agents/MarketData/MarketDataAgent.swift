import Bus

/// Why a replay stopped early.
public enum MarketDataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A bad input file (only in the middle of a replay whose inputs were not validated first).
    case input(InputError)
    /// A backtest cycle did not finish in time.
    case cycleTimeout(String)
    /// The configuration cannot work (for example a speed of 0).
    case invalidConfig(String)
    case bus(BusError)
    case cancelled

    public var description: String {
        switch self {
        case .input(let e): e.description
        case .cycleTimeout(let m): m
        case .invalidConfig(let m): "market-data configuration: \(m)"
        case .bus(let e): "bus: \(e)"
        case .cancelled: "replay cancelled"
        }
    }
}

/// What a replay published.
public struct MarketReplaySummary: Sendable, Equatable {
    public var bars = 0
    /// News items read.
    public var newsItems = 0
    /// News events published (one per symbol an item names).
    public var newsEvents = 0
    /// News items naming no symbol, which have no topic to go to (not published).
    public var newsWithoutSymbol = 0
    /// Symbols that had bars, sorted.
    public var symbols: [String] = []
    public var firstTime: Timestamp?
    public var lastTime: Timestamp?
    /// Rows skipped by `skipBadRows`, per source.
    public var skipped: [SkipReport] = []

    public init() {}

    public var skippedCount: Int { skipped.reduce(0) { $0 + $1.count } }
}

/// The market-data agent: replays a time-ordered stream of bars and news onto the bus.
///
/// - each bar goes to `market.bar.<SYM>` with correlation `SYM@<bar time>` (the cycle id);
/// - each news item goes to `market.news.<SYM>` once per symbol it names, without
///   correlation (at one timestamp, news comes before bars);
/// - at the end, `market.end` with the last bar time, the symbols and the bar count.
///
/// Pacing (``MarketDataConfig/Mode``): `fast` publishes at once; `paced` follows market
/// time at `speed` × the wall clock (waiting with the injected ``Sleeper``); `backtest`
/// publishes bar t+1 only after cycle t finished — a `decision` hold, or an
/// `order_denied` / `order_rejected` / `order_filled` / `order_accepted` carrying cycle t's
/// correlation (``CycleGate``) — and fails when a cycle takes longer than the timeout.
public actor MarketDataAgent {
    public static let name = "market-data"

    nonisolated public let unownedExecutor: UnownedSerialExecutor
    private let feed: MarketFeed
    private let config: MarketDataConfig
    private let publisher: Publisher
    private let clock: any WallClock
    private let sleeper: any Sleeper
    /// Terminal events of cycles (backtest mode only): the agent's one subscription.
    private let cycles: Subscription?

    // The cycle being waited for (backtest mode).
    private var pending: String?
    private var pendingDone = false
    private var pendingProgress: String?
    private var pendingSince = Timestamp.epoch
    private var waiter: CheckedContinuation<Void, Never>?
    private var failure: MarketDataError?

    /// Subscribes (in backtest mode) before returning, so no cycle end can be missed.
    public init(
        context: AgentContext, feed: sending MarketFeed, config: MarketDataConfig = MarketDataConfig(),
        sleeper: any Sleeper = TaskSleeper()
    ) async throws(BusError) {
        unownedExecutor = context.executor.asUnownedSerialExecutor()
        self.feed = feed
        self.config = config
        publisher = context.publisher(for: MarketDataAgent.name)
        clock = context.clock
        self.sleeper = sleeper
        if config.mode == .backtest {
            cycles = try await context.bus.subscribe(
                CycleGate.patterns,
                options: SubscriptionOptions(name: "\(context.node)/\(MarketDataAgent.name)", types: CycleGate.types))
        } else {
            cycles = nil
        }
    }

    /// Replays the whole feed, then publishes `market.end`.
    public func run() async throws(MarketDataError) -> MarketReplaySummary {
        if let p = config.problem() { throw .invalidConfig(p) }
        var watcher: Task<Void, Never>?
        var watchdog: Task<Void, Never>?
        if let cycles {
            watcher = Task { await self.watch(cycles) }
            watchdog = Task { await self.watchTimeouts() }
        }
        defer {
            watcher?.cancel()
            watchdog?.cancel()
            cycles?.cancel()
        }
        var summary = MarketReplaySummary()
        var symbols = Set<String>()
        var marketStart: Timestamp?
        var wallStart = Timestamp.epoch
        do {
            while let item = try nextItem() {
                if config.mode == .paced {
                    if let m0 = marketStart {
                        // Capped at ~100 years, so a huge gap cannot overflow the clock.
                        let offset = min(Double((item.time - m0).nanoseconds) / config.speed, 3.2e18)
                        let due = Timestamp(nanoseconds: wallStart.nanoseconds &+ Int64(offset.rounded()))
                        let now = clock.now()
                        if due > now {
                            do { try await sleeper.sleep(for: due - now) } catch { throw MarketDataError.cancelled }
                        }
                    } else {
                        marketStart = item.time
                        wallStart = clock.now()
                    }
                }
                switch item {
                case .bar(let bar):
                    let cycle = Envelope.cycleID(symbol: bar.symbol, time: bar.time)
                    if cycles != nil { begin(cycle) }
                    try await publisher.publish(bar, correlation: cycle)
                    if cycles != nil { try await finish() }
                    summary.bars += 1
                    symbols.insert(bar.symbol)
                    if summary.firstTime == nil { summary.firstTime = bar.time }
                    summary.lastTime = bar.time
                case .news(let news):
                    summary.newsItems += 1
                    var done = Set<String>()
                    for s in news.symbols where done.insert(s).inserted {
                        try await publisher.publish(news, topic: "market.news.\(s)")
                        summary.newsEvents += 1
                    }
                    if done.isEmpty { summary.newsWithoutSymbol += 1 }
                }
            }
            summary.symbols = symbols.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            summary.skipped = feed.skipped
            let end = MarketEnd(time: summary.lastTime ?? .epoch, symbols: summary.symbols, bars: summary.bars)
            try await publisher.publish(end)
        } catch let e as MarketDataError {
            throw e
        } catch let e as BusError {
            throw .bus(e)
        } catch {
            throw .cancelled
        }
        return summary
    }

    private func nextItem() throws(MarketDataError) -> MarketItem? {
        do { return try feed.next() } catch { throw .input(error) }
    }

    // MARK: the backtest gate

    private func begin(_ cycle: String) {
        pending = cycle
        pendingDone = false
        pendingProgress = nil
        pendingSince = clock.now()
    }

    /// Waits until the pending cycle has finished (or failed).
    private func finish() async throws(MarketDataError) {
        if !pendingDone && failure == nil {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    if pendingDone || failure != nil { c.resume() } else { waiter = c }
                }
            } onCancel: {
                Task { await self.fail(.cancelled) }
            }
        }
        if let failure { throw failure }
        pending = nil
    }

    private func watch(_ subscription: Subscription) async {
        for await envelope in subscription {
            guard let cycle = pending, !pendingDone else { continue }
            switch CycleGate.verdict(envelope, cycle: cycle) {
            case .finished:
                pendingDone = true
                resumeWaiter()
            case .progress(let note):
                pendingProgress = note
            case .unrelated:
                continue
            }
        }
    }

    private func watchTimeouts() async {
        let limit = Int64(config.cycleTimeoutSeconds * 1e9)
        let every = Duration.nanoseconds(max(1_000_000, min(limit / 4, 1_000_000_000)))
        while !Task.isCancelled {
            do { try await sleeper.sleep(for: every) } catch { return }
            if let cycle = pending, !pendingDone, failure == nil, (clock.now() - pendingSince).nanoseconds >= limit {
                fail(.cycleTimeout(CycleGate.timeoutMessage(cycle: cycle, seconds: config.cycleTimeoutSeconds, progress: pendingProgress)))
            }
        }
    }

    private func fail(_ e: MarketDataError) {
        if failure == nil { failure = e }
        resumeWaiter()
    }

    private func resumeWaiter() {
        if let w = waiter {
            waiter = nil
            w.resume()
        }
    }
}
