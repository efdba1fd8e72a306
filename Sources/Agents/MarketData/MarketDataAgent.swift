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
    private let executor: AgentExecutor
    private let config: MarketDataConfig
    private let publisher: Publisher
    private let clock: any WallClock
    private let sleeper: any Sleeper
    private let handlerTimes: HandlerTimes?
    /// The bus, for its outage counts when a cycle times out.
    private let bus: any EventBus
    /// Terminal events of cycles (backtest mode only): the agent's one subscription.
    private let cycles: Subscription?

    // The cycle being waited for (backtest mode).
    private var pending: String?
    private var pendingDone = false
    private var pendingProgress: String?
    private var pendingSince = Timestamp.epoch
    private var failure: MarketDataError?

    private func timed(_ handler: @escaping EventLoop.Handler) -> EventLoop.Handler {
        handlerTimes?.timed(Self.name, handler) ?? handler
    }

    /// Subscribes (in backtest mode) before returning, so no cycle end can be missed.
    public init(
        context: AgentContext, feed: sending MarketFeed, config: MarketDataConfig = MarketDataConfig(),
        sleeper: any Sleeper = TaskSleeper()
    ) async throws(BusError) {
        unownedExecutor = context.executor.asUnownedSerialExecutor()
        executor = context.executor
        self.feed = feed
        self.config = config
        publisher = context.publisher(for: MarketDataAgent.name)
        clock = context.clock
        self.sleeper = sleeper
        handlerTimes = context.handlerTimes
        bus = context.bus
        if config.mode == .backtest {
            cycles = try await context.bus.subscribe(
                CycleGate.patterns,
                options: SubscriptionOptions(name: "\(context.node)/\(MarketDataAgent.name)", types: CycleGate.types, endsOnTaskCancellation: false))
        } else {
            cycles = nil
        }
    }

    /// Replays the whole feed, then publishes `market.end`.
    ///
    /// In backtest mode the replay runs inside the node's event loop: each cycle's terminal
    /// event is delivered to the gate's handler, which publishes the next bar. No task waits
    /// or wakes per bar, which is what keeps a backtest at a few microseconds per bar.
    public func run() async throws(MarketDataError) -> MarketReplaySummary {
        if let p = config.problem() { throw .invalidConfig(p) }
        if let cycles {
            let watchdog = Task { [weak self] in await self?.watchTimeouts() }
            defer {
                watchdog.cancel()
                cycles.cancel()
            }
            await advance()
            if !ended {
                await cycles.deliver(on: executor.eventLoop, timed { [self] _, envelope in await self.onGate(envelope) })
            }
            if let failure { throw failure }
            if !ended { throw .cancelled }
            return summary
        }
        do {
            while !stopRequested, let item = try nextItem() {
                if config.mode == .paced { try await pace(item.time) }
                if stopRequested { break }  // asked while waiting for the item's time
                try await publish(item)
            }
            try await publishEnd()
        } catch let e as MarketDataError {
            throw e
        } catch let e as BusError {
            throw .bus(e)
        } catch {
            throw .cancelled
        }
        return summary
    }

    // The replay's state.
    private var summary = MarketReplaySummary()
    private var symbols = Set<String>()
    private var marketStart: Timestamp?
    private var wallStart = Timestamp.epoch
    private var ended = false
    private var stopRequested = false

    /// Asks the replay to stop taking new bars: the cycle in flight finishes, then
    /// `market.end` is published as if the data had ended (graceful shutdown).
    public func requestStop() {
        stopRequested = true
        pacing?.cancel()  // a paced replay may be waiting for a bar hours of market time away
    }
    /// The paced replay's wait for the next item, while it waits.
    private var pacing: Task<Void, any Error>?
    private var newsTopics = TopicCache(prefix: "market.news.")
    private var barTopics = TopicCache(prefix: "market.bar.")

    /// Waits until `time` is due at `speed` × real time (paced mode).
    private func pace(_ time: Timestamp) async throws(MarketDataError) {
        if let m0 = marketStart {
            // Capped at ~100 years, so a huge gap cannot overflow the clock.
            let offset = min(Double((time - m0).nanoseconds) / config.speed, 3.2e18)
            let due = Timestamp(nanoseconds: wallStart.nanoseconds &+ Int64(offset.rounded()))
            let now = clock.now()
            if due > now {
                // In a task of its own, so that `requestStop` can end the wait.
                let sleeper = sleeper, wait = due - now
                let sleep = Task { try await sleeper.sleep(for: wait) }
                pacing = sleep
                defer { pacing = nil }
                do {
                    try await withTaskCancellationHandler { try await sleep.value } onCancel: { sleep.cancel() }
                } catch {
                    if stopRequested && !Task.isCancelled { return }
                    throw MarketDataError.cancelled
                }
            }
        } else {
            marketStart = time
            wallStart = clock.now()
        }
    }

    /// Publishes one item (a bar opens its cycle in backtest mode).
    private func publish(_ item: MarketItem) async throws(BusError) {
        switch item {
        case .bar(let bar):
            let cycle = Envelope.cycleID(symbol: bar.symbol, time: bar.time)
            if cycles != nil { begin(cycle) }
            try await publisher.publish(bar, topic: barTopics.topic(bar.symbol), correlation: cycle)
            summary.bars += 1
            symbols.insert(bar.symbol)
            if summary.firstTime == nil { summary.firstTime = bar.time }
            summary.lastTime = bar.time
        case .news(let news):
            summary.newsItems += 1
            var done = Set<String>()
            for s in news.symbols where done.insert(s).inserted {
                try await publisher.publish(news, topic: newsTopics.topic(s))
                summary.newsEvents += 1
            }
            if done.isEmpty { summary.newsWithoutSymbol += 1 }
        }
    }

    private func publishEnd() async throws(BusError) {
        summary.symbols = symbols.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        summary.skipped = feed.skipped
        let end = MarketEnd(time: summary.lastTime ?? .epoch, symbols: summary.symbols, bars: summary.bars)
        try await publisher.publish(end)
        ended = true
    }

    /// Backtest mode: publishes items up to and including the next bar (which opens a
    /// cycle), or to the end of the data (then `market.end`).
    private func advance() async {
        do {
            while !stopRequested, let item = try nextItem() {
                try await publish(item)
                if case .bar = item { return }
            }
            try await publishEnd()
            cycles?.cancel()
        } catch let e as MarketDataError {
            fail(e)
        } catch let e as BusError {
            fail(.bus(e))
        } catch {
            fail(.cancelled)
        }
    }

    /// A terminal event of the pending cycle releases the next bar.
    private func onGate(_ envelope: Envelope) async {
        guard let cycle = pending, !pendingDone, failure == nil else { return }
        switch CycleGate.verdict(envelope, cycle: cycle) {
        case .finished:
            pendingDone = true
            pending = nil
            await advance()
        case .progress(let note):
            pendingProgress = note
        case .unrelated:
            return
        }
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

    private func watchTimeouts() async {
        let limit = Int64(config.cycleTimeoutSeconds * 1e9)
        let every = Duration.nanoseconds(max(1_000_000, min(limit / 4, 1_000_000_000)))
        while !Task.isCancelled {
            do { try await sleeper.sleep(for: every) } catch { return }
            if let cycle = pending, !pendingDone, failure == nil, (clock.now() - pendingSince).nanoseconds >= limit {
                let counts = bus.statistics()
                fail(.cycleTimeout(CycleGate.timeoutMessage(cycle: cycle, seconds: config.cycleTimeoutSeconds, progress: pendingProgress,
                                                            reconnects: counts.reconnects, gaps: counts.gaps)))
            }
        }
    }

    /// Records the failure and ends the gate's wait (its subscription ends).
    private func fail(_ e: MarketDataError) {
        if failure == nil { failure = e }
        cycles?.cancel()
    }
}
