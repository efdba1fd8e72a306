#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a message could not be decoded. One line, naming the field where there is one.
public struct WireError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// Byte offset into the message, where known.
    public var offset: Int?

    public init(_ message: String, offset: Int? = nil) {
        self.message = message
        self.offset = offset
    }

    public var description: String {
        if let offset { return "\(message) (at byte \(offset))" }
        return message
    }

    public static func missing(_ field: StaticString, in type: StaticString) -> WireError {
        WireError("missing field \"\(field)\" in \(type)")
    }
}

/// An object key as read from the input, compared against field names without allocating.
/// Valid only while the reader's bytes are.
public struct JSONKey {
    @usableFromInline let base: UnsafePointer<UInt8>
    @usableFromInline let count: Int
    /// True when the key contains escapes (then `base`/`count` cover the raw, escaped text).
    @usableFromInline let escaped: Bool

    @inlinable public static func == (k: JSONKey, name: StaticString) -> Bool {
        let n = name.utf8CodeUnitCount
        if k.escaped { return k.string == String(decoding: UnsafeBufferPointer(start: name.utf8Start, count: n), as: UTF8.self) }
        guard k.count == n else { return false }
        return sameBytes(k.base, name.utf8Start, n)
    }

    /// True when these bytes are exactly `<source>:<seq>`.
    func isEventID(source: String, seq: UInt64) -> Bool {
        guard !escaped, seq > 0 else { return false }
        // The source's own bytes where it has them (no copy of the string, so no retain).
        if let answer = source.utf8.withContiguousStorageIfAvailable({ isEventID(source: $0, seq: seq) }) { return answer }
        var src = source
        return src.withUTF8 { isEventID(source: $0, seq: seq) }
    }

    private func isEventID(source u: UnsafeBufferPointer<UInt8>, seq: UInt64) -> Bool {
        guard count > u.count + 1, u.count == 0 || sameBytes(base, u.baseAddress!, u.count), base[u.count] == 0x3A else { return false }
        var v: UInt64 = 0
        var i = u.count + 1
        guard count - i <= 20 else { return false }
        while i < count {
            let d = base[i] &- 0x30
            guard d < 10 else { return false }
            v = v &* 10 &+ UInt64(d)
            i += 1
        }
        return v == seq && base[u.count + 1] != 0x30
    }

    /// The key as a String (escapes decoded).
    public var string: String {
        if !escaped { return String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self) }
        var quoted: [UInt8] = [0x22]
        quoted.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
        quoted.append(0x22)
        return (try? JSONReader.withReader(quoted) { (r: inout JSONReader) throws(WireError) in try r.readString() }) ?? ""
    }
}

/// True when the `n` bytes at `a` and at `b` are the same. Up to 32 bytes (keys, field
/// literals, sources, timestamps) by overlapping loads from each side, no call.
@inlinable @inline(__always)
func sameBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    switch n {
    case 0: return true
    case 1...3: return a[0] == b[0] && a[n >> 1] == b[n >> 1] && a[n - 1] == b[n - 1]
    case 4...8:
        return ra.loadUnaligned(as: UInt32.self) == rb.loadUnaligned(as: UInt32.self)
            && ra.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self) == rb.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
    case 9...16:
        return ra.loadUnaligned(as: UInt64.self) == rb.loadUnaligned(as: UInt64.self)
            && ra.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == rb.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
    case 17...32:
        return ra.loadUnaligned(as: UInt64.self) == rb.loadUnaligned(as: UInt64.self)
            && ra.loadUnaligned(fromByteOffset: 8, as: UInt64.self) == rb.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            && ra.loadUnaligned(fromByteOffset: n - 16, as: UInt64.self) == rb.loadUnaligned(fromByteOffset: n - 16, as: UInt64.self)
            && ra.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == rb.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
    default: return memcmp(a, b, n) == 0
    }
}

/// Iteration state of one object (see ``JSONReader/nextKey(_:)``).
public struct ObjectCursor {
    @usableFromInline var first = true
}

/// Iteration state of one array (see ``JSONReader/nextElement(_:)``).
public struct ArrayCursor {
    @usableFromInline var first = true
}

