/// What one decoding thread remembers from message to message, so that what a stream of
/// events repeats is not made again for every event (the Redis reader owns one):
///
/// - ``strings``: the envelope strings every event repeats (source, topic, cycle id, the
///   causing event's source) are made once per distinct bytes and shared.
/// - the last two canonical dates and times to the second (`YYYY-MM-DDTHH:MM:SS`) parsed and
///   their values: an event's market time (`time`) repeats over its cycle and its `published`
///   time mostly falls in the same second as the last event's, so then only the fraction is
///   read. (Two, because each event has both: one slot would be taken in turn by each.)
///
/// Answers are exact (bytes are always compared in full); only the saving depends on the
/// stream. Not thread-safe: one per decoding thread.
public final class DecodeCache {
    public let strings = StringInterner()

    /// A canonical date and time to the second (its 19 bytes as words) and its value.
    struct Second {
        var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt32 = 0
        var value: Int64 = 0

        /// The 19 bytes at `p` as words (the value is left 0).
        @inline(__always) init(bytes p: UnsafePointer<UInt8>) {
            let r = UnsafeRawPointer(p)
            w0 = r.loadUnaligned(as: UInt64.self)
            w1 = r.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            w2 = UInt32(p[16]) | UInt32(p[17]) << 8 | UInt32(p[18]) << 16 | 1 << 24  // 1: filled
        }

        init() {}

        @inline(__always) func sameBytes(_ o: Second) -> Bool { w0 == o.w0 && w1 == o.w1 && w2 == o.w2 }
    }

    /// The last two seconds read; `recent.0` is the more recent (unfilled ones never match:
    /// a filled slot's `w2` has bit 24 set).
    @exclusivity(unchecked) private var recent = (Second(), Second())

    /// How many times were read from a remembered second, and how many parsed whole (for tests).
    @exclusivity(unchecked) public private(set) var timeHits = 0
    @exclusivity(unchecked) public private(set) var timeMisses = 0

    public init() {}

    /// `ISO8601.parse(bytes:)`, reading only the fraction when the date and time to the
    /// second are those of one of the last two canonical timestamps read.
    public func timestamp(_ b: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        guard let nanos = ISO8601.canonicalFraction(b) else { return ISO8601.parse(bytes: b) }
        let p = b.baseAddress!
        var key = Second(bytes: p)
        if key.sameBytes(recent.0) {
            timeHits &+= 1
            return Timestamp(nanoseconds: recent.0.value * 1_000_000_000 + nanos)
        }
        if key.sameBytes(recent.1) {
            timeHits &+= 1
            recent = (recent.1, recent.0)
            return Timestamp(nanoseconds: recent.0.value * 1_000_000_000 + nanos)
        }
        guard let seconds = ISO8601.canonicalSeconds(p) else { return ISO8601.parse(bytes: b) }
        timeMisses &+= 1
        key.value = seconds
        recent = (key, recent.0)
        return Timestamp(nanoseconds: seconds * 1_000_000_000 + nanos)
    }
}
