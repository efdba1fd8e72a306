/// What the scorer knows about one word (or phrase), found with a single lookup.
struct WordInfo: Sendable, Equatable {
    /// The lexicon valence, or NaN when the word is not in the lexicon.
    var valence: Double = .nan
    /// The booster (positive) or dampener (negative) increment; 0 when not one.
    var booster: Double = 0
    var flags: UInt8 = 0
    /// Bit k is set when a phrase of k words starts with this word.
    var phraseLengths: UInt16 = 0

    static let isBooster: UInt8 = 1
    static let isNegation: UInt8 = 2
    /// A word of at least one phrase of the lexicon.
    static let inPhrase: UInt8 = 4
    /// A word of at least one idiom of the rules.
    static let inIdiom: UInt8 = 8

    @inline(__always) var inLexicon: Bool { !valence.isNaN }
    @inline(__always) func has(_ f: UInt8) -> Bool { flags & f != 0 }
}

/// An immutable open-addressing hash table from UTF-8 byte strings to ``WordInfo``,
/// probed without building a `String` per token. Built once per scorer.
struct WordTable: Sendable {
    private let slots: [Int32]
    private let mask: Int
    private let starts: [Int32]
    private let lengths: [Int32]
    private let arena: [UInt8]
    let infos: [WordInfo]
    private let ids: [String: Int32]

    init(_ entries: [String: WordInfo]) {
        // Sorted so that ids (and therefore everything) are the same on every run.
        let keys = entries.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var capacity = 16
        while capacity < keys.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        var starts: [Int32] = [], lengths: [Int32] = [], arena: [UInt8] = [], infos: [WordInfo] = []
        var ids: [String: Int32] = [:]
        for key in keys {
            let bytes = Array(key.utf8)
            let id = Int32(infos.count)
            starts.append(Int32(arena.count))
            lengths.append(Int32(bytes.count))
            arena.append(contentsOf: bytes)
            infos.append(entries[key]!)
            ids[key] = id
            var i = bytes.withUnsafeBufferPointer { WordTable.hash($0.baseAddress, $0.count) } & (capacity - 1)
            while slots[i] >= 0 { i = (i + 1) & (capacity - 1) }
            slots[i] = id
        }
        self.slots = slots
        self.mask = capacity - 1
        self.starts = starts
        self.lengths = lengths
        self.arena = arena
        self.infos = infos
        self.ids = ids
    }

    var count: Int { infos.count }

    /// The id of a key given as a String (set-up time), or -1.
    func id(of key: String) -> Int32 { ids[key] ?? -1 }

    /// The id of the key held in `n` bytes at `p`, or -1.
    @inline(__always) func find(_ p: UnsafePointer<UInt8>?, _ n: Int) -> Int32 {
        guard n > 0, let p else { return -1 }
        var i = WordTable.hash(p, n) & mask
        return slots.withUnsafeBufferPointer { s -> Int32 in
            arena.withUnsafeBufferPointer { a -> Int32 in
                while true {
                    let id = s[i]
                    if id < 0 { return -1 }
                    if Int(lengths[Int(id)]) == n && memcmp(a.baseAddress! + Int(starts[Int(id)]), p, n) == 0 { return id }
                    i = (i + 1) & mask
                }
            }
        }
    }

    /// A fast 64-bit hash of short byte strings (FNV-style multiply-xor, 8 bytes at a time,
    /// with a final avalanche).
    @inline(__always) static func hash(_ p: UnsafePointer<UInt8>?, _ n: Int) -> Int {
        guard let p else { return 0 }
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(n)
        var i = 0
        while i + 8 <= n {
            let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
            h = (h ^ w) &* 0x0000_0100_0000_01B3
            h ^= h >> 29
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < n {
            tail |= UInt64(p[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 32
        h = h &* 0xD6E8_FEB8_6659_FD93
        h ^= h >> 32
        return Int(truncatingIfNeeded: h)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
