#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Strings a decoder has made before, found again by their bytes, so that the envelope
/// fields every event repeats (its source `main/market-data`, its cycle id
/// `AAPL@2024-01-02T14:30:00Z`, its topic) share one heap string instead of allocating
/// (and later freeing) a new one per event.
///
/// A direct-mapped table: one slot per hash of the bytes; a miss makes the string and takes
/// the slot. The bytes are always compared in full, so the answer is exact; only the
/// saving depends on the stream. Strings of up to 15 UTF-8 bytes are stored inline by
/// Swift (no allocation) and are made directly; so are strings longer than ``maxBytes``.
///
/// Not thread-safe: one interner per decoding thread (the Redis reader owns one). The
/// strings it returns are ordinary values and may go anywhere.
public final class StringInterner {
    /// The longest string kept.
    public static let maxBytes = 64
    static let slotCount = 256

    @exclusivity(unchecked) private var strings: [String]
    @exclusivity(unchecked) private var lengths: [Int]
    /// The bytes of each slot's string, `maxBytes` per slot.
    private let bytes: UnsafeMutablePointer<UInt8>

    /// How many strings were found in the table and how many were made (for tests).
    @exclusivity(unchecked) public private(set) var hits = 0
    @exclusivity(unchecked) public private(set) var misses = 0

    public init() {
        strings = Array(repeating: "", count: StringInterner.slotCount)
        lengths = Array(repeating: -1, count: StringInterner.slotCount)
        bytes = .allocate(capacity: StringInterner.slotCount * StringInterner.maxBytes)
    }

    deinit { bytes.deallocate() }

    /// `String(decoding: u, as: UTF8.self)`, from the table when it holds these bytes.
    public func string(utf8 u: UnsafeBufferPointer<UInt8>) -> String {
        let n = u.count
        guard n > 15, n <= StringInterner.maxBytes else { return String(decoding: u, as: UTF8.self) }
        let slot = StringInterner.slot(of: u)
        let stored = bytes + slot * StringInterner.maxBytes
        if lengths[slot] == n, sameBytes(stored, u.baseAddress!, n) {
            hits &+= 1
            return strings[slot]
        }
        misses &+= 1
        let s = String(decoding: u, as: UTF8.self)
        stored.update(from: u.baseAddress!, count: n)
        lengths[slot] = n
        strings[slot] = s
        return s
    }

    /// Three words of the bytes (first, middle, last: cycle ids of one symbol differ in the
    /// middle) and the length, mixed. `u.count` is 16...maxBytes.
    @inline(__always) static func slot(of u: UnsafeBufferPointer<UInt8>) -> Int {
        let n = u.count
        let p = UnsafeRawPointer(u.baseAddress!)
        let a = p.loadUnaligned(as: UInt64.self)
        let b = p.loadUnaligned(fromByteOffset: n / 2 - 4, as: UInt64.self)
        let c = p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        var h = a &* 0x9E37_79B9_7F4A_7C15
        h = (h ^ (h >> 29) ^ b) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 31) ^ c ^ UInt64(n)) &* 0x94D0_49BB_1331_11EB
        return Int(truncatingIfNeeded: h >> 56)  // 8 bits: slotCount is 256
    }
}
