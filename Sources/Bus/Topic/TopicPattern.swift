/// A subscription pattern with exactly the semantics of Redis `PSUBSCRIBE` glob patterns,
/// so a pattern means the same thing on the in-memory bus and over Redis:
///
/// - `*` matches any run of bytes, including none and including dots;
/// - `?` matches exactly one byte;
/// - `[abc]`, `[a-z]`, `[^abc]` match one byte in (or not in) a set; a reversed range
///   such as `[z-a]` is the same as `[a-z]`; inside brackets `\` escapes the next byte;
/// - `\x` matches `x` literally;
/// - matching is byte-wise and case-sensitive.
///
/// Edge cases follow Redis 7 (`stringmatchlen`): an unterminated `[` set ends at the end of
/// the pattern, and a trailing lone `\` matches a literal backslash.
public struct TopicPattern: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    private let bytes: [UInt8]
    /// True when the pattern has no special bytes: it then matches only itself.
    public let isLiteral: Bool

    public init(_ text: String) {
        self.text = text
        self.bytes = Array(text.utf8)
        self.isLiteral = !bytes.contains { $0 == 0x2A || $0 == 0x3F || $0 == 0x5B || $0 == 0x5C }
    }

    public var description: String { text }

    public func matches(_ topic: String) -> Bool {
        if isLiteral { return topic == text }
        var topic = topic
        return topic.withUTF8 { t in
            bytes.withUnsafeBufferPointer { p in
                var skipLonger = false
                return GlobMatcher.match(p, 0, t, 0, &skipLonger)
            }
        }
    }

    /// Escapes every glob-special byte so that the result matches `literal` only.
    public static func escape(_ literal: String) -> String {
        var out = ""
        out.reserveCapacity(literal.utf8.count)
        for ch in literal {
            if ch == "*" || ch == "?" || ch == "[" || ch == "]" || ch == "\\" { out.append("\\") }
            out.append(ch)
        }
        return out
    }
}

enum GlobMatcher {
    /// Byte-wise glob match. `skipLonger` implements the Redis optimisation that stops
    /// retrying a `*` once a nested `*` has failed against the whole remaining string
    /// (this keeps pathological patterns linear rather than exponential).
    static func match(_ p: UnsafeBufferPointer<UInt8>, _ pi0: Int,
                      _ s: UnsafeBufferPointer<UInt8>, _ si0: Int, _ skipLonger: inout Bool) -> Bool {
        var pi = pi0, si = si0
        let pn = p.count, sn = s.count
        // Byte at pattern index, or 0 past the end (the C code relies on a NUL terminator).
        @inline(__always) func pat(_ i: Int) -> UInt8 { i < pn ? p[i] : 0 }

        while pi < pn && si < sn {
            switch p[pi] {
            case 0x2A: // '*'
                while pi + 1 < pn && p[pi + 1] == 0x2A { pi += 1 }
                if pi + 1 == pn { return true }
                while si < sn {
                    if match(p, pi + 1, s, si, &skipLonger) { return true }
                    if skipLonger { return false }
                    si += 1
                }
                skipLonger = true
                return false
            case 0x3F: // '?'
                si += 1
            case 0x5B: // '['
                pi += 1
                let negate = pat(pi) == 0x5E // '^'
                if negate { pi += 1 }
                var matched = false
                let c = s[si]
                while true {
                    if pat(pi) == 0x5C && pn - pi >= 2 { // '\' escape inside the set
                        pi += 1
                        if p[pi] == c { matched = true }
                    } else if pat(pi) == 0x5D { // ']'
                        break
                    } else if pi >= pn { // unterminated set: stop at the end
                        pi -= 1
                        break
                    } else if pn - pi >= 3 && p[pi + 1] == 0x2D { // range a-z
                        var lo = p[pi], hi = p[pi + 2]
                        if lo > hi { swap(&lo, &hi) }
                        pi += 2
                        if c >= lo && c <= hi { matched = true }
                    } else if p[pi] == c {
                        matched = true
                    }
                    pi += 1
                }
                if negate { matched = !matched }
                if !matched { return false }
                si += 1
            case 0x5C: // '\'
                if pn - pi >= 2 { pi += 1 }
                if p[pi] != s[si] { return false }
                si += 1
            default:
                if p[pi] != s[si] { return false }
                si += 1
            }
            pi += 1
            if si == sn {
                while pi < pn && p[pi] == 0x2A { pi += 1 }
                break
            }
        }
        return pi == pn && si == sn
    }
}

/// Topic names: dotted, non-empty segments; lowercase words with the symbol (any case) last.
public enum Topic {
    /// True when the bytes make a valid concrete topic (`validate` gives the reason when
    /// not). A byte loop with no String in it: the receiving side checks every message.
    /// `asciiOnly` also refuses bytes from 0x80 (valid in a topic, but for a caller that
    /// wants to hand those to a full UTF-8 reader).
    @inline(__always) public static func isValid(_ b: UnsafeBufferPointer<UInt8>, asciiOnly: Bool = false) -> Bool {
        guard b.count > 0, b.count <= 512 else { return false }
        var previousDot = true
        for c in b {
            if c == 0x2E {
                if previousDot { return false }
                previousDot = true
            } else {
                if c <= 0x20 || c == 0x7F || c == 0x2A || c == 0x3F || c == 0x5B || c == 0x5D || c == 0x5C || (asciiOnly && c >= 0x80) { return false }
                previousDot = false
            }
        }
        return !previousDot
    }

    /// Validates a concrete topic (no glob characters, no spaces, no empty segments).
    public static func validate(_ topic: String) -> String? {
        if topic.isEmpty { return "topic is empty" }
        if topic.utf8.count > 512 { return "topic is longer than 512 bytes" }
        var previousDot = true
        for b in topic.utf8 {
            switch b {
            case 0x2E:
                if previousDot { return "topic \"\(topic)\" has an empty segment" }
                previousDot = true
                continue
            case 0x2A, 0x3F, 0x5B, 0x5D, 0x5C:
                return "topic \"\(topic)\" contains a glob character"
            case 0...0x20, 0x7F:
                return "topic \"\(topic)\" contains a space or control character"
            default:
                previousDot = false
            }
        }
        if previousDot { return "topic \"\(topic)\" ends with a dot" }
        return nil
    }

    /// The last dot-separated segment (the symbol for per-symbol topics).
    public static func lastSegment(_ topic: String) -> Substring {
        if let dot = topic.lastIndex(of: ".") { return topic[topic.index(after: dot)...] }
        return topic[...]
    }
}
