/// Any JSON value, with object members kept in their original order.
///
/// Equality treats objects as unordered (as JSON does); encoding keeps member order.
public enum JSONValue: Sendable, Hashable, Codable, JSONCodable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([Member])

    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: JSONValue
        public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            for m in x {
                guard let other = y.first(where: { $0.key == m.key }), other.value == m.value else { return false }
            }
            return true
        default: return false
        }
    }

    public func hash(into h: inout Hasher) {
        switch self {
        case .null: h.combine(0)
        case .bool(let b): h.combine(b)
        case .number(let d): h.combine(d)
        case .string(let s): h.combine(s)
        case .array(let a): h.combine(a)
        case .object(let o):
            // Order-independent: combine a commutative sum of member hashes.
            var sum = 0
            for m in o {
                var mh = Hasher()
                mh.combine(m.key)
                mh.combine(m.value)
                sum = sum &+ mh.finalize()
            }
            h.combine(o.count)
            h.combine(sum)
        }
    }

    public init(parsing text: String) throws(WireError) {
        self = try JSONReader.withReader(text) { (r: inout JSONReader) throws(WireError) in
            let v = try JSONValue(from: &r)
            try r.expectEnd()
            return v
        }
    }

    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var doubleValue: Double? { if case .number(let d) = self { return d }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var objectValue: [Member]? { if case .object(let o) = self { return o }; return nil }

    /// The name of the JSON kind, for error messages.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    // MARK: JSONCodable

    public func encode(to w: inout JSONWriter) {
        switch self {
        case .null: w.null()
        case .bool(let b): w.value(b)
        case .number(let d): w.value(d)
        case .string(let s): w.value(s)
        case .array(let a):
            w.beginArray()
            for v in a { v.encode(to: &w) }
            w.endArray()
        case .object(let members):
            w.beginObject()
            for m in members {
                w.key(m.key)
                m.value.encode(to: &w)
            }
            w.endObject()
        }
    }

    public init(from r: inout JSONReader) throws(WireError) {
        r.skipWhitespace()
        guard let c = r.peekByte() else { throw r.fail("expected a value, found end of input") }
        switch c {
        case 0x7B:
            var members: [Member] = []
            try r.readObject { (k: JSONKey, r: inout JSONReader) throws(WireError) in
                members.append(Member(k.string, try JSONValue(from: &r)))
            }
            self = .object(members)
        case 0x5B:
            var items: [JSONValue] = []
            try r.readArray { (r: inout JSONReader) throws(WireError) in items.append(try JSONValue(from: &r)) }
            self = .array(items)
        case 0x22: self = .string(try r.readString())
        case 0x74, 0x66: self = .bool(try r.readBool())
        case 0x6E:
            guard r.readNullIfPresent() else { throw r.fail("invalid literal") }
            self = .null
        default: self = .number(try r.readDouble())
        }
    }

    public var description: String {
        var w = JSONWriter()
        encode(to: &w)
        return w.string
    }

    // MARK: Codable

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }

    public init(from decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: AnyKey.self) {
            self = .object(try keyed.allKeys.sorted { $0.stringValue < $1.stringValue }.map {
                Member($0.stringValue, try keyed.decode(JSONValue.self, forKey: $0))
            })
            return
        }
        if var unkeyed = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !unkeyed.isAtEnd { items.append(try unkeyed.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null } else if let b = try? c.decode(Bool.self) { self = .bool(b) } else if let d = try? c.decode(Double.self) { self = .number(d) } else { self = .string(try c.decode(String.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case .number(let d):
            var c = encoder.singleValueContainer()
            try c.encode(d)
        case .string(let s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        case .array(let a):
            var c = encoder.unkeyedContainer()
            for v in a { try c.encode(v) }
        case .object(let members):
            var c = encoder.container(keyedBy: AnyKey.self)
            for m in members { try c.encode(m.value, forKey: AnyKey(stringValue: m.key)) }
        }
    }
}

extension Timestamp: Codable {
    /// Encoded as an RFC 3339 string in UTC; decoded from such a string or from a number
    /// of seconds since the Unix epoch.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) {
            do { self = try ISO8601.parse(s) } catch {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: error.description)
            }
        } else {
            self = Timestamp(epochSeconds: try c.decode(Double.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(iso8601)
    }
}
