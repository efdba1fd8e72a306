import Bus

/// Settings that cannot work, each naming its field.
public struct AgentConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var agent: String
    public var problems: [String]
    public init(agent: String, problems: [String]) {
        self.agent = agent
        self.problems = problems
    }
    public var description: String { "\(agent): " + problems.joined(separator: "; ") }
}

/// Counters of the sentiment agent.
public struct SentimentAgentStatistics: Sendable, Equatable {
    /// News events received (every per-symbol copy).
    public var news = 0
    /// Copies of an item already applied to that symbol (same id), ignored.
    public var duplicates = 0
    /// Items already too old to count when they arrived, ignored.
    public var stale = 0
    public var bars = 0
    public var votes = 0
    /// Votes the bus refused (it was shutting down).
    public var publishFailures = 0
    /// Language-model requests started (one per distinct headline).
    public var llmRequests = 0
    /// Items scored from the language model's cache on arrival.
    public var llmCached = 0
    /// Items whose language-model score arrived before their first vote's deadline.
    public var llmInTime = 0
    /// Items whose language-model score arrived after their first vote (used from the next vote on).
    public var llmLate = 0
    /// Items first voted with their lexicon score, by why: `deadline`, or the failure kind
    /// (`timeout`, `http_5xx`, `invalid_response`, …).
    public var llmFallbacks: [String: Int] = [:]

    public init() {}

    public var fallbackCount: Int { llmFallbacks.values.reduce(0, +) }
}

