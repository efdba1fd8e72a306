/// Writes Agora's documented JSON directly into a byte buffer.
///
/// Objects are written with `key(_:)` followed by a value; the writer inserts commas
/// itself. Optional values are omitted when nil (as `JSONEncoder` does). Non-finite
/// doubles, which JSON cannot carry, are written as `null`.
///
/// A writer (and its copies) share one buffer: use one writer per task.
public struct JSONWriter: Sendable {
    public let out: ByteBuffer

    public init(capacity: Int = 256) {
        out = ByteBuffer(capacity: capacity)
    }

    /// A copy of the bytes written so far.
    public var bytes: [UInt8] { out.array }
    public var count: Int { out.count }
    public var string: String { String(decoding: out.view, as: UTF8.self) }

    /// Calls `body` with the bytes written so far (no copy).
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(out.view)
    }

    /// Forgets what was written, keeping the memory.
    public mutating func reset() { out.count = 0 }

    // MARK: structure

    @inline(__always) public mutating func beginObject() { comma(); out.append(0x7B) }
    @inline(__always) public mutating func endObject() { out.append(0x7D) }
    @inline(__always) public mutating func beginArray() { comma(); out.append(0x5B) }
    @inline(__always) public mutating func endArray() { out.append(0x5D) }

    /// A comma is due unless the previous byte opened a container or ended a key.
    @inline(__always) mutating func comma() {
        let n = out.count
        if n > 0 {
            let last = out.base[n - 1]
            if last != 0x7B && last != 0x5B && last != 0x3A { out.append(0x2C) }
        }
    }

    /// Writes `,"name":` (the comma only when due).
    @inline(__always) public mutating func key(_ name: StaticString) {
        let n = name.utf8CodeUnitCount
        out.reserve(n + 4)
        var p = out.base + out.count
        if out.count > 0 {
            let last = p[-1]
            if last != 0x7B && last != 0x5B && last != 0x3A { p[0] = 0x2C; p += 1 }
        }
        p[0] = 0x22
        (p + 1).update(from: name.utf8Start, count: n)
        p[n + 1] = 0x22
        p[n + 2] = 0x3A
        out.count = p - out.base + n + 3
    }

    public mutating func key(_ name: String) {
        comma()
        appendQuoted(name)
        out.append(0x3A)
    }

    // MARK: scalar values

    public mutating func value(_ s: String) { comma(); appendQuoted(s) }
    public mutating func value(_ v: Bool) { comma(); out.append(v ? "true" : "false") }
    public mutating func null() { comma(); out.append("null") }
    public mutating func value(_ v: Int) { comma(); appendInt(Int64(v)) }
    public mutating func value(_ v: Int64) { comma(); appendInt(v) }
    public mutating func value(_ v: UInt64) { comma(); appendUInt(v) }
    public mutating func value(_ v: Double) { comma(); appendDouble(v) }
    public mutating func value(_ t: Timestamp) { comma(); appendTimestamp(t) }
    public mutating func value<R: RawRepresentable>(_ v: R) where R.RawValue == String { value(v.rawValue) }
    public mutating func value<T: JSONCodable>(_ v: T) { comma(); v.encode(to: &self) }
    public mutating func value<T: JSONCodable>(_ v: [T]) {
        beginArray()
        for e in v { e.encode(to: &self) }
        endArray()
    }
    public mutating func value(_ v: [String]) {
        beginArray()
        for e in v { value(e) }
        endArray()
    }
    public mutating func value(_ v: [String: Double]) {
        beginObject()
        for k in v.keys.sorted() { key(k); appendDouble(v[k]!) }
        endObject()
    }
    /// Writes already-encoded JSON text verbatim (it must be one valid JSON value).
    public mutating func raw(_ json: String) {
        comma()
        var json = json
        json.withUTF8 { out.append($0) }
    }

    // MARK: key + value shorthands

    @inline(__always) public mutating func field(_ k: StaticString, _ v: String) { key(k); appendQuoted(v) }
    @inline(__always) public mutating func field(_ k: StaticString, _ v: Double) { key(k); appendDouble(v) }
    @inline(__always) public mutating func field(_ k: StaticString, _ v: Int) { key(k); appendInt(Int64(v)) }
    @inline(__always) public mutating func field(_ k: StaticString, _ v: UInt64) { key(k); appendUInt(v) }
    @inline(__always) public mutating func field(_ k: StaticString, _ v: Bool) { key(k); out.append(v ? "true" : "false") }
    @inline(__always) public mutating func field(_ k: StaticString, _ v: Timestamp) { key(k); appendTimestamp(v) }
    @inline(__always) public mutating func field<R: RawRepresentable>(_ k: StaticString, _ v: R) where R.RawValue == String {
        key(k); appendQuoted(v.rawValue)
    }
    @inline(__always) public mutating func field<T: JSONCodable>(_ k: StaticString, _ v: T) { key(k); v.encode(to: &self) }
    @inline(__always) public mutating func field<T: JSONCodable>(_ k: StaticString, _ v: [T]) { key(k); value(v) }
    @inline(__always) public mutating func field(_ k: StaticString, _ v: [String]) { key(k); value(v) }
    @inline(__always) public mutating func field(_ k: StaticString, _ v: [String: Double]) { key(k); value(v) }

    @inline(__always) public mutating func field(_ k: StaticString, _ v: String?) { if let v { field(k, v) } }
    @inline(__always) public mutating func field(_ k: StaticString, _ v: Double?) { if let v { field(k, v) } }
    @inline(__always) public mutating func field(_ k: StaticString, _ v: Int?) { if let v { field(k, v) } }
    @inline(__always) public mutating func field(_ k: StaticString, _ v: Timestamp?) { if let v { field(k, v) } }
    @inline(__always) public mutating func field(_ k: StaticString, _ v: Bool?) { if let v { field(k, v) } }
    @inline(__always) public mutating func field<T: JSONCodable>(_ k: StaticString, _ v: T?) { if let v { field(k, v) } }

    // MARK: primitives

    /// A quoted, escaped JSON string. Clean 8-byte chunks are copied whole.
    public mutating func appendQuoted(_ s: String) {
        // The string's own bytes where it has them (no copy of the string, so no retain).
        if s.utf8.withContiguousStorageIfAvailable({ out.appendQuoted($0) }) != nil { return }
        var s = s
        s.withUTF8 { u in out.appendQuoted(u) }
    }

    public mutating func appendTimestamp(_ t: Timestamp) {
        out.append(0x22)
        ISO8601.append(t, to: out)
        out.append(0x22)
    }

    public mutating func appendInt(_ v: Int64) {
        if v < 0 {
            out.append(0x2D)
            out.appendDecimal(UInt64(bitPattern: 0 &- v))
        } else {
            out.appendDecimal(UInt64(v))
        }
    }

    public mutating func appendUInt(_ v: UInt64) { out.appendDecimal(v) }

    /// Shortest round-tripping decimal form, the text of Swift's `description` (except that
    /// integers have no `.0`). Values with up to 9 decimals (prices, sizes, fractions) take
    /// a fast exact path, computed ones from 1e-4 to 2^53 `ExactDecimal`; anything else
    /// Swift's own formatting.
    public mutating func appendDouble(_ v: Double) {
        guard v.isFinite else {
            out.append("null")
            return
        }
        let a = Swift.abs(v)
        if a < 9_007_199_254_740_992 {
            if v == 0 {
                out.append(v.sign == .minus ? "-0" : "0")
                return
            }
            if a >= 1e-9 {
                // The fewest decimals k such that m / 10^k == |v| exactly, with m < 2^53.
                // The reader computes exactly m / 10^k (or strtod does), so this round-trips.
                var k = 0
                // Two decimals first (prices). If any k ≤ 2 works, k = 2 does: a·100 then
                // rounds to m₂ = 10^(2−k)·mₖ, and m₂/100 is the same rational as mₖ/10^k, so
                // it rounds to the same double. The fewest decimals are then m₂'s without its
                // trailing zeros; if k = 2 fails, so do 0 and 1.
                let scaled2 = a * 100
                if scaled2 < 4_503_599_627_370_496 {
                    let m2 = Double(UInt64(scaled2 + 0.5))
                    if m2 / 100 == a {
                        var m = UInt64(m2), decimals = 2
                        while decimals > 0 && m % 10 == 0 {
                            m /= 10
                            decimals -= 1
                        }
                        if v < 0 { out.append(0x2D) }
                        out.appendFixed(m, decimals: decimals)
                        return
                    }
                    k = 3
                }
                while k <= 9 {
                    // Past two decimals (prices): a decimal of up to 9 decimals times 10^9 is
                    // an integer to within a few ulps, a computed value is not (then the rest
                    // of the loop would try in vain).
                    if k == 3 {
                        let scaled9 = a * 1e9
                        let nearest9 = scaled9 < 4_503_599_627_370_496 ? Double(UInt64(scaled9 + 0.5)) : scaled9
                        if Swift.abs(scaled9 - nearest9) > scaled9 * 0x1p-50 { break }
                    }
                    let scaled = a * JSONWriter.powers[k]
                    if scaled >= 9_007_199_254_740_992 { break }
                    // Nearest integer without a libm call: below 2^52, adding ½ and truncating
                    // rounds half up; a wrong m fails the exactness test below either way.
                    let m = scaled < 4_503_599_627_370_496 ? Double(UInt64(scaled + 0.5)) : scaled
                    if m / JSONWriter.powers[k] == a {
                        if v < 0 { out.append(0x2D) }
                        out.appendFixed(UInt64(m), decimals: k)
                        return
                    }
                    k += 1
                }
                // Computed values (16–17 digits): exactly, without a String.
                if let (digits, decimals) = ExactDecimal.shortest(a) {
                    if v < 0 { out.append(0x2D) }
                    out.appendFixed(digits, decimals: decimals)
                    return
                }
            }
        }
        var s = v.description
        s.withUTF8 { out.append($0) }
    }

    static let powers: [Double] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9]
}

