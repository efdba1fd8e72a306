import Bus

extension Envelope {
    /// The symbol of a per-symbol topic (its last segment).
    public var symbolFromTopic: String { String(Topic.lastSegment(topic)) }
}

/// Topic strings per symbol, built once (string interpolation on every event would cost an
/// allocation each time).
public struct TopicCache: Sendable {
    private var cache: [String: String] = [:]
    private let prefix: String

    public init(prefix: String) { self.prefix = prefix }

    public mutating func topic(_ symbol: String) -> String {
        if let t = cache[symbol] { return t }
        let t = prefix + symbol
        cache[symbol] = t
        return t
    }
}
