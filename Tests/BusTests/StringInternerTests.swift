import Testing
@testable import Bus

/// The interner gives exactly the string `String(decoding:as:)` would make; only whether
/// it allocates depends on what it has seen.
@Suite struct StringInternerTests {
    static func make(_ s: StringInterner, _ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { s.string(utf8: $0) }
    }

    /// Random byte strings of every length around the limits, from a small alphabet so that
    /// the same bytes come back (hits) and different ones share slots (collisions), plus
    /// invalid UTF-8: each answer equals the plain decoding.
    @Test func answersLikeStringDecoding() {
        var rng = SplitMix64(seed: 0x1A7E)
        let s = StringInterner()
        let alphabet: [UInt8] = Array("AB@:-0123".utf8) + [0xC3, 0xA9, 0xFF]
        var pool: [[UInt8]] = []
        for i in 0..<60_000 {
            let bytes: [UInt8]
            if !pool.isEmpty && rng.next() % 2 == 0 {
                bytes = pool[Int(rng.next() % UInt64(pool.count))]
            } else {
                let n = Int(rng.next() % UInt64(StringInterner.maxBytes + 8))
                bytes = (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
                if pool.count < 1_000 { pool.append(bytes) } else { pool[i % pool.count] = bytes }
            }
            let got = StringInternerTests.make(s, bytes)
            let want = String(decoding: bytes, as: UTF8.self)
            if got != want || Array(got.utf8) != Array(want.utf8) {
                Issue.record("\(bytes): got \(got), want \(want)")
                return
            }
        }
        #expect(s.hits > 3_000)
        #expect(s.misses > 1_000)
    }

    /// Two different strings whose slots collide replace each other and are both answered right.
    @Test func collidingStringsAreToldApart() throws {
        let s = StringInterner()
        // Find two 24-byte strings with the same slot.
        var seen: [Int: [UInt8]] = [:]
        var pair: ([UInt8], [UInt8])?
        for i in 0..<10_000 where pair == nil {
            let bytes = Array("AAPL@2024-01-02T14:30:\(String(i + 10_000))".utf8)
            let slot = bytes.withUnsafeBufferPointer { StringInterner.slot(of: $0) }
            if let other = seen[slot] { pair = (other, bytes) } else { seen[slot] = bytes }
        }
        let (a, b) = try #require(pair)
        for _ in 0..<3 {
            #expect(StringInternerTests.make(s, a) == String(decoding: a, as: UTF8.self))
            #expect(StringInternerTests.make(s, b) == String(decoding: b, as: UTF8.self))
        }
        #expect(s.hits == 0)
        #expect(StringInternerTests.make(s, b) == String(decoding: b, as: UTF8.self))
        #expect(s.hits == 1)
    }

    /// Short strings (stored inline by Swift) and long ones are made directly, never kept.
    @Test func shortAndLongStringsAreNotKept() {
        let s = StringInterner()
        for bytes in [Array("AAPL".utf8), Array(repeating: 0x41, count: 15), Array(repeating: 0x42, count: StringInterner.maxBytes + 1)] {
            _ = StringInternerTests.make(s, bytes)
            _ = StringInternerTests.make(s, bytes)
        }
        #expect(s.hits == 0 && s.misses == 0)
        let id = Array("main/market-data".utf8)
        _ = StringInternerTests.make(s, id)
        _ = StringInternerTests.make(s, id)
        #expect(s.hits == 1 && s.misses == 1)
    }

    /// Decoding through an interner gives the same envelopes as without, event after event,
    /// and the fields every event repeats are shared.
    @Test func decodingThroughAnInternerGivesTheSameEnvelopes() throws {
        let s = StringInterner()
        for round in 0..<3 {
            for type in EventType.allCases {
                let e = EventSamples.envelope(type, seq: UInt64(round + 1))
                let bytes = EventCodec.encode(e)
                let got = try bytes.withUnsafeBufferPointer { try EventCodec.decode($0, strings: s) }
                #expect(got == e)
                #expect(got == (try EventCodec.decode(bytes)))
            }
        }
        // Sources, topics and the cycle id of 21 types, three rounds: all but the first round hit.
        #expect(s.hits >= 2 * s.misses)
    }
}