/// A growable byte buffer owned by one ``JSONWriter``.
public final class ByteBuffer: @unchecked Sendable {
    @exclusivity(unchecked) @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) @usableFromInline var count = 0
    @exclusivity(unchecked) @usableFromInline var capacity: Int
    /// The last two days formatted by ``ISO8601/append(_:to:)`` and their `YYYY-MM-DDT`
    /// bytes (an envelope has two dates: market time and publish time).
    @exclusivity(unchecked) var cachedDay: Int64 = .min
    @exclusivity(unchecked) var cachedDayBytes: (UInt64, UInt16, UInt8) = (0, 0, 0)
    @exclusivity(unchecked) var previousDay: Int64 = .min
    @exclusivity(unchecked) var previousDayBytes: (UInt64, UInt16, UInt8) = (0, 0, 0)

    init(capacity: Int) {
        self.capacity = Swift.max(16, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    var view: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }
    var array: [UInt8] { Array(view) }

    @inline(__always) @usableFromInline func reserve(_ extra: Int) {
        if count + extra > capacity { grow(extra) }
    }

    @usableFromInline func grow(_ extra: Int) {
        var newCapacity = capacity * 2
        while newCapacity < count + extra { newCapacity *= 2 }
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        fresh.update(from: base, count: count)
        base.deallocate()
        base = fresh
        capacity = newCapacity
    }

    @inlinable @inline(__always) public func append(_ b: UInt8) {
        if count == capacity { grow(1) }
        base[count] = b
        count &+= 1
    }

    @inlinable @inline(__always) func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count)
        if bytes.count > 0 { (base + count).update(from: bytes.baseAddress!, count: bytes.count) }
        count &+= bytes.count
    }

    @inline(__always) func append(_ s: StaticString) {
        let n = s.utf8CodeUnitCount
        reserve(n)
        (base + count).update(from: s.utf8Start, count: n)
        count &+= n
    }

    public func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    /// Decimal digits of `v`.
    func appendDecimal(_ v: UInt64) {
        reserve(20)
        if v < 10 {
            base[count] = 0x30 &+ UInt8(v)
            count &+= 1
            return
        }
        var digits = 0
        var x = v
        while x > 0 { digits += 1; x /= 10 }
        x = v
        var i = count + digits
        while x > 0 {
            i -= 1
            base[i] = 0x30 &+ UInt8(truncatingIfNeeded: x % 10)
            x /= 10
        }
        count &+= digits
    }

    /// `m` with a decimal point `decimals` digits from the right: (18564, 2) → 185.64.
    func appendFixed(_ m: UInt64, decimals: Int) {
        if decimals == 0 { appendDecimal(m); return }
        reserve(32)
        var digits = 0
        var x = m
        while x > 0 { digits += 1; x /= 10 }
        let intDigits = Swift.max(1, digits - decimals)
        let total = intDigits + 1 + decimals
        var i = count + total
        x = m
        for _ in 0..<decimals {
            i -= 1
            base[i] = 0x30 &+ UInt8(truncatingIfNeeded: x % 10)
            x /= 10
        }
        i -= 1
        base[i] = 0x2E
        for _ in 0..<intDigits {
            i -= 1
            base[i] = 0x30 &+ UInt8(truncatingIfNeeded: x % 10)
            x /= 10
        }
        count &+= total
    }

    /// The escaped body of a JSON string, without the quotes.
    func appendEscapedBody(_ s: String) {
        if s.utf8.withContiguousStorageIfAvailable({ appendEscaped($0) }) != nil { return }
        var s = s
        s.withUTF8 { appendEscaped($0) }
    }

    /// `"…"` with JSON escapes.
    func appendQuoted(_ u: UnsafeBufferPointer<UInt8>) {
        reserve(u.count + 2)
        base[count] = 0x22
        count &+= 1
        appendEscaped(u)
        append(0x22)
    }

    /// JSON string escapes. Eight bytes at a time while no byte needs escaping; the last
    /// partial word of a string of 8 bytes or more is tested and copied as the string's
    /// last 8 bytes, rewriting a few bytes already written with the same values.
    func appendEscaped(_ u: UnsafeBufferPointer<UInt8>) {
        let n = u.count
        guard n > 0 else { return }
        reserve(n)
        var p = base + count
        var i = 0
        let src = u.baseAddress!
        while i + 8 <= n {
            let w = UnsafeRawPointer(src + i).loadUnaligned(as: UInt64.self)
            if SWAR.needsEscape(w) { break }
            UnsafeMutableRawPointer(p).storeBytes(of: w, as: UInt64.self)
            p += 8
            i += 8
        }
        if i + 8 > n && i >= 8 && i < n {
            // The loop ran out (did not stop at an escape) with 1–7 bytes left.
            let w = UnsafeRawPointer(src + n - 8).loadUnaligned(as: UInt64.self)
            if !SWAR.needsEscape(w) {
                UnsafeMutableRawPointer(p - (8 - (n - i))).storeBytes(of: w, as: UInt64.self)
                count = p - base + (n - i)
                return
            }
        }
        while i < n {
            let c = src[i]
            if c >= 0x20 && c != 0x22 && c != 0x5C {
                p[0] = c
                p += 1
                i += 1
                continue
            }
            // Escape: make room for the worst case of the rest.
            count = p - base
            reserve(6 * (n - i))
            p = base + count
            p[0] = 0x5C
            switch c {
            case 0x22: p[1] = 0x22; p += 2
            case 0x5C: p[1] = 0x5C; p += 2
            case 0x0A: p[1] = 0x6E; p += 2
            case 0x0D: p[1] = 0x72; p += 2
            case 0x09: p[1] = 0x74; p += 2
            case 0x08: p[1] = 0x62; p += 2
            case 0x0C: p[1] = 0x66; p += 2
            default:
                p[1] = 0x75; p[2] = 0x30; p[3] = 0x30
                p[4] = SWAR.hex(c >> 4); p[5] = SWAR.hex(c & 0xF)
                p += 6
            }
            i += 1
        }
        count = p - base
    }
}

