import Bus

/// A bar with where it came from, for error messages that name `file:line`.
public struct BarRecord: Sendable, Equatable {
    public var bar: Bar
    /// The source's name (a file path, or a label for generated and in-memory bars).
    public var source: String
    /// 1-based line in the source file; 0 when the bar does not come from a file.
    public var line: Int

    public init(bar: Bar, source: String, line: Int = 0) {
        self.bar = bar
        self.source = source
        self.line = line
    }

    /// `file:line`, or the source name alone.
    public var location: String { line > 0 ? "\(source):\(line)" : source }
}

/// How many bad rows a source skipped (with `--skip-bad-rows`), and the first of them.
public struct SkipReport: Sendable, Equatable, CustomStringConvertible {
    public var source: String
    public var count: Int
    public var first: InputError?

    public init(source: String, count: Int = 0, first: InputError? = nil) {
        self.source = source
        self.count = count
        self.first = first
    }

    mutating func record(_ e: InputError) {
        count += 1
        if first == nil { first = e }
    }

    public var description: String {
        let rows = count == 1 ? "1 bad row" : "\(count) bad rows"
        return "skipped \(rows) in \(source)" + (first.map { " (first: \($0))" } ?? "")
    }
}

/// A time-ordered stream of bars: a CSV file, a generator, or an array. Within one source
/// times never go backwards, and one symbol's times strictly increase.
public protocol BarSource: AnyObject {
    var name: String { get }
    /// The next bar, or nil at the end.
    func next() throws(InputError) -> BarRecord?
    /// The rows this source skipped, when it skips bad rows.
    var skipped: SkipReport? { get }
}

extension BarSource {
    public var skipped: SkipReport? { nil }
}

/// A time-ordered stream of news items.
public protocol NewsSource: AnyObject {
    var name: String { get }
    func next() throws(InputError) -> NewsItem?
}

/// Bars held in memory (tests, generated series). They must already be in time order.
public final class ArrayBarSource: BarSource {
    public let name: String
    private let bars: [Bar]
    private var index = 0

    public init(_ bars: [Bar], name: String = "<memory>") {
        self.bars = bars
        self.name = name
    }

    public func next() throws(InputError) -> BarRecord? {
        guard index < bars.count else { return nil }
        defer { index += 1 }
        return BarRecord(bar: bars[index], source: name, line: 0)
    }
}

/// News items held in memory, in time order.
public final class ArrayNewsSource: NewsSource {
    public let name: String
    private let items: [NewsItem]
    private var index = 0

    public init(_ items: [NewsItem], name: String = "<memory>") {
        self.items = items
        self.name = name
    }

    public func next() throws(InputError) -> NewsItem? {
        guard index < items.count else { return nil }
        defer { index += 1 }
        return items[index]
    }
}

/// What cannot be a symbol: one that would not make a valid topic segment.
public enum SymbolCheck {
    /// A one-line problem with `symbol`, or nil when it can name a topic.
    public static func problem(_ symbol: String) -> String? {
        if symbol.isEmpty { return "empty symbol" }
        for b in symbol.utf8 {
            switch b {
            case 0...0x20, 0x7F: return "symbol \"\(symbol)\" contains a space or control character"
            case 0x2A, 0x3F, 0x5B, 0x5D, 0x5C: return "symbol \"\(symbol)\" contains a glob character (* ? [ ] \\)"
            default: continue
            }
        }
        if let p = Topic.validate("market.bar.\(symbol)") { return "symbol \"\(symbol)\" cannot name a topic: \(p)" }
        return nil
    }
}
