import CHiredis
import Testing
@testable import Bus

/// The bytes the Redis transport writes, and the arithmetic of gaps: pure code, no server.
@Suite struct RedisWireTests {
    @Test(arguments: ["", "prod.", "ü/ns:"])
    func publishCommandIsByteForByteWhatHiredisFormats(_ prefix: String) throws {
        let message = Array(#"{"type":"bar","data":{"x":"line\r\nbreak é"}}"#.utf8)
        let out = ByteBuffer(capacity: 16)
        message.withUnsafeBufferPointer { RedisWire.appendPublish(prefix: Array(prefix.utf8), topic: "market.bar.AAPL", message: $0, to: out) }
        // hiredis' own formatting of the same command.
        let args: [[UInt8]] = [Array("PUBLISH".utf8), Array((prefix + "market.bar.AAPL").utf8), message]
        var target: UnsafeMutablePointer<CChar>?
        let ptrs = args.map { a -> UnsafeMutablePointer<CChar> in
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: a.count)
            a.withUnsafeBytes { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: a.count) }
            return p
        }
        defer { for p in ptrs { p.deallocate() } }
        var argv: [UnsafePointer<CChar>?] = ptrs.map { UnsafePointer($0) }
        let lens = args.map(\.count)
        let n = redisFormatCommandArgv(&target, 3, &argv, lens)
        let reference = Array(UnsafeRawBufferPointer(start: target, count: Int(n)))
        redisFreeCommand(target)
        #expect(out.array == reference)
    }

    @Test func topicSeqIsAppendedAsTheLastMemberAndStillDecodes() throws {
        let e = Envelope(bar("AAPL", 1), source: "n/md", seq: 7, published: Timestamp(seconds: 1))
        var w = JSONWriter()
        EventCodec.encode(e, into: &w)
        RedisWire.appendTopicSeq(42, to: w.out)
        #expect(w.string.hasSuffix(#""volume":1},"topicSeq":42}"#))
        #expect(try EventCodec.decode(w.bytes) == e)
        #expect(w.bytes.withUnsafeBufferPointer { RedisWire.topicSeq($0) } == 42)
    }

    static let tails: [(String, UInt64?)] = [
        (#"{"type":"x","data":{},"topicSeq":1}"#, 1),
        (#"{"type":"x","data":{},"topicSeq":18446744073709551615}"#, .max),
        (#"{"type":"x","data":{},"topicSeq":123456789012345678901}"#, nil),
        (#"{"type":"x","data":{"topicSeq":5}}"#, nil),
        (#"{"type":"x","data":"a,\"topicSeq\":5}"}"#, nil),
        (#"{"type":"x","data":{},"topicSeq":}"#, nil),
        (#"{"type":"x","data":{},"topicSeq":5} "#, nil),
        (#"{"type":"x","data":{},"seq":5}"#, nil),
        (#"topicSeq":5}"#, nil),
        ("}", nil),
        ("", nil),
    ]

    @Test(arguments: tails)
    func topicSeqIsReadOnlyFromTheTail(_ text: String, _ expected: UInt64?) {
        #expect(Array(text.utf8).withUnsafeBufferPointer { RedisWire.topicSeq($0) } == expected)
    }

    /// Another publisher's `topicSeq`: anywhere in the top-level object, with spaces;
    /// never inside `data` or a string.
    @Test(arguments: [
        (#"{"type":"zz","source":"r","topicSeq":4,"data":{}}"#, UInt64(4)),
        (#"{"type": "zz", "data": {}, "topicSeq": 7}"#, 7),
        (#"{"type":"x","data":{"topicSeq":5}}"#, nil),
        (#"{"type":"x","data":"\"topicSeq\":5","seq":2}"#, nil),
        (#"{"type":"x","topicSeq":"x","data":{}}"#, nil),
        (#"{"type":"x","data":{}}"#, nil),
    ] as [(String, UInt64?)])
    func topicSeqOfAnotherPublisherIsFoundAnywhere(_ text: String, _ expected: UInt64?) {
        #expect(Array(text.utf8).withUnsafeBufferPointer { RedisWire.topicSeqAnywhere($0) } == expected)
    }

    /// A `topicSeq` that is not a count is a malformed message, not silently one without.
    @Test(arguments: [#"{"type":"zz","data":{},"topicSeq":0}"#, #"{"type":"zz","data":{},"topicSeq":-1}"#, #"{"type":"zz","topicSeq":"x","data":{}}"#])
    func aTopicSeqThatIsNotACountIsRefused(_ text: String) {
        #expect(throws: WireError.self) { try EventCodec.decode(text) }
    }

    static let gaps: [(UInt64, UInt64, UInt64)] = [
        (5, 6, 0), // in order
        (5, 9, 3), // 6, 7, 8 missed
        (5, 1, 0), // the publisher restarted; 1 is its first event
        (5, 4, 3), // restarted, and 1, 2, 3 of the new run were missed
        (5, 5, 4), // restarted and reached 5 again: 1…4 of the new run missed
        (0, 1, 0),
        (UInt64.max - 1, UInt64.max, 0),
    ]

    @Test(arguments: gaps)
    func missedEventsBetweenSequenceNumbers(_ last: UInt64, _ next: UInt64, _ missed: UInt64) {
        #expect(RedisWire.missed(last: last, next: next) == missed)
    }

    @Test func backoffDoublesUpToTheCapWithBoundedJitter() {
        var b = Backoff(initial: 0.05, maximum: 2)
        var bases: [Double] = []
        for _ in 0..<9 {
            let base = b.nextBase
            bases.append(base)
            let pause = Double(b.next()) / 1e9
            #expect(pause >= base * 0.8 - 1e-9 && pause <= min(2, base * 1.2) + 1e-9)
        }
        #expect(bases == [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 2, 2, 2])
        b.reset()
        #expect(b.nextBase == 0.05)
    }
}
