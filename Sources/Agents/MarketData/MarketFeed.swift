import Bus

/// One thing the market-data agent replays: a bar, or a news item.
public enum MarketItem: Sendable, Equatable {
    case bar(Bar)
    case news(NewsItem)

    public var time: Timestamp {
        switch self {
        case .bar(let b): b.time
        case .news(let n): n.time
        }
    }
}

/// Merges bar sources (one per file, or one file with a symbol column) and news sources
/// into one time-ordered stream of ``MarketItem``s, holding at most one timestamp's worth
/// of items (memory grows with the number of symbols, never with the length of the files).
///
/// Order: by time; at one timestamp first the news (by source, then in source order),
/// then the bars sorted by symbol (byte-wise), then by source. A symbol's bars must
/// strictly increase in time across all sources: the same symbol at the same time in two
/// sources is an error naming both places (skipped and counted with `skipBadRows`).
public final class MarketFeed {
    private final class BarLane {
        let source: any BarSource
        var head: BarRecord?
        init(_ s: any BarSource) { source = s }
    }

    private final class NewsLane {
        let source: any NewsSource
        var head: NewsItem?
        var last: Timestamp?
        init(_ s: any NewsSource) { source = s }
    }

    private let bars: [BarLane]
    private let news: [NewsLane]
    private var started = false
    private var queue: [MarketItem] = []
    private var queueIndex = 0
    private var group: [(record: BarRecord, lane: Int)] = []
    private let skipBadRows: Bool
    private var mergeReport = SkipReport(source: "merge")
    /// The last time of each symbol, for the cross-source check.
    /// Each symbol's last bar: its time, and where it came from (the `file:line` text is
    /// built only for an error message, not for every bar).
    private var lastTime: [String: (time: Timestamp, source: String, line: Int)] = [:]

    /// - Parameter skipBadRows: skip (and count) a bar that repeats a symbol's time in
    ///   another source, instead of failing.
    public init(bars: [any BarSource], news: [any NewsSource] = [], skipBadRows: Bool = false) {
        self.bars = bars.map(BarLane.init)
        self.news = news.map(NewsLane.init)
        self.skipBadRows = skipBadRows
    }

    /// Skip reports of every source that skipped rows, then of the merge itself.
    public var skipped: [SkipReport] {
        var out = bars.compactMap { $0.source.skipped }.filter { $0.count > 0 }
        if mergeReport.count > 0 { out.append(mergeReport) }
        return out
    }

    /// The total number of rows skipped.
    public var skippedCount: Int { skipped.reduce(0) { $0 + $1.count } }

    /// The next item, or nil at the end of every source.
    public func next() throws(InputError) -> MarketItem? {
        if queueIndex < queue.count {
            defer { queueIndex += 1 }
            return queue[queueIndex]
        }
        if !started {
            started = true
            for lane in bars { lane.head = try lane.source.next() }
            for lane in news { try advance(lane) }
        }
        queue.removeAll(keepingCapacity: true)
        queueIndex = 0
        while queue.isEmpty {
            guard let t = earliest() else { return nil }
            for lane in news {
                while let item = lane.head, item.time == t {
                    queue.append(.news(item))
                    try advance(lane)
                }
            }
            group.removeAll(keepingCapacity: true)
            for (i, lane) in bars.enumerated() {
                while let r = lane.head, r.bar.time == t {
                    group.append((r, i))
                    lane.head = try lane.source.next()
                }
            }
            group.sort { a, b in
                if a.record.bar.symbol != b.record.bar.symbol { return a.record.bar.symbol.utf8.lexicographicallyPrecedes(b.record.bar.symbol.utf8) }
                return a.lane < b.lane
            }
            for (r, _) in group {
                if let previous = lastTime[r.bar.symbol], r.bar.time <= previous.time {
                    let last = previous.time
                    let place = BarRecord(bar: r.bar, source: previous.source, line: previous.line).location
                    let e = InputError(
                        file: r.source, line: r.line > 0 ? r.line : nil, field: "time",
                        r.bar.time == last
                            ? "\(r.bar.symbol) already has a bar at \(r.bar.time) (\(place))"
                            : "\(r.bar.symbol) bar at \(r.bar.time) is older than its bar at \(last) (\(place))")
                    if skipBadRows {
                        mergeReport.record(e)
                        continue
                    }
                    throw e
                }
                lastTime[r.bar.symbol] = (r.bar.time, r.source, r.line)
                queue.append(.bar(r.bar))
            }
        }
        queueIndex = 1
        return queue[0]
    }

    private func advance(_ lane: NewsLane) throws(InputError) {
        lane.head = try lane.source.next()
        if let item = lane.head {
            if let last = lane.last, item.time < last {
                throw InputError(file: lane.source.name, field: "time",
                                 "news item \"\(item.id)\" at \(item.time) goes backwards (previous item at \(last))")
            }
            lane.last = item.time
        }
    }

