import Bus
#if canImport(Glibc)
import Glibc
#endif

/// Reports an agent's failure to handle an event: one line on stderr (and, once structured
/// logging exists, a log record). Agents keep running after such a failure.
public func reportAgentProblem(_ agent: String, _ message: String) {
    var line = "agora: \(agent): \(message)\n"
    line.withUTF8 { u in _ = write(2, u.baseAddress, u.count) }
}

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
