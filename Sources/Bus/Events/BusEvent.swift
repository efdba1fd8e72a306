#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The stable names of every event type in Agora's catalogue.
///
/// The raw value is the `type` field on the wire. It never changes once published;
/// a new shape of an event gets a new schema version, not a new name.
public enum EventType: String, Sendable, CaseIterable, Hashable, Codable {
    case bar
    case news
    case marketEnd = "market_end"
    case vote
    case decision
    case orderRequest = "order_request"
    case orderApproved = "order_approved"
    case orderDenied = "order_denied"
    case orderAccepted = "order_accepted"
    case orderFilled = "order_filled"
    case orderRejected = "order_rejected"
    case orderCancelled = "order_cancelled"
    case executionReport = "execution_report"
    case portfolioSnapshot = "portfolio_snapshot"
    case tradeClosed = "trade_closed"
    case journalReport = "journal_report"
    case journalRequest = "journal_request"
    case heartbeat
    case halt
    case resume
    case runFinished = "run_finished"

    /// A small dense index, used for type-filter bit masks on the hot path.
    @inlinable public var index: Int {
        switch self {
        case .bar: 0
        case .news: 1
        case .marketEnd: 2
        case .vote: 3
        case .decision: 4
        case .orderRequest: 5
        case .orderApproved: 6
        case .orderDenied: 7
        case .orderAccepted: 8
        case .orderFilled: 9
        case .orderRejected: 10
        case .orderCancelled: 11
        case .executionReport: 12
        case .portfolioSnapshot: 13
        case .tradeClosed: 14
        case .journalReport: 15
        case .journalRequest: 16
        case .heartbeat: 17
        case .halt: 18
        case .resume: 19
        case .runFinished: 20
        }
    }
}

extension EventType {
    private static let wireNames: [(EventType, [UInt8])] = allCases.map { ($0, Array($0.rawValue.utf8)) }

    /// Matches a wire type name without allocating a String.
    init?(wireName k: JSONKey) {
        if k.escaped {
            self.init(rawValue: k.string)
            return
        }
        for (t, name) in EventType.wireNames where name.count == k.count {
            if name.withUnsafeBufferPointer({ sameBytes($0.baseAddress!, k.base, k.count) }) {
                self = t
                return
            }
        }
        return nil
    }
}

/// An event of Agora's catalogue: a `Sendable`, `Codable` value with a stable type name
/// and a default topic.
public protocol BusEvent: JSONCodable, Codable, Equatable {
    /// The stable type name of this event on the wire.
    static var eventType: EventType { get }
    /// The topic this event is published on unless the publisher names another.
    var topic: String { get }
    /// The market (event) time this event refers to.
    var eventTime: Timestamp { get }
    /// Wraps the value for transport.
    var payload: Payload { get }
    /// Unwraps a payload of this type; nil for any other type.
    init?(payload: Payload)
}

/// A payload whose type this process does not know. It still reaches raw subscribers
/// (the tap, the recorder) with its JSON intact.
public struct RawEvent: Sendable, Hashable {
    public var type: String
    /// The JSON text of the `data` member, exactly as received.
    public var json: String
    public init(type: String, json: String) {
        self.type = type
        self.json = json
    }
}

extension Payload {
    /// The stable type name on the wire.
    public var typeName: String {
        if case .raw(let r) = self { return r.type }
        return eventType!.rawValue
    }
    /// Bit for type-filter masks; unknown (raw) events use bit 63.
    @inlinable public var typeBit: UInt64 {
        if let t = eventType { return 1 &<< UInt64(t.index) }
        return 1 &<< 63
    }
}

extension Bar {
    /// Why this bar is impossible (no symbol, a non-finite value, high below low, open or
    /// close outside [low, high], a negative volume, a price not above zero), or nil when it
    /// is a valid bar.
    public var problem: String? {
        // Checked for every bar that arrives, so the common valid bar takes no allocation.
        if low <= open && open <= high && low <= close && close <= high && volume >= 0 && high.isFinite && low > 0 && volume.isFinite
            && !symbol.isEmpty {
            return nil
        }
        if symbol.isEmpty { return "empty symbol" }
        for (name, v) in [("open", open), ("high", high), ("low", low), ("close", close), ("volume", volume)] where !v.isFinite {
            return "\(name) is not a finite number"
        }
        if high < low { return "high \(high) is below low \(low)" }
        if open < low || open > high { return "open \(open) is outside [low \(low), high \(high)]" }
        if close < low || close > high { return "close \(close) is outside [low \(low), high \(high)]" }
        if volume < 0 { return "volume \(volume) is negative" }
        // Returns, sizing and stops divide by prices (bar files refuse these too).
        if !(low > 0) { return "low \(low) is not a positive price" }
        return nil
    }
}