    private func earliest() -> Timestamp? {
        var t: Timestamp?
        for lane in bars { if let h = lane.head, t == nil || h.bar.time < t! { t = h.bar.time } }
        for lane in news { if let h = lane.head, t == nil || h.time < t! { t = h.time } }
        return t
    }

    /// What the inputs hold, read through once: counts, and the news items naming symbols
    /// that no bar has (they reach no trading cycle: a `goog` for `GOOG`, say).
    public struct Census: Sendable, Equatable {
        public var bars = 0
        public var news = 0
        /// Items by symbol, for symbols named by news but never by a bar.
        public var untradedNews: [String: Int] = [:]
        /// The traded symbols (those with bars).
        public var traded: Set<String> = []
    }

    /// Reads every item, to check the inputs before trading starts (throws the first
    /// problem), and says what they hold.
    public func census() throws(InputError) -> Census {
        var c = Census()
        var named: [String: Int] = [:]
        while let item = try next() {
            switch item {
            case .bar(let b):
                c.bars += 1
                c.traded.insert(b.symbol)
            case .news(let n):
                c.news += 1
                for s in n.symbols { named[s, default: 0] += 1 }
            }
        }
        c.untradedNews = named.filter { !c.traded.contains($0.key) }
        return c
    }
}

/// A description of market input (Sendable, so it can be handed to an agent or checked
/// ahead of time), from which a fresh ``MarketFeed`` can be opened any number of times.
public struct MarketInputs: Sendable, Equatable {
    public enum BarInput: Sendable, Equatable {
        /// A CSV file; `symbol` names the symbol of a file without a symbol column (default:
        /// the file name), or selects one symbol of a file with one.
        case csv(path: String, symbol: String?)
        /// A generated series.
        case synthetic(SyntheticSeries)
        /// Bars in memory, in time order.
        case bars([Bar], name: String)
    }

    public enum NewsInput: Sendable, Equatable {
        /// News items in memory, in time order.
        case items([NewsItem], name: String)
    }

    public var bars: [BarInput]
    public var news: [NewsInput]
    public var skipBadRows: Bool

    public init(bars: [BarInput], news: [NewsInput] = [], skipBadRows: Bool = false) {
        self.bars = bars
        self.news = news
        self.skipBadRows = skipBadRows
    }

    /// Opens the sources (reading CSV headers) and returns a feed over them.
    public func open() throws(InputError) -> MarketFeed {
        var sources: [any BarSource] = []
        for input in bars {
            switch input {
            case .csv(let path, let symbol):
                sources.append(try BarCSVReader(path: path, options: .init(symbol: symbol, skipBadRows: skipBadRows)))
            case .synthetic(let s):
                if let p = s.problem() { throw InputError(file: "synthetic \(s.symbol)", p) }
                sources.append(SyntheticBarSource(s))
            case .bars(let b, let name):
                sources.append(ArrayBarSource(b, name: name))
            }
        }
        var newsSources: [any NewsSource] = []
        for input in news {
            switch input {
            case .items(let items, let name): newsSources.append(ArrayNewsSource(items, name: name))
            }
        }
        return MarketFeed(bars: sources, news: newsSources, skipBadRows: skipBadRows)
    }

    /// Reads every input once, in constant memory, so a bad file is refused before trading
    /// starts. Returns the counts the replay will publish and, in skip mode, what it skipped.
    public func validate() throws(InputError) -> (bars: Int, news: Int, skipped: [SkipReport]) {
        let (c, skipped) = try check()
        return (c.bars, c.news, skipped)
    }

    /// `validate`, with the whole census.
    public func check() throws(InputError) -> (census: MarketFeed.Census, skipped: [SkipReport]) {
        let feed = try open()
        return (try feed.census(), feed.skipped)
    }

    /// A warning for news that names symbols no bar has, or nil.
    public static func untradedNewsWarning(_ c: MarketFeed.Census) -> String? {
        guard !c.untradedNews.isEmpty else { return nil }
        let traded = c.traded.sorted()
        let list = c.untradedNews.sorted { $0.key < $1.key }.prefix(5).map { symbol, items -> String in
            let hint = traded.first { $0.lowercased() == symbol.lowercased() }.map { ", did you mean \($0)?" } ?? ""
            return "\(symbol) (\(items) item\(items == 1 ? "" : "s")\(hint))"
        }.joined(separator: ", ") + (c.untradedNews.count > 5 ? " and \(c.untradedNews.count - 5) more" : "")
        return "news for symbols with no bars, which no cycle will read: \(list)"
    }
}
