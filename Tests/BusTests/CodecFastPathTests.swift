import Foundation
import Testing
@testable import Bus

/// The decoder reads its own encoder's layout through fast paths (fixed keys in a fixed
/// order) and everything else through the general reader. Both must give the same values,
/// and the same errors.
@Suite struct CodecFastPathTests {
    /// Foundation's pretty, sorted output is nowhere near the canonical layout: every
    /// event takes the general path and must decode to what the canonical bytes give.
    @Test(arguments: EventType.allCases)
    func generalAndCanonicalLayoutsDecodeAlike(_ type: EventType) throws {
        let e = EventSamples.envelope(type)
        let canonical = try EventCodec.decode(EventCodec.encode(e))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let general = try EventCodec.decode([UInt8](try encoder.encode(e)))
        #expect(canonical == e)
        #expect(general == e)
    }

    /// Our own output (also with the Redis transport's `topicSeq` appended) takes the fast
    /// path: a change to the encoder that breaks it would otherwise only show as a slowdown.
    @Test(arguments: EventType.allCases)
    func ourOwnOutputTakesTheFastPath(_ type: EventType) throws {
        let e = EventSamples.envelope(type)
        for bytes in [EventCodec.encode(e), EventCodec.encode(e).dropLast() + Array(#","topicSeq":42}"#.utf8)] {
            let taken = bytes.withUnsafeBufferPointer { u -> Envelope? in
                var r = JSONReader(u)
                return EventCodec.canonical(&r)
            }
            #expect(taken == e)
            #expect(try EventCodec.decode(bytes) == e)
        }
    }

    /// Differential fuzzing: whatever the fast paths accept, the general reader (forced by a
    /// space after every `{` and `,` outside strings) accepts too, with the same value.
    @Test func mutatedMessagesDecodeAlikeOnBothPaths() {
        var rng = SplitMix64(seed: 0xFA57)
        let interesting: [UInt8] = Array("{}[]\",:\\0123456789-+.eEtrufalsnZT ".utf8) + [0x00, 0x80, 0xC3, 0xFF]
        var accepted = 0
        for i in 0..<30_000 {
            var bytes = CodecFuzzTests.seeds[i % CodecFuzzTests.seeds.count]
            let edits = Int(rng.next() % 3)
            for _ in 0..<edits {
                guard !bytes.isEmpty else { break }
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 4 {
                case 0: bytes[at] = interesting[Int(rng.next() % UInt64(interesting.count))]
                case 1: bytes.remove(at: at)
                case 2: bytes.insert(interesting[Int(rng.next() % UInt64(interesting.count))], at: at)
                default: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                }
            }
            guard let fast = try? EventCodec.decode(bytes) else { continue }
            accepted += 1
            let spaced = CodecFastPathTests.spaced(bytes)
            do {
                let general = try EventCodec.decode(spaced)
                var expected = fast
                // An event of unknown type keeps its data's bytes verbatim: spaced too.
                if case .raw(let raw) = fast.payload {
                    expected.payload = .raw(RawEvent(type: raw.type, json: String(decoding: CodecFastPathTests.spaced(Array(raw.json.utf8)), as: UTF8.self)))
                }
                #expect(general == expected, "\(String(decoding: bytes, as: UTF8.self))")
            } catch {
                Issue.record("the fast path accepted what the general reader refuses (\(error)): \(String(decoding: bytes, as: UTF8.self))")
            }
        }
        #expect(accepted > 1_000)
    }

    /// `bytes` with a space after every `{` and `,` outside strings (valid JSON stays valid).
    static func spaced(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var inString = false, escaped = false
        for b in bytes {
            out.append(b)
            if inString {
                if escaped { escaped = false } else if b == 0x5C { escaped = true } else if b == 0x22 { inString = false }
            } else if b == 0x22 {
                inString = true
            } else if b == 0x7B || b == 0x2C {
                out.append(0x20)
            }
        }
        return out
    }

    @Test func votesWithAVetoAnExitAndNoComponentsRoundTrip() throws {
        for vote in [
            Vote(agent: "risk", symbol: "AAPL", time: Timestamp(seconds: 1_704_205_800), action: .sell, score: -1, confidence: 1,
                 reason: "stop", components: [], veto: "halted: drawdown", exit: "stop-loss \"5%\""),
            Vote(agent: "risk", symbol: "AAPL", time: Timestamp(seconds: 1_704_205_800), action: .hold, score: 0, confidence: 0,
                 reason: "", components: [], veto: nil, exit: "x"),
        ] {
            let e = Envelope(vote, source: "main/risk", seq: 3, published: Timestamp(seconds: 1_704_205_801), correlation: "AAPL@2024-01-02T14:30:00Z")
            #expect(try EventCodec.decode(EventCodec.encode(e)) == e)
        }
    }

    /// An error deep inside a canonical message is reported by the general reader, with
    /// the field and the byte offset in the whole message.
    @Test func anErrorInsideACanonicalMessageIsWordedByTheGeneralReader() throws {
        let e = EventSamples.envelope(.bar)
        let text = EventCodec.encodeString(e)
        let open = try #require(text.range(of: #""open":"#))
        let valueStart = text.utf8.distance(from: text.startIndex, to: open.upperBound)
        let high = try #require(text.range(of: #","high""#))
        var bad = text
        bad.replaceSubrange(open.upperBound..<high.lowerBound, with: #""x""#)
        do {
            _ = try EventCodec.decode(bad)
            Issue.record("decoded a bar with a string price")
        } catch {
            #expect(error.description == "bar: expected a number, found '\"' (at byte \(valueStart))")
        }
    }

    /// A canonical prefix followed by something else (an extra key) still decodes.
    @Test func anExtraKeyAfterTheCanonicalFieldsIsSkipped() throws {
        let e = EventSamples.envelope(.bar)
        var text = EventCodec.encodeString(e)
        text.insert(contentsOf: #","extra":{"a":[1,2,{"b":null}]}"#, at: text.index(before: text.endIndex))
        #expect(try EventCodec.decode(text) == e)
        var inData = EventCodec.encodeString(e)
        inData = inData.replacingOccurrences(of: #""volume":"#, with: #""note":"hi","volume":"#)
        #expect(try EventCodec.decode(inData) == e)
    }

    /// Timestamps in Agora's own form take a fixed-offset parser; it must agree with the
    /// general one on every input it accepts, and refuse what the general one refuses.
    @Test func canonicalTimestampsParseLikeTheGeneralParser() throws {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<20_000 {
            let t = Timestamp(nanoseconds: Int64(bitPattern: rng.next()) % 7_000_000_000_000_000_000)
            var text = String(t.iso8601.dropLast())  // without the Z
            // Fraction lengths other than 0/3/6/9 as well.
            if !text.contains(".") && rng.next() % 2 == 0 {
                let digits = Int(rng.next() % 9) + 1
                text += "." + String((0..<digits).map { _ in Character(String(rng.next() % 10)) })
            }
            text += "Z"
            let a = text.utf8.withContiguousStorageIfAvailable { ISO8601.parseCanonical($0) } ?? nil
            let b = text.utf8.withContiguousStorageIfAvailable { ISO8601.parseGeneral($0) } ?? nil
            #expect(a != nil)
            #expect(a == b, "\(text)")
        }
        for bad in ["2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-01-02T25:00:00Z", "2024-01-02T14:60:00Z",
                    "2024-01-02T14:30:00.Z", "2024-01-02T14:3a:00Z", "1600-01-01T00:00:00Z"] {
            let a = bad.utf8.withContiguousStorageIfAvailable { ISO8601.parseCanonical($0) } ?? nil
            let b = bad.utf8.withContiguousStorageIfAvailable { ISO8601.parseGeneral($0) } ?? nil
            #expect(a == nil, "\(bad)")
            #expect(b == nil, "\(bad)")
        }
        // What the fast parser declines, the general one still reads (digits past the 9th
        // are ignored there).
        let long = "2024-01-02T14:30:00.1234567890Z"
        #expect((long.utf8.withContiguousStorageIfAvailable { ISO8601.parseCanonical($0) } ?? nil) == nil)
        #expect(try ISO8601.parse(long) == Timestamp(nanoseconds: 1_704_205_800_123_456_789))
    }
}

/// The writer remembers the last two dates it formatted (an envelope has a market date and
/// a publish date); alternating between more dates than that still writes each correctly.
@Suite struct TimestampWriterCacheTests {
    @Test func alternatingDatesAreEachWrittenCorrectly() throws {
        var w = JSONWriter(capacity: 64)
        var rng = SplitMix64(seed: 5)
        let days: [Int64] = [0, 19_724, 20_775, 19_725, -1, 100_000]
        for _ in 0..<5_000 {
            let t = Timestamp(nanoseconds: days[Int(rng.next() % UInt64(days.count))] * 86_400_000_000_000 + Int64(rng.next() % 86_400_000_000_000))
            w.reset()
            w.appendTimestamp(t)
            #expect(String(decoding: w.bytes, as: UTF8.self) == "\"\(ISO8601.format(t))\"")
            #expect(try ISO8601.parse(String(decoding: w.bytes.dropFirst().dropLast(), as: UTF8.self)) == t)
        }
    }
}

@Suite struct TimestampReaderCacheTests {
    /// One reader reading many timestamps, repeated and alternating (its two-entry cache of
    /// recent texts), gives each one's own value; an empty string is still refused.
    @Test func repeatedAndAlternatingTimesAreEachReadCorrectly() throws {
        var rng = SplitMix64(seed: 9)
        let pool = (0..<4).map { _ in Timestamp(nanoseconds: Int64(rng.next() % 4_000_000_000) * 1_000_000_000 + Int64(rng.next() % 1_000) * 1_000_000) }
        var times: [Timestamp] = []
        for _ in 0..<2_000 { times.append(pool[Int(rng.next() % UInt64(pool.count))]) }
        let json = "[" + times.map { "\"\(ISO8601.format($0))\"" }.joined(separator: ",") + "]"
        let back = try JSONReader.withReader(json) { (r: inout JSONReader) throws(WireError) -> [Timestamp] in
            var out: [Timestamp] = []
            var a = try r.beginArray()
            while try r.nextElement(&a) { out.append(try r.readTimestamp()) }
            return out
        }
        #expect(back == times)
        #expect(throws: WireError.self) {
            try JSONReader.withReader("[\"2024-01-02T00:00:00Z\",\"\"]") { (r: inout JSONReader) throws(WireError) in
                var a = try r.beginArray()
                while try r.nextElement(&a) { _ = try r.readTimestamp() }
            }
        }
    }
}

@Suite struct EnumReadingTests {
    /// Case names are matched as bytes; escapes, other cases and non-strings take the String
    /// path, which gives the same value or words the same error.
    @Test(arguments: [
        ("\"buy\"", Action.buy), ("\"hold\"", .hold), (" \"sell\"", .sell), ("\"b\\u0075y\"", .buy),
    ])
    func caseNamesAreRead(_ json: String, _ expected: Action) throws {
        let v = try JSONReader.withReader(json) { (r: inout JSONReader) throws(WireError) in try r.readEnum(Action.self, "action") }
        #expect(v == expected)
    }

    @Test(arguments: [
        ("\"buyx\"", "invalid value \"buyx\" for \"action\" (at byte 0)"), ("\"bu\"", "invalid value \"bu\" for \"action\" (at byte 0)"),
        ("\"\"", "invalid value \"\" for \"action\" (at byte 0)"), (" \"BUY\"", "invalid value \"BUY\" for \"action\" (at byte 0)"),
        ("\"hol\\u0064s\"", "invalid value \"holds\" for \"action\" (at byte 0)"), ("1", "expected a string, found '1' (at byte 0)"),
    ])
    func anythingElseIsRefusedWithTheFieldNamed(_ json: String, _ message: String) {
        do {
            _ = try JSONReader.withReader(json) { (r: inout JSONReader) throws(WireError) in try r.readEnum(Action.self, "action") }
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.description == message)
        }
    }
}
