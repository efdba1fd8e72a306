import Testing
@testable import Bus

/// Random and mutated inputs never crash the codec: they decode or give a WireError.
@Suite struct CodecFuzzTests {
    static let seeds: [[UInt8]] = EventType.allCases.map { EventCodec.encode(EventSamples.envelope($0)) }

    @Test func mutatedMessagesNeverCrash() {
        var rng = SplitMix64(seed: 0xA60A)
        var decoded = 0, refused = 0
        let interesting: [UInt8] = Array("{}[]\",:\\0123456789-+.eEtrufalsn \u{7F}".utf8) + [0x00, 0x80, 0xC3, 0xFF, 0xED, 0xA0]
        for i in 0..<60_000 {
            var bytes = CodecFuzzTests.seeds[i % CodecFuzzTests.seeds.count]
            let edits = 1 + Int(rng.next() % 4)
            for _ in 0..<edits {
                guard !bytes.isEmpty else { break }
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 5 {
                case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes[at] = interesting[Int(rng.next() % UInt64(interesting.count))]
                case 2: bytes.remove(at: at)
                case 3: bytes.insert(interesting[Int(rng.next() % UInt64(interesting.count))], at: at)
                default: bytes.removeLast(bytes.count - at)
                }
            }
            do {
                let e = try EventCodec.decode(bytes)
                // Whatever decodes must encode and decode again to the same value.
                #expect(try EventCodec.decode(EventCodec.encode(e)) == e)
                decoded += 1
            } catch {
                #expect(!error.message.isEmpty)
                refused += 1
            }
        }
        #expect(decoded > 0 && refused > 0)
    }

    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 99)
        for _ in 0..<20_000 {
            let n = Int(rng.next() % 64)
            var bytes = [UInt8](repeating: 0, count: n)
            for k in 0..<n { bytes[k] = UInt8(truncatingIfNeeded: rng.next()) }
            if rng.next() % 2 == 0 { bytes.insert(0x7B, at: 0) }
            _ = try? EventCodec.decode(bytes)
        }
    }

    @Test func deepNestingIsRefusedNotOverflowed() {
        let deep = #"{"type":"x","topic":"t","data":"# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        #expect(throws: WireError.self) { try EventCodec.decode(deep) }
    }
}