/// The sentiment agent: news in, one vote per bar out.
///
/// It subscribes once to `market.news.*` and `market.bar.*`. A news item is applied to the
/// symbol of the topic it arrives on (the replayer publishes one copy per symbol the item
/// names, all with the same id; a copy already applied to that symbol is ignored), scored
/// by the lexicon scorer (and, optionally, a language model), and added to that symbol's
/// decayed mean (``NewsSentimentState``). On each bar it publishes exactly one
/// `signal.sentiment.<SYM>` vote with the bar's correlation and the bar's id as causation.
///
/// With a language model, each distinct headline is sent once, when it arrives; a vote
/// waits for scores still in flight at most `llmVoteDeadlineSeconds` after its bar
/// arrived, then uses the lexicon score for the rest (counted in
/// ``SentimentAgentStatistics/llmFallbacks``); a score that arrives later replaces the
/// lexicon score from the next vote on. Only answers served from the cache make an LLM run
/// repeatable.
public actor SentimentAgent {
    public nonisolated let unownedExecutor: UnownedSerialExecutor
    public static let name = "sentiment"

    public nonisolated let config: SentimentAgentConfig
    public nonisolated let scorer: SentimentScorer
    public nonisolated let llm: LLMHeadlineScorer?
    private let decay: DecayParameters
    private let voter: SentimentVoter
    private let context: AgentContext
    private let publisher: Publisher
    private let subscription: Subscription

    private var states: [String: NewsSentimentState] = [:]
    private var lastBar: [String: Timestamp] = [:]
    private struct Awaiting {
        var id: String
        var headline: String
        var voted = false
    }
    private var awaiting: [String: [Awaiting]] = [:]
    private var pending: [String: (promise: Promise<Result<LLMHeadlineScore, LLMFailure>>, waiters: Int)] = [:]
    private let log: Logger
    /// Kinds of language-model failure already logged (once each: they are counted).
    private var reportedFailures: Set<LLMFailureKind> = []
    private var stats = SentimentAgentStatistics()

    /// Subscribes at once, so nothing published after this returns is missed.
    ///
    /// - Parameters:
    ///   - scorer: the lexicon scorer; by default the one `config` describes.
    ///   - llm: the language-model scorer; by default the one `config.llm` describes (none
    ///     when it is nil).
    /// - Throws: ``AgentConfigError``, ``InputError`` (lexicon file), ``LLMConfigError``, ``BusError``.
    public init(context: AgentContext, config: SentimentAgentConfig = .init(), scorer: SentimentScorer? = nil, llm: LLMHeadlineScorer? = nil) async throws {
        let problems = config.problems()
        if !problems.isEmpty { throw AgentConfigError(agent: Self.name, problems: problems) }
        unownedExecutor = context.executor.asUnownedSerialExecutor()
        self.context = context
        self.config = config
        self.scorer = try scorer ?? config.makeScorer()
        let log = context.logger.labeled("\(context.node)/\(Self.name)")
        self.log = log
        self.llm = try llm ?? config.makeLLM(onPause: { paused, why in
            if paused {
                log.warning("language model paused: \(why); headlines are scored by the lexicon alone meanwhile")
            } else {
                log.info("language model resumed: \(why)")
            }
        })
        decay = config.decay
        voter = config.voter
        publisher = context.publisher(for: Self.name)
        subscription = try await context.bus.subscribe(
            ["market.news.*", "market.bar.*"],
            options: SubscriptionOptions(name: "\(context.node)/\(Self.name)", types: [.news, .bar], endsOnTaskCancellation: false))
    }

    /// Consumes events until the subscription ends (bus shutdown or ``stop()``).
    public func run() async {
        await context.consume(subscription, agent: Self.name) { [self] _, envelope in await self.handle(envelope) }
    }

    private func handle(_ envelope: Envelope) async {
        switch envelope.payload {
        case .news(let item): onNews(item, envelope)
        case .bar(let bar): await onBar(bar, envelope)
        default: break
        }
    }

    /// Unsubscribes; ``run()`` returns once what was queued is handled.
    public nonisolated func stop() { subscription.cancel() }

    public var statistics: SentimentAgentStatistics { stats }

    /// The news state of a symbol.
    public func state(for symbol: String) -> NewsSentimentState? { states[symbol] }

    /// Whether the language model's answer for a headline still awaited by a vote has come.
    func llmAnswerHasCome(for headline: String) -> Bool { pending[headline]?.promise.current != nil }

    // MARK: events

    private func onNews(_ item: NewsItem, _ e: Envelope) {
        stats.news += 1
        let prefix = "market.news."
        let symbol = e.topic.hasPrefix(prefix) && e.topic.utf8.count > prefix.utf8.count
            ? String(e.topic.dropFirst(prefix.count)) : (item.symbols.first ?? "")
        var state = states[symbol] ?? NewsSentimentState(maxItems: config.maxItemsPerSymbol)
        if state.contains(id: item.id) {
            stats.duplicates += 1
            return
        }
        if let last = lastBar[symbol], decay.weight(of: item.time, at: last) < decay.minWeight {
            stats.stale += 1
            return
        }
        var scored = ScoredNews(id: item.id, time: item.time, headline: item.headline, score: lexiconScore(item))
        if let llm {
            if let cached = llm.cached(item.headline) {
                scored.score = cached.score
                scored.source = .llm
                stats.llmCached += 1
            } else {
                requestLLM(item.headline, llm)
                awaiting[symbol, default: []].append(Awaiting(id: item.id, headline: item.headline))
            }
        }
        state.add(scored)
        states[symbol] = state
        // A symbol without bars never gets to forget evicted items' waits: do it here.
        if (awaiting[symbol]?.count ?? 0) > config.maxItemsPerSymbol { dropAwaitingNotIn(state, symbol) }
    }

    private func onBar(_ bar: Bar, _ e: Envelope) async {
        stats.bars += 1
        let symbol = bar.symbol
        if lastBar[symbol].map({ bar.time > $0 }) ?? true { lastBar[symbol] = bar.time }
        if let waiting = awaiting[symbol], !waiting.isEmpty {
            let state = states[symbol] ?? NewsSentimentState(maxItems: config.maxItemsPerSymbol)
            states[symbol] = await collectLLMScores(symbol, waiting, into: state)
        }
        // Pruned in place: a copy taken out of the dictionary would be copied again on write.
        states[symbol, default: NewsSentimentState(maxItems: config.maxItemsPerSymbol)].prune(at: bar.time, decay)
        let state = states[symbol]!
        dropAwaitingNotIn(state, symbol)
        let vote = voter.vote(symbol: symbol, time: bar.time, summary: state.summary(at: bar.time, decay))
        do {
            try await publisher.publish(vote, correlation: e.correlation ?? Envelope.cycleID(symbol: symbol, time: bar.time), causation: e.id)
            stats.votes += 1
        } catch {
            stats.publishFailures += 1
        }
    }

    private func lexiconScore(_ item: NewsItem) -> Double {
        let h = scorer.score(item.headline).compound
        guard config.includeBody, let body = item.body, !body.trimmingASCIIWhitespace().isEmpty else { return h }
        return (h + scorer.score(body).compound) / 2
    }

    // MARK: language model

    private func requestLLM(_ headline: String, _ llm: LLMHeadlineScorer) {
        if pending[headline] != nil {
            pending[headline]!.waiters += 1
            return
        }
        let promise = Promise<Result<LLMHeadlineScore, LLMFailure>>()
        pending[headline] = (promise, 1)
        stats.llmRequests += 1
        Task.detached {
            promise.fulfill(await llm.score(headline))
        }
    }

    /// Waits (until the deadline at most) for the language-model scores of this symbol's
    /// items still in flight, and applies those that have come.
    private func collectLLMScores(_ symbol: String, _ waiting: [Awaiting], into s: NewsSentimentState) async -> NewsSentimentState {
        var state = s
        let deadline = ContinuousClock.now + .milliseconds(Int64(config.llmVoteDeadlineSeconds * 1000))
        var still: [Awaiting] = []
        for var w in waiting {
            guard let p = pending[w.headline]?.promise else { continue }
            switch await p.value(before: deadline) {
            case .success(let s)?:
                state.rescore(id: w.id, score: s.score, source: .llm)
                if w.voted { stats.llmLate += 1 } else { stats.llmInTime += 1 }
                release(w.headline)
            case .failure(let f)?:
                if !w.voted { stats.llmFallbacks[f.kind.rawValue, default: 0] += 1 }
                if f.kind != .unavailable, reportedFailures.insert(f.kind).inserted {
                    log.warning("language model: \(f); the lexicon score stands (each failure is counted as a fallback; this kind is logged once)")
                }
                release(w.headline)
            case nil:
                if !w.voted { stats.llmFallbacks["deadline", default: 0] += 1 }
                w.voted = true
                still.append(w)
            }
        }
        awaiting[symbol] = still
        return state
    }

    private func release(_ headline: String) {
        guard var p = pending[headline] else { return }
        p.waiters -= 1
        pending[headline] = p.waiters > 0 ? p : nil
    }

    /// Forgets language-model waits of items that have been dropped.
    private func dropAwaitingNotIn(_ state: NewsSentimentState, _ symbol: String) {
        guard let waiting = awaiting[symbol], !waiting.isEmpty else { return }
        var kept: [Awaiting] = []
        for w in waiting {
            if state.contains(id: w.id) { kept.append(w) } else { release(w.headline) }
        }
        awaiting[symbol] = kept
    }
}
