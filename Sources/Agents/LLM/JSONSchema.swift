import Bus

/// A JSON Schema sent as a chat completion's `response_format`, and checked locally on
/// the answer: a model (or a server without structured outputs) may still return
/// something else.
///
/// The local check covers the keywords strict structured outputs use: `type` (one or a
/// list), `properties`, `required`, `additionalProperties: false`, `items`, `enum`,
/// `const`, `minimum`/`maximum`, `minLength`/`maxLength`, `minItems`/`maxItems`.
/// Other keywords are sent but not checked.
public struct JSONSchema: Sendable, Equatable {
    /// The schema's name (`response_format.json_schema.name`): letters, digits, `_`, `-`.
    public var name: String
    public var schema: JSONValue
    /// Whether to ask for strict schema adherence (`"strict": true`).
    public var strict: Bool

    public init(name: String, schema: JSONValue, strict: Bool = true) {
        self.name = name
        self.schema = schema
        self.strict = strict
    }

    /// The first violation, as `$.path: problem`, or nil when `value` conforms.
    public func violation(in value: JSONValue) -> String? {
        JSONSchema.check(value, against: schema, path: "$")
    }

    static func check(_ v: JSONValue, against s: JSONValue, path: String) -> String? {
        guard case .object = s else { return nil }
        if let t = s["type"] {
            let allowed: [String] = t.stringValue.map { [$0] } ?? (t.arrayValue?.compactMap(\.stringValue) ?? [])
            if !allowed.isEmpty && !allowed.contains(where: { matches(v, type: $0) }) {
                return "\(path): expected \(allowed.joined(separator: " or ")), found \(v.kindName)"
            }
        }
        if let e = s["enum"]?.arrayValue, !e.contains(v) {
            return "\(path): \(short(v)) is not one of \(short(.array(e)))"
        }
        if let c = s["const"], c != v { return "\(path): expected \(short(c)), found \(short(v))" }
        switch v {
        case .number(let d):
            if let m = s["minimum"]?.doubleValue, d < m { return "\(path): \(short(v)) is below the minimum \(short(.number(m)))" }
            if let m = s["maximum"]?.doubleValue, d > m { return "\(path): \(short(v)) is above the maximum \(short(.number(m)))" }
        case .string(let str):
            let n = str.count
            if let m = s["minLength"]?.doubleValue, Double(n) < m { return "\(path): shorter than \(Int(m)) characters" }
            if let m = s["maxLength"]?.doubleValue, Double(n) > m { return "\(path): longer than \(Int(m)) characters" }
        case .array(let items):
            if let m = s["minItems"]?.doubleValue, Double(items.count) < m { return "\(path): fewer than \(Int(m)) items" }
            if let m = s["maxItems"]?.doubleValue, Double(items.count) > m { return "\(path): more than \(Int(m)) items" }
            if let itemSchema = s["items"] {
                for (i, item) in items.enumerated() {
                    if let p = check(item, against: itemSchema, path: "\(path)[\(i)]") { return p }
                }
            }
        case .object(let members):
            let props = s["properties"]?.objectValue ?? []
            for r in s["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where !members.contains(where: { $0.key == r }) {
                return "\(path): missing property \"\(r)\""
            }
            for m in members {
                if let p = props.first(where: { $0.key == m.key }) {
                    if let problem = check(m.value, against: p.value, path: "\(path).\(m.key)") { return problem }
                } else if case .bool(false)? = s["additionalProperties"] {
                    return "\(path): unexpected property \"\(m.key)\""
                } else if let extra = s["additionalProperties"], case .object = extra {
                    if let problem = check(m.value, against: extra, path: "\(path).\(m.key)") { return problem }
                }
            }
        default:
            break
        }
        return nil
    }

    static func matches(_ v: JSONValue, type: String) -> Bool {
        switch (type, v) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null), ("number", .number):
            return true
        case ("integer", .number(let d)):
            return d.rounded() == d && d.isFinite
        default:
            return false
        }
    }

    static func short(_ v: JSONValue) -> String {
        let s = v.description
        return s.count > 60 ? String(s.prefix(57)) + "…" : s
    }
}
