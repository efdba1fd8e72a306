import Foundation
import Testing
@testable import Bus

@Suite struct CodecTests {
    @Test(arguments: EventType.allCases)
    func roundTripsEveryEventType(_ type: EventType) throws {
        let e = EventSamples.envelope(type)
        let bytes = EventCodec.encode(e)
        let back = try EventCodec.decode(bytes)
        #expect(back == e)
        #expect(back.type == type.rawValue)
        // Stable: encoding the decoded value gives the same bytes.
        #expect(EventCodec.encode(back) == bytes)
    }

    @Test(arguments: EventType.allCases)
    func foundationReadsOurJSON(_ type: EventType) throws {
        let e = EventSamples.envelope(type)
        let back = try JSONDecoder().decode(Envelope.self, from: Data(EventCodec.encode(e)))
        #expect(back == e)
    }

    @Test(arguments: EventType.allCases)
    func weReadFoundationJSON(_ type: EventType) throws {
        let e = EventSamples.envelope(type)
        let data = try JSONEncoder().encode(e)
        let back = try EventCodec.decode([UInt8](data))
        #expect(back == e)
    }

    @Test func minimalMessageFromAnotherLanguage() throws {
        // What a shell or Python client sends: only `type` and `data`.
        let text = #"{"type":"bar","data":{"symbol":"MSFT","time":"2024-01-02","open":1,"high":2,"low":0.5,"close":1.5,"volume":100}}"#
        let e = try EventCodec.decode(text, channel: "market.bar.MSFT", receivedAt: Timestamp(seconds: 5))
        let bar = try #require(e.event(as: Bar.self))
        #expect(bar.symbol == "MSFT")
        #expect(bar.time == (try ISO8601.parse("2024-01-02T00:00:00Z")))
        #expect(e.topic == "market.bar.MSFT")
        #expect(e.source == "external")
        #expect(e.seq == 0)
        #expect(e.time == bar.time)
        #expect(e.published == Timestamp(seconds: 5))
    }

    @Test func timestampsAsEpochSeconds() throws {
        let text = #"{"type":"bar","data":{"symbol":"X","time":1704153600.5,"open":1,"high":1,"low":1,"close":1,"volume":0}}"#
        let bar = try #require(try EventCodec.decode(text).event(as: Bar.self))
        #expect(bar.time == Timestamp(nanoseconds: 1_704_153_600_500_000_000))
    }

    @Test func unknownTypeBecomesRawAndRoundTrips() throws {
        let text = #"{"type":"custom_signal","topic":"custom.x","source":"py/bot","seq":3,"time":"2024-01-02T00:00:00Z","data":{"a":[1,2,{"b":null}]}}"#
        let e = try EventCodec.decode(text)
        guard case .raw(let raw) = e.payload else {
            Issue.record("expected a raw payload")
            return
        }
        #expect(raw.type == "custom_signal")
        #expect(raw.json == #"{"a":[1,2,{"b":null}]}"#)
        #expect(e.id == EventID(source: "py/bot", seq: 3))
        let again = try EventCodec.decode(EventCodec.encode(e))
        #expect(again == e)
    }

    @Test func foreignIDsAreKept() throws {
        let text = #"{"id":"abc-123","type":"halt","source":"ops","data":{"time":"2024-01-02T00:00:00Z","code":"manual","reason":"r","by":"ops"}}"#
        let e = try EventCodec.decode(text)
        #expect(e.id.description == "abc-123")
        #expect(try EventCodec.decode(EventCodec.encode(e)).id.description == "abc-123")
    }

