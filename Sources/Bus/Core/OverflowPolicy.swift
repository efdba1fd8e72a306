/// What a subscription does when its bounded queue is full. Chosen at subscribe time.
///
/// - ``suspend(capacity:)`` (the default): the publisher waits until there is room.
///   Nothing is lost.
/// - ``dropOldest(capacity:)``: the oldest queued event makes room for the new one.
/// - ``dropNewest(capacity:)``: the new event is refused.
///
/// Drops are never silent: every subscription counts them (``SubscriptionStats/dropped``),
/// and nodes report them in heartbeats and metrics.
public struct OverflowPolicy: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Hashable {
        case suspend
        case dropOldest
        case dropNewest
    }

    let kind: Kind
    /// The most events that wait in the queue. The consumer holds at most one more batch.
    public let capacity: Int

    private init(_ kind: Kind, _ capacity: Int) {
        self.kind = kind
        self.capacity = max(1, capacity)
    }

    public static let defaultCapacity = 4096

    public static func suspend(capacity: Int = defaultCapacity) -> OverflowPolicy { .init(.suspend, capacity) }
    public static func dropOldest(capacity: Int = defaultCapacity) -> OverflowPolicy { .init(.dropOldest, capacity) }
    public static func dropNewest(capacity: Int = defaultCapacity) -> OverflowPolicy { .init(.dropNewest, capacity) }

    /// The default: suspend the publisher, lose nothing.
    public static var `default`: OverflowPolicy { .suspend() }

    public var isLossless: Bool { kind == .suspend }

    public var name: String {
        switch kind {
        case .suspend: "suspend"
        case .dropOldest: "drop-oldest"
        case .dropNewest: "drop-newest"
        }
    }

    public var description: String { "\(name)(\(capacity))" }

    /// Parses `suspend`, `drop-oldest` or `drop-newest`, optionally with `:CAPACITY`.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", maxSplits: 1)
        var capacity = OverflowPolicy.defaultCapacity
        if parts.count == 2 {
            guard let c = Int(parts[1]), c > 0 else { return nil }
            capacity = c
        }
        switch parts.first.map(String.init) {
        case "suspend": self = .suspend(capacity: capacity)
        case "drop-oldest": self = .dropOldest(capacity: capacity)
        case "drop-newest": self = .dropNewest(capacity: capacity)
        default: return nil
        }
    }
}
