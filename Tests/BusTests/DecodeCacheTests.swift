import Testing
@testable import Bus

/// What the decode cache gives is exactly what decoding without it gives: the interner's
/// strings are those `String(decoding:as:)` makes, its times those `ISO8601` reads; only
/// what is allocated or parsed depends on what it has seen.
@Suite struct DecodeCacheTests {
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
            let got = DecodeCacheTests.make(s, bytes)
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
            #expect(DecodeCacheTests.make(s, a) == String(decoding: a, as: UTF8.self))
            #expect(DecodeCacheTests.make(s, b) == String(decoding: b, as: UTF8.self))
        }
        #expect(s.hits == 0)
        #expect(DecodeCacheTests.make(s, b) == String(decoding: b, as: UTF8.self))
        #expect(s.hits == 1)
    }

    /// Short strings (stored inline by Swift) and long ones are made directly, never kept.
    @Test func shortAndLongStringsAreNotKept() {
        let s = StringInterner()
        for bytes in [Array("AAPL".utf8), Array(repeating: 0x41, count: 15), Array(repeating: 0x42, count: StringInterner.maxBytes + 1)] {
            _ = DecodeCacheTests.make(s, bytes)
            _ = DecodeCacheTests.make(s, bytes)
        }
        #expect(s.hits == 0 && s.misses == 0)
        let id = Array("main/market-data".utf8)
        _ = DecodeCacheTests.make(s, id)
        _ = DecodeCacheTests.make(s, id)
        #expect(s.hits == 1 && s.misses == 1)
    }

    /// Decoding through an interner gives the same envelopes as without, event after event,
    /// and the fields every event repeats are shared.
    @Test func decodingThroughACacheGivesTheSameEnvelopes() throws {
        let cache = DecodeCache()
        for round in 0..<3 {
            for type in EventType.allCases {
                var e = EventSamples.envelope(type, seq: UInt64(round + 1))
                e.published = Timestamp(nanoseconds: e.published.nanoseconds + Int64(round) * 1_000_123)
                let bytes = EventCodec.encode(e)
                let got = try bytes.withUnsafeBufferPointer { try EventCodec.decode($0, cache: cache) }
                #expect(got == e)
                #expect(got == (try EventCodec.decode(bytes)))
            }
        }
        // Sources, topics and the cycle id of 21 types, three rounds: all but the first round hit.
        #expect(cache.strings.hits >= 2 * cache.strings.misses)
        #expect(cache.timeHits > cache.timeMisses)
    }

    /// Timestamps through the cache read exactly as ISO8601 reads them: the same second with
    /// other fractions (or none), other seconds, other forms (offsets, no seconds, dates),
    /// and bytes that are no time at all, in a random order so that each follows others.
    @Test func timestampsThroughTheCacheReadAsTheParserReads() {
        var rng = SplitMix64(seed: 0x7153)
        let cache = DecodeCache()
        let base: Int64 = 1_764_547_200  // 2025-12-01T00:00:00Z
        let odd = ["2025-12-01T00:00:05+01:00", "2025-12-01 00:00:05", "2025-12-01", "2025-12-01T00:00:05.Z",
                   "2025-12-01T00:00:05.1234567890Z", "2025-12-01T00:00:0xZ", "2025-13-01T00:00:05Z",
                   "2025-12-01T00:00:05.12a4Z", "2025-12-01T00:00:05", "garbage of some length"]
        for _ in 0..<30_000 {
            let text: String
            if rng.next() % 5 == 0 {
                text = odd[Int(rng.next() % UInt64(odd.count))]
            } else {
                let seconds = base + Int64(rng.next() % 4)  // few seconds: many repeats
                var t = Timestamp(seconds: seconds).iso8601
                let digits = Int(rng.next() % 10)
                if digits > 0 {
                    t.removeLast()  // the Z
                    t += "." + (0..<digits).map { _ in String(rng.next() % 10) }.joined() + "Z"
                }
                text = t
            }
            let bytes = Array(text.utf8)
            let viaCache = bytes.withUnsafeBufferPointer { cache.timestamp($0) }
            let direct = bytes.withUnsafeBufferPointer { ISO8601.parse(bytes: $0) }
            if viaCache != direct {
                Issue.record("\(text): cache \(String(describing: viaCache)), parser \(String(describing: direct))")
                return
            }
        }
        #expect(cache.timeHits > 10_000)
    }
}