    @Test(arguments: [
        (#"{"type":"bar","data":{"symbol":"X","time":"2024-01-02","open":1,"high":1,"low":1,"volume":0}}"#, #"bar: missing field "close" in bar"#),
        (#"{"data":{}}"#, #"missing field "type""#),
        (#"{"type":"bar"}"#, #"missing field "data""#),
        (#"{"schema":2,"type":"bar","data":{}}"#, "schema version 2 is newer than this build understands (1)"),
        (#"[1,2]"#, "message is not a JSON object (at byte 0)"),
        ("", "empty message"),
        (#"{"type":"bar","data":{"symbol":"X","time":"yesterday","open":1,"high":1,"low":1,"close":1,"volume":0}}"#, #"bar: not an ISO 8601 time: "yesterday" (at byte 43)"#),
        (#"{"type":"vote","data":{"agent":"t","symbol":"X","time":"2024-01-02","action":"short","score":0,"confidence":0,"reason":""}}"#, #"vote: invalid value "short" for "action" (at byte 77)"#),
        (#"{"type":"bar","data":{"symbol":"X","time":"2024-01-02","open":"1","high":1,"low":1,"close":1,"volume":0}}"#, "bar: expected a number, found '\"' (at byte 62)"),
        (#"{"type":"bar","data":{} "#, "unterminated object (at byte 24)"),
        (#"{"type":"bar","data":{}} x"#, "unexpected 'x' after the JSON value (at byte 25)"),
    ])
    func malformedInputGivesAClearError(_ text: String, _ message: String) {
        do {
            _ = try EventCodec.decode(text)
            Issue.record("decoded malformed input: \(text)")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func doublesRoundTripExactly() throws {
        var rng = SplitMix64(seed: 42)
        var values: [Double] = [0, -0.0, 1, -1, 0.1, 185.64, 1e-9, 1e-10, 123456.789, 9_007_199_254_740_991, 1e21, 1e300, .leastNonzeroMagnitude, .pi, -2.5e-7]
        for _ in 0..<20_000 { values.append(Double(bitPattern: rng.next())) }
        for _ in 0..<20_000 { values.append(Double(Int(rng.next() % 10_000_000)) / 100) }
        for v in values where v.isFinite {
            var w = JSONWriter()
            w.appendDouble(v)
            let back = try JSONReader.withReader(w.bytes) { (r: inout JSONReader) throws(WireError) in try r.readDouble() }
            #expect(back.bitPattern == v.bitPattern || (v == 0 && back == 0), "\(v) → \(w.string) → \(back)")
        }
    }

    /// A decimal of up to 15 significant digits and up to 9 decimals (prices, sizes,
    /// fractions) is written back as exactly those digits: no other decimal that short
    /// reads as the same double, so anything else would be a longer form or a wrong one.
    @Test func shortDecimalsAreWrittenAsTheirDigits() throws {
        var rng = SplitMix64(seed: 0xDEC)
        var w = JSONWriter()
        for _ in 0..<50_000 {
            let decimals = Int(rng.next() % 10)
            let intDigits = Int(rng.next() % UInt64(15 - decimals)) + 1  // ≤ 15 significant digits
            var text = rng.next() % 4 == 0 ? "-" : ""
            text += String(rng.next() % 9 + 1)
            for _ in 1..<intDigits { text += String(rng.next() % 10) }
            if decimals > 0 {
                text += "."
                for _ in 1..<decimals { text += String(rng.next() % 10) }
                text += String(rng.next() % 9 + 1)
            }
            let v = try #require(Double(text))
            w.reset()
            w.appendDouble(v)
            if w.string != text {
                Issue.record("\(text) written as \(w.string)")
                return
            }
        }
    }

    /// The byte comparison behind key and literal matching: equal at every length 0–40,
    /// and unequal when any one byte differs (each of its overlapping loads must count).
    @Test func sameBytesTellsEveryDifference() {
        var rng = SplitMix64(seed: 0x5A)
        for n in 0...40 {
            let a = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var b = a
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    #expect(n == 0 || sameBytes(pa.baseAddress!, pb.baseAddress!, n), "length \(n)")
                }
            }
            for i in 0..<n {
                b[i] ^= 0x01 << UInt8(i % 8)
                let same = a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in sameBytes(pa.baseAddress!, pb.baseAddress!, n) } }
                #expect(!same, "length \(n), byte \(i) differs")
                b[i] = a[i]
            }
        }
    }

    /// Integers and fixed-point decimals are written like Swift's own formatting, at every
    /// digit count and around every power of ten (the digit count comes from the bit length).
    @Test func integersAndFixedPointAreWrittenDigitForDigit() {
        var values: [UInt64] = [0, 1, 9, 10, 99, 100, UInt64.max, UInt64.max - 1]
        var p: UInt64 = 1
        for _ in 0..<19 {
            p *= 10
            values += [p - 1, p, p + 1]
        }
        var rng = SplitMix64(seed: 0x1D)
        for _ in 0..<20_000 { values.append(rng.next() >> (rng.next() % 64)) }
        var w = JSONWriter()
        for v in values {
            w.reset()
            w.appendUInt(v)
            #expect(w.string == String(v))
            if v <= UInt64(Int64.max) {
                w.reset()
                w.appendInt(-Int64(v))
                #expect(w.string == (v == 0 ? "0" : "-" + String(v)))
            }
            let k = Int(v % 10)
            w.reset()
            w.out.appendFixed(v, decimals: k)
            var digits = String(v)
            if k > 0 {
                if digits.count <= k { digits = String(repeating: "0", count: k - digits.count + 1) + digits }
                digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -k))
            }
            #expect(w.string == digits, "\(v) with \(k) decimals")
        }
    }

    @Test func stringsWithEscapesAndUnicodeRoundTrip() throws {
        let samples = ["plain", "quote \" backslash \\ slash /", "tab\tnewline\ncr\r", "\u{0001}\u{001F}", "émoji 📈 €", "long " + String(repeating: "x", count: 300), ""]
        for s in samples {
            var w = JSONWriter()
            w.value(s)
            let back = try JSONReader.withReader(w.bytes) { (r: inout JSONReader) throws(WireError) in try r.readString() }
            #expect(back == s)
            let viaFoundation = try JSONDecoder().decode(String.self, from: Data(w.bytes))
            #expect(viaFoundation == s)
        }
        let escaped = try JSONReader.withReader(#""\u00e9\ud83d\udcc8\n""#) { (r: inout JSONReader) throws(WireError) in try r.readString() }
        #expect(escaped == "é📈\n")
    }

    /// Every length from 0 to 40 with a byte to escape (or none) at every position: the writer
    /// copies clean 8-byte words whole and tests a string's last partial word as its last 8
    /// bytes, so the escape's place relative to those words matters. The output is exactly
    /// what a byte-by-byte escaper writes, and reads back.
    @Test func escapesAtEveryPositionOfEveryLength() throws {
        func reference(_ bytes: [UInt8]) -> [UInt8] {
            var out: [UInt8] = [0x22]
            for c in bytes {
                switch c {
                case 0x22: out += [0x5C, 0x22]
                case 0x5C: out += [0x5C, 0x5C]
                case 0x0A: out += [0x5C, 0x6E]
                case 0x0D: out += [0x5C, 0x72]
                case 0x09: out += [0x5C, 0x74]
                case 0x08: out += [0x5C, 0x62]
                case 0x0C: out += [0x5C, 0x66]
                case ..<0x20: out += Array(String(format: "\\u%04x", c).utf8)
                default: out.append(c)
                }
            }
            return out + [0x22]
        }
        var w = JSONWriter(capacity: 16)
        for n in 0...40 {
            for at in -1..<n {
                for special: UInt8 in [0x22, 0x5C, 0x0A, 0x01, 0x1F] {
                    var bytes = (0..<n).map { UInt8(0x61 + $0 % 26) }
                    if at >= 0 { bytes[at] = special }
                    w.reset()
                    bytes.withUnsafeBufferPointer { w.out.appendQuoted($0) }
                    #expect(w.bytes == reference(bytes), "length \(n), escape at \(at)")
                    let back = try JSONReader.withReader(w.bytes) { (r: inout JSONReader) throws(WireError) in try r.readString() }
                    #expect(Array(back.utf8) == bytes)
                    let s = String(decoding: bytes, as: UTF8.self)
                    w.reset()
                    w.value(s)
                    #expect(w.bytes == reference(bytes))
                }
            }
        }
    }

    /// One writer formats times in turn from a few seconds (as an envelope's market and
    /// publish times, event after event), with every fraction length, before 1970 too: each
    /// reads as a fresh formatter writes it, though the writer remembers the last two days.
    @Test func aWriterRemembersSecondsWithoutMixingThemUp() {
        var rng = SplitMix64(seed: 0x5EC)
        var w = JSONWriter()
        let bases: [Int64] = [1_704_205_800, 1_795_000_000, -86_401, 0]
        for _ in 0..<20_000 {
            let second = bases[Int(rng.next() % 4)] + Int64(rng.next() % 3)
            let nanos: Int64 = switch rng.next() % 4 {
            case 0: 0
            case 1: Int64(rng.next() % 1000) * 1_000_000
            case 2: Int64(rng.next() % 1_000_000) * 1000
            default: Int64(rng.next() % 1_000_000_000)
            }
            let t = Timestamp(nanoseconds: second * 1_000_000_000 + nanos)
            w.reset()
            w.appendTimestamp(t)
            let fresh = ByteBuffer(capacity: 64)
            ISO8601.append(t, to: fresh)
            if w.bytes != [0x22] + Array(fresh.view) + [0x22] {
                Issue.record("\(t.nanoseconds): \(w.string) vs \(String(decoding: fresh.view, as: UTF8.self))")
                return
            }
        }
    }

    /// What a publisher could not have sent is refused on receipt, with the reason.
    @Test(arguments: [
        (#"{"type":"zz","topic":"a.b*?[","time":"2024-01-02","data":{}}"#, nil, #"topic "a.b*?[" contains a glob character"#),
        (#"{"type":"zz","topic":"","time":"2024-01-02","data":{}}"#, nil, "topic is empty"),
        (#"{"type":"zz","time":"2024-01-02","data":{}}"#, "ctl\u{1}chan", #"topic "ctl\#u{1}chan" contains a space or control character"#),
        (#"{"type":"","topic":"a.b","data":{}}"#, nil, "type: empty"),
        (#"{"type":5,"data":{}}"#, nil, "type: expected a string, found '5' (at byte 8)"),
        (#"{"type":"zz","topic":"a.b","seq":"a","data":{}}"#, nil, #"seq: expected a non-negative integer, found '"' (at byte 33)"#),
        (#"{"type":"zz","topic":"a.b","data":[1]}"#, nil, "zz: data: expected an object (at byte 34)"),
        (#"{"type":"bar","topic":"market.bar.AAPL","data":{"symbol":"","time":"2024-01-02","open":1,"high":1,"low":1,"close":1,"volume":1}}"#, nil, "bar: empty symbol"),
        (#"{"type":"bar","topic":"market.bar.AAPL","data":{"symbol":"AAPL","time":"2024-01-02","open":0,"high":1,"low":0,"close":1,"volume":1}}"#, nil, "bar: low 0.0 is not a positive price"),
        (#"{"type":"bar","topic":"market.bar.AAPL","data":{"symbol":"AAPL","time":"2024-01-02","open":1,"high":1,"low":1,"close":1,"volume":1}}"#,
         "market.bar.MSFT", #"topic "market.bar.AAPL" is not the channel "market.bar.MSFT" it came on"#),
        (#"{"type":"bar","topic":"market.bar.AAPL","data":{"symbol":"AAPL","time":"2024-01-02","open":1,"high":1,"low":1,"close":1,"volume":1}}"#,
         "demo.market.bar.AAPL", #"topic "market.bar.AAPL" is not the channel "demo.market.bar.AAPL" it came on (published under the prefix "demo."? subscribe with the same prefix)"#),
    ] as [(String, String?, String)])
    func whatNoPublisherCouldSendIsRefused(text: String, channel: String?, message: String) {
        do {
            _ = try EventCodec.decode(text, channel: channel)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description == message)
        }
    }

    /// Our own messages decode on their channel, through the cache, again and again.
    @Test func aValidTopicOnItsChannelDecodes() throws {
        let cache = DecodeCache()
        let e = EventSamples.envelope(.bar)
        let bytes = EventCodec.encode(e)
        for _ in 0..<3 {
            let back = try bytes.withUnsafeBufferPointer { try EventCodec.decode($0, channel: e.topic, cache: cache) }
            #expect(back.topic == e.topic)
        }
    }

    /// A valid date outside the nanosecond range is called that, not "not ISO 8601".
    @Test func aTimeOutOfRangeSaysSo() {
        #expect(ISO8601.problem("9999-01-02T09:40:00Z") == "year 9999 of \"9999-01-02T09:40:00Z\" is outside 1678…2261 (what a nanosecond timestamp holds)")
        #expect(ISO8601.problem("1600-01-01") == "year 1600 of \"1600-01-01\" is outside 1678…2261 (what a nanosecond timestamp holds)")
        #expect(ISO8601.problem("2024/01/03") == "not an ISO 8601 date or date-time: \"2024/01/03\"")
        #expect((try? ISO8601.parse("2261-12-31")) != nil && (try? ISO8601.parse("1678-01-01")) != nil)
        #expect(throws: ISO8601.ParseError.self) { try ISO8601.parse("2262-01-01") }
    }

    @Test func timestampsFormatAndParse() throws {
        #expect(Timestamp(seconds: 0).iso8601 == "1970-01-01T00:00:00Z")
        #expect(Timestamp(nanoseconds: 1_704_205_800_125_000_000).iso8601 == "2024-01-02T14:30:00.125Z")
        #expect(Timestamp(nanoseconds: 1_704_205_800_000_001_000).iso8601 == "2024-01-02T14:30:00.000001Z")
        #expect(Timestamp(nanoseconds: -1).iso8601 == "1969-12-31T23:59:59.999999999Z")
        #expect(try ISO8601.parse("2024-02-29") == Timestamp(seconds: 1_709_164_800))
        #expect(try ISO8601.parse("2024-01-02T15:30:00+01:00") == ISO8601.parse("2024-01-02T14:30:00Z"))
        #expect(try ISO8601.parse("2024-01-02 09:30") == ISO8601.parse("2024-01-02T09:30:00Z"))
        #expect(try ISO8601.parse("2024-01-02T14:30:00-0500") == ISO8601.parse("2024-01-02T19:30:00Z"))
        for bad in ["2023-02-29", "2024-13-01", "2024-01-02T25:00", "20240102", "2024-01-02T14:30:00Zjunk", "2024-1-2"] {
            #expect(throws: ISO8601.ParseError.self) { try ISO8601.parse(bad) }
        }
        var rng = SplitMix64(seed: 7)
        for _ in 0..<10_000 {
            let t = Timestamp(nanoseconds: Int64(bitPattern: rng.next()) % 7_000_000_000_000_000_000)
            #expect(try ISO8601.parse(t.iso8601) == t)
        }
    }

    @Test func eventIDsParse() {
        #expect(EventID(parsing: "main/technical:42") == EventID(source: "main/technical", seq: 42))
        #expect(EventID(parsing: "a:b:7") == EventID(source: "a:b", seq: 7))
        #expect(EventID(parsing: "abc").description == "abc")
        #expect(EventID(parsing: "abc:0").description == "abc:0")
        #expect(EventID(parsing: ":5").description == ":5")
    }
}

/// A small deterministic generator for property tests and fuzzing.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A bar that could not have traded is refused on the wire with a message naming the field.
@Suite struct ImpossibleBarTests {
    static func json(open: String = "1.5", high: String = "2", low: String = "1", close: String = "1.8", volume: String = "10") -> String {
        #"{"schema":1,"type":"bar","topic":"market.bar.X","source":"ext","seq":1,"time":"2024-01-02T00:00:00Z","data":{"symbol":"X","time":"2024-01-02T00:00:00Z","open":"#
            + open + #","high":"# + high + #","low":"# + low + #","close":"# + close + #","volume":"# + volume + "}}"
    }

    @Test(arguments: [
        (json(high: "0.5"), "bar: high 0.5 is below low 1.0"),
        (json(open: "2.5"), "bar: open 2.5 is outside [low 1.0, high 2.0]"),
        (json(close: "0.9"), "bar: close 0.9 is outside [low 1.0, high 2.0]"),
        (json(volume: "-1"), "bar: volume -1.0 is negative"),
    ])
    func refused(_ text: String, _ message: String) {
        #expect(throws: WireError(message)) { try EventCodec.decode(text) }
    }

    @Test func aValidBarDecodes() throws {
        #expect(try EventCodec.decode(Self.json()).event(as: Bar.self)?.close == 1.8)
    }
}