/// Word-at-a-time byte tests.
enum SWAR {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highs: UInt64 = 0x8080_8080_8080_8080

    /// True if any byte is zero.
    @inline(__always) static func hasZero(_ x: UInt64) -> Bool { (x &- ones) & ~x & highs != 0 }
    /// True if any byte equals `b`.
    @inline(__always) static func has(_ x: UInt64, _ b: UInt8) -> Bool { hasZero(x ^ (ones &* UInt64(b))) }
    /// True if any byte is below `n` (n ≤ 128).
    @inline(__always) static func hasLess(_ x: UInt64, _ n: UInt8) -> Bool { (x &- ones &* UInt64(n)) & ~x & highs != 0 }
    /// True if any byte is `"`, `\` or a control character.
    @inline(__always) static func needsEscape(_ x: UInt64) -> Bool { hasLess(x, 0x20) || has(x, 0x22) || has(x, 0x5C) }
    /// The high bits of the bytes that are `"`, `\` or a control character. Borrows can
    /// also mark a byte above a marked one, so only the lowest mark is exact: use it as
    /// `mask.trailingZeroBitCount >> 3`, the index of the first such byte (little-endian).
    @inline(__always) static func specialMask(_ x: UInt64) -> UInt64 {
        let q = x ^ (ones &* 0x22), b = x ^ (ones &* 0x5C)
        return ((x &- ones &* 0x20) & ~x | (q &- ones) & ~q | (b &- ones) & ~b) & highs
    }
    @inline(__always) static func hex(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x61 + v - 10 }
}

/// A value with a hand-written JSON form (nested parts of events).
public protocol JSONCodable: Sendable {
    func encode(to writer: inout JSONWriter)
    init(from reader: inout JSONReader) throws(WireError)
}
