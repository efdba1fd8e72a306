/// The identity of an event: its publisher's source and sequence number. On the wire it is
/// the string `<source>:<seq>`. An id received from outside that does not have that form is
/// kept whole, as an "opaque" id with `seq == 0`.
public struct EventID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var source: String
    /// The publisher's sequence number (from 1); 0 marks an opaque id held in `source`.
    public var seq: UInt64

    public init(source: String, seq: UInt64) {
        self.source = source
        self.seq = seq
    }

    /// Parses `<source>:<seq>`; anything else becomes an opaque id.
    public init(parsing text: String) {
        if let colon = text.lastIndex(of: ":"), let n = UInt64(text[text.index(after: colon)...]), n > 0,
           !text[..<colon].isEmpty {
            self.init(source: String(text[..<colon]), seq: n)
        } else {
            self.init(source: text, seq: 0)
        }
    }

    /// Parses the raw bytes of a wire id without building intermediate strings; the source
    /// is made by `interner` when there is one.
    init(wire k: JSONKey, interning interner: StringInterner? = nil) {
        if k.escaped {
            self.init(parsing: k.string)
            return
        }
        var i = k.count - 1
        var n: UInt64 = 0
        var mult: UInt64 = 1
        var digits = 0
        while i >= 0, k.base[i] &- 0x30 < 10, digits < 19 {
            n &+= UInt64(k.base[i] &- 0x30) &* mult
            mult &*= 10
            digits += 1
            i -= 1
        }
        if digits > 0, i > 0, k.base[i] == 0x3A, n > 0 {
            let source = UnsafeBufferPointer(start: k.base, count: i)
            self.init(source: interner?.string(utf8: source) ?? String(decoding: source, as: UTF8.self), seq: n)
        } else {
            self.init(source: k.string, seq: 0)
        }
    }

    public var description: String {
        if seq == 0 { return source }
        let out = ByteBuffer(capacity: source.utf8.count + 21)
        write(to: out)
        return String(decoding: out.view, as: UTF8.self)
    }

    func write(to out: ByteBuffer) {
        var s = source
        s.withUTF8 { out.append($0) }
        appendSeq(out)
    }

    /// The id inside a JSON string (escapes applied to the source part).
    func writeEscaped(to out: ByteBuffer) {
        out.appendEscapedBody(source)
        appendSeq(out)
    }

    private func appendSeq(_ out: ByteBuffer) {
        if seq != 0 {
            out.append(0x3A)
            out.appendDecimal(seq)
        }
    }

    public static func < (a: EventID, b: EventID) -> Bool { (a.source, a.seq) < (b.source, b.seq) }
}

/// Everything that travels on the bus: an event plus the metadata that lets anyone
/// rebuild the causal chain bar → votes → decision → order → fill.
///
/// A plain value: publishing copies it into each subscriber's queue without allocating
/// (measured: a heap box per event costs more, in cross-thread `free`, than it saves).
public struct Envelope: Sendable, Hashable {
    /// The wire schema this process writes. Messages with a newer schema are refused.
    public static let currentSchema = 1

    public var topic: String
    /// The publishing node and agent, `node/agent`.
    public var source: String
    /// Per-publisher sequence number, starting at 1; 0 means "not sequenced".
    public var seq: UInt64
    /// Event (market) time.
    public var time: Timestamp
    /// Wall-clock time of publication.
    public var published: Timestamp
    /// The trading cycle this event belongs to (one bar of one symbol), e.g. `AAPL@2024-01-02T00:00:00Z`.
    public var correlation: String?
    /// The id of the event that caused this one.
    public var causation: EventID?
    public var payload: Payload
    /// An id received from outside that is not `<source>:<seq>`; kept so it is not lost.
    public var foreignID: String?
    public var schema: Int

    /// `<source>:<seq>`, or the id the event arrived with when it had another form.
    public var id: EventID {
        if let f = foreignID { return EventID(source: f, seq: 0) }
        return EventID(source: source, seq: seq)
    }

    /// The stable type name (the wire `type` field).
    public var type: String { payload.typeName }

    /// The event as `E`, or nil when it is another type.
    @inlinable public func event<E: BusEvent>(as _: E.Type = E.self) -> E? { E(payload: payload) }

    /// The correlation id of the trading cycle for one bar of one symbol: `SYM@<bar time>`.
    public static func cycleID(symbol: String, time: Timestamp) -> String {
        let out = ByteBuffer(capacity: symbol.utf8.count + 32)
        var s = symbol
        s.withUTF8 { out.append($0) }
        out.append(0x40)
        ISO8601.append(time, to: out)
        return String(decoding: out.view, as: UTF8.self)
    }

}

// The initializers live in an extension so that the struct keeps its implicit memberwise
// initializer, which they call. An initializer in the struct's body that assigns the
// fields one by one compiles (Swift 6.3, -O) to building the envelope, copying it (a retain
// per string, the payload's too) and destroying the original: measured on `bench codec`.
extension Envelope {
    public init(
        schema: Int = Envelope.currentSchema, id: EventID? = nil, topic: String, source: String, seq: UInt64,
        time: Timestamp, published: Timestamp, correlation: String? = nil, causation: EventID? = nil,
        payload: Payload
    ) {
        var foreignID: String?
        if let id, !(id.seq == seq && id.source == source) { foreignID = id.description }
        self.init(
            topic: topic, source: source, seq: seq, time: time, published: published, correlation: correlation,
            causation: causation, payload: payload, foreignID: foreignID, schema: schema)
    }

    /// Wraps a catalogue event with its default topic and time.
    public init<E: BusEvent>(
        _ event: E, source: String, seq: UInt64, published: Timestamp,
        topic: String? = nil, correlation: String? = nil, causation: EventID? = nil
    ) {
        self.init(
            topic: topic ?? event.topic, source: source, seq: seq, time: event.eventTime, published: published,
            correlation: correlation, causation: causation, payload: event.payload)
    }
}