/// A strict pull parser over UTF-8 JSON bytes, for Agora's own event types.
///
/// It never traps on bad input: every malformed byte sequence becomes a ``WireError``.
/// Nesting is limited (``maxDepth``) so hostile input cannot exhaust the stack.
public struct JSONReader {
    @usableFromInline let buf: UnsafeBufferPointer<UInt8>
    public var pos: Int
    var depth = 0
    public static let maxDepth = 64
    /// The last two ISO 8601 timestamps parsed (where their text is, and the value): an
    /// envelope repeats its market time in the payload (`time`, `data.time`), with the
    /// publish time in between.
    var recentTime0 = (start: 0, count: 0, value: Timestamp.epoch)
    var recentTime1 = (start: 0, count: 0, value: Timestamp.epoch)

    public init(_ buffer: UnsafeBufferPointer<UInt8>) {
        buf = buffer
        pos = 0
    }

    /// Runs `body` with a reader over the bytes of `string`.
    public static func withReader<R>(_ string: String, _ body: (inout JSONReader) throws(WireError) -> R) throws(WireError) -> R {
        var s = string
        return try withUTF8Bytes(&s, body)
    }

    static func withUTF8Bytes<R>(_ s: inout String, _ body: (inout JSONReader) throws(WireError) -> R) throws(WireError) -> R {
        let result: Result<R, WireError> = s.withUTF8 { u in
            var r = JSONReader(u)
            do throws(WireError) { return .success(try body(&r)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    public static func withReader<R>(_ bytes: [UInt8], _ body: (inout JSONReader) throws(WireError) -> R) throws(WireError) -> R {
        let result: Result<R, WireError> = bytes.withUnsafeBufferPointer { u in
            var r = JSONReader(u)
            do throws(WireError) { return .success(try body(&r)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    public var isAtEnd: Bool { pos >= buf.count }

    // MARK: helpers

    @inline(__always) public mutating func skipWhitespace() {
        var p = pos
        let n = buf.count
        guard p < n else { return }
        let b = buf.baseAddress!
        if b[p] > 0x20 { return }  // the usual case: no whitespace (all of it is ≤ 0x20)
        while p < n {
            let c = b[p]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { p += 1 } else { break }
        }
        pos = p
    }

    /// Scans from `from` to the first `"`, `\` or control byte. Returns its index (or the
    /// end) and whether every byte before it was ASCII. Eight bytes at a time.
    @inline(__always) func scanString(from: Int) -> (Int, Bool) {
        let n = buf.count
        let b = buf.baseAddress!
        var p = from
        var high: UInt64 = 0
        while p + 8 <= n {
            let w = UnsafeRawPointer(b + p).loadUnaligned(as: UInt64.self)
            let special = SWAR.specialMask(w)
            if special != 0 {
                // The first special byte ends the scan; only the bytes before it count.
                let k = special.trailingZeroBitCount >> 3
                if k > 0 { high |= w & (~UInt64(0) >> UInt64(64 - 8 * k)) }
                return (p + k, high & SWAR.highs == 0)
            }
            high |= w
            p += 8
        }
        var ascii = high & SWAR.highs == 0
        while p < n {
            let c = b[p]
            if c == 0x22 || c == 0x5C || c < 0x20 { break }
            if c >= 0x80 { ascii = false }
            p += 1
        }
        return (p, ascii)
    }

    @inline(__always) public func peekByte() -> UInt8? { pos < buf.count ? buf[pos] : nil }

    /// Where the reader is (position and nesting), to come back to with ``rewind(to:)``.
    public struct Mark: Sendable {
        let pos: Int
        let depth: Int
    }

    @inline(__always) public var mark: Mark { Mark(pos: pos, depth: depth) }

    @inline(__always) public mutating func rewind(to m: Mark) {
        pos = m.pos
        depth = m.depth
    }

    /// Runs `body` (a fast path); if it throws, comes back to where it started and returns
    /// nil, for the general reader to read the same bytes.
    @inline(__always) public mutating func attempt<T>(_ body: (inout JSONReader) throws(WireError) -> T) -> T? {
        let start = mark
        do throws(WireError) {
            return try body(&self)
        } catch {
            rewind(to: start)
            return nil
        }
    }

    /// Consumes exactly `literal`, or throws (a fast path's signal to fall back to the general
    /// reader, which words the real error; the thrown value is not for users).
    @inline(__always) public mutating func literal(_ literal: StaticString) throws(WireError) {
        guard consume(literal) else { throw JSONReader.notCanonical }
    }

    /// Thrown by ``literal(_:)``: the input is not in the canonical layout.
    public static let notCanonical = WireError("not in the canonical layout")

    /// Consumes exactly `literal` if the bytes at the position are it; true if they were.
    @inline(__always) public mutating func consume(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard buf.count - pos >= n, sameBytes(buf.baseAddress! + pos, literal.utf8Start, n) else { return false }
        pos += n
        return true
    }

    public func fail(_ message: String) -> WireError { WireError(message, offset: pos) }

    func describeNext() -> String {
        guard pos < buf.count else { return "end of input" }
        let c = buf[pos]
        if c >= 0x20 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x\(String(c, radix: 16))"
    }

    @inline(__always) mutating func expect(_ c: UInt8, _ what: StaticString) throws(WireError) {
        skipWhitespace()
        guard pos < buf.count, buf[pos] == c else { throw fail("expected \(what), found \(describeNext())") }
        pos += 1
    }

    /// Fails unless only whitespace remains.
    public mutating func expectEnd() throws(WireError) {
        skipWhitespace()
        if pos < buf.count { throw fail("unexpected \(describeNext()) after the JSON value") }
    }

    // MARK: containers

    /// Starts reading an object: `var o = try r.beginObject(); while let k = try r.nextKey(&o) { … }`.
    /// The loop body must consume each value (read it or ``skipValue()``).
    public mutating func beginObject() throws(WireError) -> ObjectCursor {
        try enter(0x7B, "'{'")
        return ObjectCursor()
    }

    /// The next key of the object, positioned at its value; nil after the closing brace.
    public mutating func nextKey(_ c: inout ObjectCursor) throws(WireError) -> JSONKey? {
        skipWhitespace()
        guard pos < buf.count else { throw fail("unterminated object") }
        let b = buf[pos]
        if c.first {
            c.first = false
            if b == 0x7D { pos += 1; depth -= 1; return nil }
        } else {
            if b == 0x7D { pos += 1; depth -= 1; return nil }
            guard b == 0x2C else { throw fail("expected ',' or '}' in object, found \(describeNext())") }
            pos += 1
            skipWhitespace()
        }
        let key = try readKey()
        skipWhitespace()
        guard pos < buf.count, buf[pos] == 0x3A else { throw fail("expected ':', found \(describeNext())") }
        pos += 1
        return key
    }

    /// Starts reading an array: `var a = try r.beginArray(); while try r.nextElement(&a) { … }`.
    public mutating func beginArray() throws(WireError) -> ArrayCursor {
        try enter(0x5B, "'['")
        return ArrayCursor()
    }

    /// True when another element follows (the reader is positioned at it); false after `]`.
    public mutating func nextElement(_ c: inout ArrayCursor) throws(WireError) -> Bool {
        skipWhitespace()
        guard pos < buf.count else { throw fail("unterminated array") }
        let b = buf[pos]
        if c.first {
            c.first = false
            if b == 0x5D { pos += 1; depth -= 1; return false }
            return true
        }
        if b == 0x5D { pos += 1; depth -= 1; return false }
        guard b == 0x2C else { throw fail("expected ',' or ']' in array, found \(describeNext())") }
        pos += 1
        return true
    }

    /// Reads an object, calling `body` once per member. `body` must consume the value
    /// (read it, or call ``skipValue()``).
    public mutating func readObject(_ body: (JSONKey, inout JSONReader) throws(WireError) -> Void) throws(WireError) {
        var o = try beginObject()
        while let k = try nextKey(&o) { try body(k, &self) }
    }

    /// Reads an array, calling `body` once per element; `body` must consume it.
    public mutating func readArray(_ body: (inout JSONReader) throws(WireError) -> Void) throws(WireError) {
        var a = try beginArray()
        while try nextElement(&a) { try body(&self) }
    }

    mutating func enter(_ c: UInt8, _ what: StaticString) throws(WireError) {
        try expect(c, what)
        depth += 1
        if depth > JSONReader.maxDepth { throw fail("nesting deeper than \(JSONReader.maxDepth)") }
    }

    mutating func readKey() throws(WireError) -> JSONKey {
        guard pos < buf.count, buf[pos] == 0x22 else { throw fail("expected a string key, found \(describeNext())") }
        let start = pos + 1
        let (end, _) = scanString(from: start)
        if end < buf.count, buf[end] == 0x22 {
            pos = end + 1
            return JSONKey(base: buf.baseAddress! + start, count: end - start, escaped: false)
        }
        // Escapes or bad bytes: validate with the full string reader.
        _ = try readString()
        return JSONKey(base: buf.baseAddress! + start, count: pos - 1 - start, escaped: true)
    }

    /// Reads a string value without creating a String (for matching against known names).
    public mutating func readStringSlice() throws(WireError) -> JSONKey {
        skipWhitespace()
        // A value here, not a key: say so (readKey's message names a key).
        guard pos < buf.count, buf[pos] == 0x22 else { throw fail("expected a string, found \(describeNext())") }
        return try readKey()
    }

    public func isNext(_ c: UInt8) -> Bool {
        var p = pos
        while p < buf.count, buf[p] == 0x20 || buf[p] == 0x0A || buf[p] == 0x0D || buf[p] == 0x09 { p += 1 }
        return p < buf.count && buf[p] == c
    }

    /// Consumes `null` if it is next; true if it did.
    public mutating func readNullIfPresent() -> Bool {
        skipWhitespace()
        if pos + 4 <= buf.count, buf[pos] == 0x6E, buf[pos + 1] == 0x75, buf[pos + 2] == 0x6C, buf[pos + 3] == 0x6C {
            pos += 4
            return true
        }
        return false
    }

    // MARK: scalars

    public mutating func readString() throws(WireError) -> String {
        skipWhitespace()
        guard pos < buf.count, buf[pos] == 0x22 else { throw fail("expected a string, found \(describeNext())") }
        pos += 1
        let start = pos
        let (end, ascii) = scanString(from: start)
        if end < buf.count, buf[end] == 0x22 {
            pos = end + 1
            let slice = UnsafeBufferPointer(rebasing: buf[start..<end])
            if ascii { return String(decoding: slice, as: UTF8.self) }
            guard let s = String(validating: slice, as: UTF8.self) else {
                throw WireError("string is not valid UTF-8", offset: start)
            }
            return s
        }
        pos = end
        if pos < buf.count, buf[pos] < 0x20 { throw fail("control character in string") }
        // Slow path: escapes.
        var out: [UInt8] = Array(UnsafeBufferPointer(rebasing: buf[start..<min(pos, buf.count)]))
        while pos < buf.count {
            let c = buf[pos]
            if c == 0x22 {
                pos += 1
                guard let s = out.withUnsafeBufferPointer({ JSONReader.makeString($0) }) else {
                    throw WireError("string is not valid UTF-8", offset: start)
                }
                return s
            }
            if c < 0x20 { throw fail("control character in string") }
            if c != 0x5C { out.append(c); pos += 1; continue }
            pos += 1
            guard pos < buf.count else { break }
            let e = buf[pos]
            pos += 1
            switch e {
            case 0x22: out.append(0x22)
            case 0x5C: out.append(0x5C)
            case 0x2F: out.append(0x2F)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                var scalar = try readHex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard pos + 1 < buf.count, buf[pos] == 0x5C, buf[pos + 1] == 0x75 else {
                        throw fail("unpaired surrogate in string")
                    }
                    pos += 2
                    let low = try readHex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw fail("invalid surrogate pair in string") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw fail("unpaired surrogate in string")
                }
                guard let u = Unicode.Scalar(scalar) else { throw fail("invalid unicode escape") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                pos -= 1
                throw fail("invalid escape \\\(describeNext())")
            }
        }
        throw WireError("unterminated string", offset: start)
    }

    /// ``readString()``, made by `interner` when there is one (plain ASCII strings only;
    /// anything else, and every error, goes through ``readString()``).
    @inline(__always) public mutating func readString(interning interner: StringInterner?) throws(WireError) -> String {
        // No `if let`: binding the optional retains and releases the interner on every call.
        guard interner != nil else { return try readString() }
        skipWhitespace()
        if pos < buf.count, buf[pos] == 0x22 {
            let start = pos + 1
            let (end, ascii) = scanString(from: start)
            if ascii, end < buf.count, buf[end] == 0x22 {
                pos = end + 1
                return interner.unsafelyUnwrapped.string(utf8: UnsafeBufferPointer(rebasing: buf[start..<end]))
            }
        }
        return try readString()
    }

    /// A String from UTF-8 bytes; nil if they are not valid UTF-8. ASCII takes a fast path.
    static func makeString(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var ascii = true
        for b in bytes where b >= 0x80 {
            ascii = false
            break
        }
        if ascii { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }

    mutating func readHex4() throws(WireError) -> UInt32 {
        guard pos + 4 <= buf.count else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = buf[pos]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw fail("invalid hex digit in \\u escape")
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    public mutating func readBool() throws(WireError) -> Bool {
        skipWhitespace()
        if pos + 4 <= buf.count, buf[pos] == 0x74, buf[pos + 1] == 0x72, buf[pos + 2] == 0x75, buf[pos + 3] == 0x65 {
            pos += 4
            return true
        }
        if pos + 5 <= buf.count, buf[pos] == 0x66, buf[pos + 1] == 0x61, buf[pos + 2] == 0x6C, buf[pos + 3] == 0x73, buf[pos + 4] == 0x65 {
            pos += 5
            return false
        }
        throw fail("expected true or false, found \(describeNext())")
    }

    private static let exactPowers: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Reads a JSON number. Exact (correctly rounded): a fast path covers up to 15
    /// significant digits with small exponents; anything else goes through `strtod`.
    public mutating func readDouble() throws(WireError) -> Double {
        skipWhitespace()
        let start = pos
        var negative = false
        if pos < buf.count, buf[pos] == 0x2D { negative = true; pos += 1 }
        guard pos < buf.count, buf[pos] &- 0x30 < 10 else {
            pos = start
            throw fail("expected a number, found \(describeNext())")
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var exp10 = 0
        if buf[pos] == 0x30 {
            pos += 1
            if pos < buf.count, buf[pos] &- 0x30 < 10 { throw fail("leading zero in number") }
        } else {
            while pos < buf.count, buf[pos] &- 0x30 < 10 {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(buf[pos] &- 0x30); digits += 1 } else { exp10 += 1; digits += 1 }
                pos += 1
            }
        }
        if pos < buf.count, buf[pos] == 0x2E {
            pos += 1
            guard pos < buf.count, buf[pos] &- 0x30 < 10 else { throw fail("expected a digit after '.'") }
            while pos < buf.count, buf[pos] &- 0x30 < 10 {
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(buf[pos] &- 0x30)
                    if mantissa != 0 { digits += 1 }
                    exp10 -= 1
                } else {
                    digits += 1
                }
                pos += 1
            }
        }
        if pos < buf.count, buf[pos] == 0x65 || buf[pos] == 0x45 {
            pos += 1
            var eneg = false
            if pos < buf.count, buf[pos] == 0x2B || buf[pos] == 0x2D { eneg = buf[pos] == 0x2D; pos += 1 }
            guard pos < buf.count, buf[pos] &- 0x30 < 10 else { throw fail("expected a digit in exponent") }
            var e = 0
            while pos < buf.count, buf[pos] &- 0x30 < 10 {
                if e < 100_000 { e = e * 10 + Int(buf[pos] &- 0x30) }
                pos += 1
            }
            exp10 += eneg ? -e : e
        }
        // Every digit is in the mantissa up to 19 of them: then it is exact.
        if digits <= 19 {
            if mantissa <= (1 << 53) && exp10 >= -22 && exp10 <= 22 {
                // Both exact as doubles: one rounding (Clinger's fast path).
                var v = Double(mantissa)
                if exp10 < 0 { v /= JSONReader.exactPowers[-exp10] } else if exp10 > 0 { v *= JSONReader.exactPowers[exp10] }
                return negative ? -v : v
            }
            // Computed values (16–17 digits, 1e-4 to 2^52): exactly, in integers.
            if exp10 < 0, let v = ExactDecimal.double(mantissa, dividedByPowerOfTen: -exp10) {
                return negative ? -v : v
            }
        }
        // Slow path: correctly rounded by the C library.
        let len = pos - start
        let v: Double = withUnsafeTemporaryAllocation(of: CChar.self, capacity: len + 1) { tmp in
            for i in 0..<len { tmp[i] = CChar(bitPattern: buf[start + i]) }
            tmp[len] = 0
            return strtod(tmp.baseAddress!, nil)
        }
        guard v.isFinite else { throw WireError("number out of range", offset: start) }
        return v
    }

    public mutating func readInt64() throws(WireError) -> Int64 {
        skipWhitespace()
        let start = pos
        var negative = false
        if pos < buf.count, buf[pos] == 0x2D { negative = true; pos += 1 }
        guard pos < buf.count, buf[pos] &- 0x30 < 10 else {
            pos = start
            throw fail("expected an integer, found \(describeNext())")
        }
        var v: UInt64 = 0
        while pos < buf.count, buf[pos] &- 0x30 < 10 {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(buf[pos] &- 0x30))
            if o1 || o2 { throw WireError("integer out of range", offset: start) }
            v = a
            pos += 1
        }
        if pos < buf.count, buf[pos] == 0x2E || buf[pos] == 0x65 || buf[pos] == 0x45 {
            // Accept integral values written with a fraction or exponent (e.g. 3.0, 1e3).
            pos = start
            let d = try readDouble()
            guard d == d.rounded(), Swift.abs(d) < 9.2e18 else { throw WireError("expected an integer", offset: start) }
            return Int64(d)
        }
        if negative {
            guard v <= UInt64(Int64.max) + 1 else { throw WireError("integer out of range", offset: start) }
            return v == UInt64(Int64.max) + 1 ? Int64.min : -Int64(v)
        }
        guard v <= UInt64(Int64.max) else { throw WireError("integer out of range", offset: start) }
        return Int64(v)
    }

    public mutating func readInt() throws(WireError) -> Int { Int(try readInt64()) }

    public mutating func readUInt64() throws(WireError) -> UInt64 {
        skipWhitespace()
        let start = pos
        guard pos < buf.count, buf[pos] &- 0x30 < 10 else { throw fail("expected a non-negative integer, found \(describeNext())") }
        var v: UInt64 = 0
        while pos < buf.count, buf[pos] &- 0x30 < 10 {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(buf[pos] &- 0x30))
            if o1 || o2 { throw WireError("integer out of range", offset: start) }
            v = a
            pos += 1
        }
        if pos < buf.count, buf[pos] == 0x2E || buf[pos] == 0x65 || buf[pos] == 0x45 {
            throw WireError("expected a non-negative integer", offset: start)
        }
        return v
    }

    /// ``readTimestamp()``, through `cache` when there is one (a plain string only; anything
    /// else, and every error, goes through ``readTimestamp()``). The value is remembered
    /// for this message as ``readTimestamp()`` remembers its own.
    @inline(__always) public mutating func readTimestamp(cache: DecodeCache?) throws(WireError) -> Timestamp {
        guard cache != nil else { return try readTimestamp() }
        skipWhitespace()
        if pos < buf.count, buf[pos] == 0x22 {
            let start = pos + 1
            let (end, _) = scanString(from: start)
            if end < buf.count, buf[end] == 0x22,
               let t = cache.unsafelyUnwrapped.timestamp(UnsafeBufferPointer(rebasing: buf[start..<end])) {
                pos = end + 1
                recentTime1 = recentTime0
                recentTime0 = (start, end - start, t)
                return t
            }
        }
        return try readTimestamp()
    }

    /// A timestamp: an ISO 8601 string, or a number of seconds since the Unix epoch.
    public mutating func readTimestamp() throws(WireError) -> Timestamp {
        skipWhitespace()
        guard pos < buf.count else { throw fail("expected a timestamp, found end of input") }
        if buf[pos] == 0x22 {
            let start = pos + 1
            let (end, _) = scanString(from: start)
            if end < buf.count, buf[end] == 0x22 {
                pos = end + 1
                let n = end - start
                let b = buf.baseAddress!
                if n > 0 {
                    if n == recentTime0.count, sameBytes(b + start, b + recentTime0.start, n) { return recentTime0.value }
                    if n == recentTime1.count, sameBytes(b + start, b + recentTime1.start, n) { return recentTime1.value }
                }
                if let t = ISO8601.parse(bytes: UnsafeBufferPointer(rebasing: buf[start..<end])) {
                    recentTime1 = recentTime0
                    recentTime0 = (start, n, t)
                    return t
                }
                let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<end]), as: UTF8.self)
                throw WireError("not an ISO 8601 time: \"\(text)\"", offset: start)
            }
            let s = try readString()
            guard let t = try? ISO8601.parse(s) else { throw WireError("not an ISO 8601 time: \"\(s)\"", offset: start) }
            return t
        }
        let seconds = try readDouble()
        guard Swift.abs(seconds) < 9.2e9 else { throw fail("timestamp out of range") }
        return Timestamp(epochSeconds: seconds)
    }

    public mutating func readEnum<E: RawRepresentable>(_ type: E.Type, _ field: StaticString) throws(WireError) -> E where E.RawValue == String {
        let start = pos
        let s = try readString()
        guard let v = E(rawValue: s) else { throw WireError("invalid value \"\(s)\" for \"\(field)\"", offset: start) }
        return v
    }

    /// The same for a small enum: the value's bytes are compared with each case's name, with
    /// no String built (every order, fill and vote carries one or two such fields).
    public mutating func readEnum<E: RawRepresentable & CaseIterable>(_ type: E.Type, _ field: StaticString) throws(WireError) -> E where E.RawValue == String {
        let start = pos
        skipWhitespace()
        if pos < buf.count, buf[pos] == 0x22 {
            let (end, _) = scanString(from: pos + 1)
            if end < buf.count, buf[end] == 0x22 {
                let n = end - pos - 1
                let bytes = buf.baseAddress! + pos + 1
                for c in E.allCases {
                    var name = c.rawValue
                    let same = name.withUTF8 { u in u.count == n && (n == 0 || sameBytes(u.baseAddress!, bytes, n)) }
                    if same {
                        pos = end + 1
                        return c
                    }
                }
            }
        }
        // Not a plain case name (escapes, or no such case): the String path words the error.
        pos = start
        let s = try readString()
        guard let v = E(rawValue: s) else { throw WireError("invalid value \"\(s)\" for \"\(field)\"", offset: start) }
        return v
    }

    public mutating func readStringArray() throws(WireError) -> [String] {
        var out: [String] = []
        var a = try beginArray()
        while try nextElement(&a) { out.append(try readString()) }
        return out
    }

    public mutating func readArray<T: JSONCodable>(of type: T.Type) throws(WireError) -> [T] {
        var out: [T] = []
        var a = try beginArray()
        while try nextElement(&a) {
            // Room for a few at the first element: the catalogue's arrays (vote components,
            // a decision's votes, positions) are short, and growing 1 → 2 → 4 allocates thrice.
            if out.isEmpty { out.reserveCapacity(4) }
            out.append(try T(from: &self))
        }
        return out
    }

    public mutating func readDoubleMap() throws(WireError) -> [String: Double] {
        var out: [String: Double] = [:]
        var o = try beginObject()
        while let k = try nextKey(&o) { out[k.string] = try readDouble() }
        return out
    }

    // MARK: skipping and raw capture

    /// Skips one JSON value of any kind, validating its syntax.
    public mutating func skipValue() throws(WireError) {
        skipWhitespace()
        guard pos < buf.count else { throw fail("expected a value, found end of input") }
        switch buf[pos] {
        case 0x7B:
            var o = try beginObject()
            while try nextKey(&o) != nil { try skipValue() }
        case 0x5B:
            var a = try beginArray()
            while try nextElement(&a) { try skipValue() }
        case 0x22:
            _ = try readString()
        case 0x74, 0x66:
            _ = try readBool()
        case 0x6E:
            if !readNullIfPresent() { throw fail("invalid literal") }
        default:
            _ = try readDouble()
        }
    }

    /// Skips one value and returns the byte range it occupied.
    public mutating func captureValue() throws(WireError) -> Range<Int> {
        skipWhitespace()
        let start = pos
        try skipValue()
        return start..<pos
    }

    /// A reader over a sub-range of the same bytes (for deferred decoding).
    public func subReader(_ range: Range<Int>) -> JSONReader {
        JSONReader(UnsafeBufferPointer(rebasing: buf[range]))
    }

    /// The byte at `i`, or nil past the end.
    public func byte(at i: Int) -> UInt8? { i >= 0 && i < buf.count ? buf[i] : nil }

    public func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: buf[range]), as: UTF8.self)
    }
}
