/// Fast, allocation-light RFC 3339 / ISO 8601 formatting and parsing in UTC.
///
/// Accepted on input:
/// - a date: `2024-01-02` (midnight UTC)
/// - a date-time: `2024-01-02T14:30:00`, `2024-01-02 14:30`, with optional fractional
///   seconds (up to 9 digits) and an optional zone: `Z`, `+02:00`, `-0500`, `+02`.
///   Without a zone the time is UTC.
public enum ISO8601 {
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let input: String
        public var description: String { ISO8601.problem(input) }
    }

    /// Why `text` does not read as a time: a year outside what a nanosecond timestamp holds
    /// (1678…2261), or not an ISO 8601 form.
    public static func problem(_ text: String) -> String {
        let head = Array(text.utf8.prefix(5))
        if head.count == 5, head[4] == 0x2D, head[0..<4].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
           let y = Int(String(text.prefix(4))), y < 1678 || y > 2261 {
            return "year \(y) of \"\(text)\" is outside 1678…2261 (what a nanosecond timestamp holds)"
        }
        return "not an ISO 8601 date or date-time: \"\(text)\""
    }

    // MARK: civil calendar (proleptic Gregorian), after Howard Hinnant's algorithms

    @inlinable public static func days(fromCivil y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    @inlinable public static func civil(fromDays z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    // MARK: formatting

    /// Appends the UTC form of `t` (`YYYY-MM-DDTHH:MM:SS[.fff|.ffffff|.fffffffff]Z`) as UTF-8.
    public static func append(_ t: Timestamp, to out: ByteBuffer) {
        let secs = t.wholeSeconds
        let nanos = Int(t.nanoseconds - secs * 1_000_000_000)
        let days = floorDiv(secs, 86_400)
        let sod = Int(secs - days * 86_400)
        out.reserve(32)
        if days != out.cachedDay && days == out.previousDay {
            swap(&out.cachedDay, &out.previousDay)
            swap(&out.cachedDayBytes, &out.previousDayBytes)
        }
        if days != out.cachedDay {
            out.previousDay = out.cachedDay
            out.previousDayBytes = out.cachedDayBytes
            let (y, mo, d) = civil(fromDays: Int(days))
            let p = out.base + out.count
            put4(y, p); p[4] = 0x2D; put2(mo, p + 5); p[7] = 0x2D; put2(d, p + 8); p[10] = 0x54
            out.cachedDay = days
            withUnsafeMutableBytes(of: &out.cachedDayBytes) { $0.copyMemory(from: UnsafeRawBufferPointer(start: p, count: 11)) }
        } else {
            let p = out.base + out.count
            withUnsafeBytes(of: &out.cachedDayBytes) { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: 11) }
        }
        out.count += 11
        appendTime(sod, nanos, out)
    }

    @inline(__always) static func appendTime(_ sod: Int, _ nanos: Int, _ out: ByteBuffer) {
        out.reserve(20)
        let hh = sod / 3600
        let rem = sod - hh * 3600
        let mi = rem / 60
        let ss = rem - mi * 60
        let p = out.base + out.count
        put2(hh, p); p[2] = 0x3A; put2(mi, p + 3); p[5] = 0x3A; put2(ss, p + 6)
        var n = 8
        if nanos != 0 {
            p[8] = 0x2E
            if nanos % 1_000_000 == 0 {
                put3(nanos / 1_000_000, p + 9); n = 12
            } else if nanos % 1000 == 0 {
                put3(nanos / 1_000_000, p + 9); put3((nanos / 1000) % 1000, p + 12); n = 15
            } else {
                put3(nanos / 1_000_000, p + 9); put3((nanos / 1000) % 1000, p + 12); put3(nanos % 1000, p + 15); n = 18
            }
        }
        p[n] = 0x5A
        out.count += n + 1
    }

    @inline(__always) static func put2(_ v: Int, _ p: UnsafeMutablePointer<UInt8>) {
        p[0] = UInt8(truncatingIfNeeded: 48 + v / 10); p[1] = UInt8(truncatingIfNeeded: 48 + v % 10)
    }
    @inline(__always) static func put3(_ v: Int, _ p: UnsafeMutablePointer<UInt8>) {
        p[0] = UInt8(truncatingIfNeeded: 48 + v / 100); put2(v % 100, p + 1)
    }
    @inline(__always) static func put4(_ v: Int, _ p: UnsafeMutablePointer<UInt8>) {
        put2(v / 100, p); put2(v % 100, p + 2)
    }

    public static func format(_ t: Timestamp) -> String {
        let out = ByteBuffer(capacity: 32)
        append(t, to: out)
        return String(decoding: out.view, as: UTF8.self)
    }

    /// `YYYY-MM-DD` of the UTC date.
    public static func formatDate(_ t: Timestamp) -> String {
        let (y, m, d) = t.civilDate
        let out = ByteBuffer(capacity: 16)
        let p = out.base
        put4(y, p); p[4] = 0x2D; put2(m, p + 5); p[7] = 0x2D; put2(d, p + 8)
        out.count = 10
        return String(decoding: out.view, as: UTF8.self)
    }

    // MARK: parsing

    public static func parse(_ s: String) throws(ParseError) -> Timestamp {
        var s = s
        let r: Timestamp? = s.withUTF8 { parse(bytes: $0) }
        guard let r else { throw ParseError(input: s) }
        return r
    }

    public static func parse<S: StringProtocol>(_ s: S) throws(ParseError) -> Timestamp {
        try parse(String(s))
    }

    /// Parses UTF-8 bytes; nil if they are not a supported ISO 8601 form.
    public static func parse(bytes b: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        if let t = parseCanonical(b) { return t }
        return parseGeneral(b)
    }

    /// The form Agora writes, `YYYY-MM-DDTHH:MM:SS[.f…]Z`, at fixed offsets; nil for any
    /// other form (which `parseGeneral` then reads, or refuses).
    @inline(__always) static func parseCanonical(_ b: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        guard let nanos = canonicalFraction(b), let seconds = canonicalSeconds(b.baseAddress!) else { return nil }
        return Timestamp(nanoseconds: seconds * 1_000_000_000 + nanos)
    }

    /// The seconds since the epoch of a canonical `YYYY-MM-DDTHH:MM:SS` at `p` (19 bytes,
    /// which the caller has); nil if those bytes are not one.
    @inline(__always) static func canonicalSeconds(_ p: UnsafePointer<UInt8>) -> Int64? {
        guard p[4] == 0x2D, p[7] == 0x2D, p[10] == 0x54, p[13] == 0x3A, p[16] == 0x3A else { return nil }
        @inline(__always) func d(_ k: Int) -> Int { Int(p[k] &- 48) }
        // Every digit position holds a digit (a byte below '0' wraps to ≥ 208).
        @inline(__always) func ok(_ k: Int) -> Bool { p[k] &- 48 < 10 }
        guard ok(0), ok(1), ok(2), ok(3), ok(5), ok(6), ok(8), ok(9), ok(11), ok(12), ok(14), ok(15), ok(17), ok(18) else { return nil }
        let y = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3)
        let mo = d(5) * 10 + d(6), day = d(8) * 10 + d(9)
        let hh = d(11) * 10 + d(12), mi = d(14) * 10 + d(15), ss = d(17) * 10 + d(18)
        guard y >= 1678 && y <= 2261, mo >= 1, mo <= 12, day >= 1, day <= daysIn(month: mo, year: y),
              hh < 24, mi < 60, ss < 61 else { return nil }
        return Int64(days(fromCivil: y, mo, day)) * 86_400 + Int64(hh * 3600 + mi * 60 + ss)
    }

    /// The nanoseconds of a canonical timestamp's end, `Z` or `.` and 1…9 digits and `Z`
    /// after the 19 bytes of date and time; nil when `b` does not end so (or is too short).
    @inline(__always) static func canonicalFraction(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        let n = b.count
        guard n >= 20, let p = b.baseAddress, p[n - 1] == 0x5A else { return nil }
        if n == 20 { return 0 }
        let digits = n - 21
        guard p[19] == 0x2E, digits >= 1, digits <= 9 else { return nil }
        var frac: Int64 = 0
        for k in 20..<(n - 1) {
            let c = p[k] &- 48
            guard c < 10 else { return nil }
            frac = frac * 10 + Int64(c)
        }
        for _ in digits..<9 { frac *= 10 }
        return frac
    }

    static func parseGeneral(_ b: UnsafeBufferPointer<UInt8>) -> Timestamp? {
        var i = 0
        let n = b.count
        @inline(__always) func digits(_ count: Int) -> Int? {
            guard i + count <= n else { return nil }
            var v = 0
            for k in 0..<count {
                let c = b[i + k] &- 48
                guard c < 10 else { return nil }
                v = v * 10 + Int(c)
            }
            i += count
            return v
        }
        @inline(__always) func expect(_ c: UInt8) -> Bool {
            guard i < n, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let y = digits(4), expect(UInt8(ascii: "-")), let mo = digits(2), expect(UInt8(ascii: "-")),
              let d = digits(2) else { return nil }
        // Int64 nanoseconds cover 1677-09-21 … 2262-04-11; stay well inside.
        guard y >= 1678 && y <= 2261, (1...12).contains(mo), d >= 1, d <= daysIn(month: mo, year: y) else { return nil }
        var seconds = Int64(days(fromCivil: y, mo, d)) * 86_400
        var nanos: Int64 = 0
        if i == n { return Timestamp(nanoseconds: seconds * 1_000_000_000) }
        guard b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == UInt8(ascii: " ") else { return nil }
        i += 1
        guard let hh = digits(2), expect(UInt8(ascii: ":")), let mi = digits(2) else { return nil }
        var ss = 0
        if i < n, b[i] == UInt8(ascii: ":") {
            i += 1
            guard let s2 = digits(2) else { return nil }
            ss = s2
            if i < n, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
                i += 1
                var count = 0
                var frac: Int64 = 0
                while i < n, b[i] &- 48 < 10 {
                    if count < 9 { frac = frac * 10 + Int64(b[i] - 48) }
                    count += 1
                    i += 1
                }
                guard count > 0 else { return nil }
                var k = count
                while k < 9 { frac *= 10; k += 1 }
                nanos = frac
            }
        }
        guard hh < 24, mi < 60, ss < 61 else { return nil }
        seconds += Int64(hh * 3600 + mi * 60 + ss)
        if i < n {
            let c = b[i]
            if c == UInt8(ascii: "Z") || c == UInt8(ascii: "z") {
                i += 1
            } else if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                i += 1
                guard let oh = digits(2) else { return nil }
                var om = 0
                if i < n {
                    _ = expect(UInt8(ascii: ":"))
                    guard let m2 = digits(2) else { return nil }
                    om = m2
                }
                guard oh < 24, om < 60 else { return nil }
                let offset = Int64(oh * 3600 + om * 60)
                seconds += c == UInt8(ascii: "+") ? -offset : offset
            } else {
                return nil
            }
        }
        guard i == n else { return nil }
        return Timestamp(nanoseconds: seconds * 1_000_000_000 + nanos)
    }

    @inlinable public static func daysIn(month m: Int, year y: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
