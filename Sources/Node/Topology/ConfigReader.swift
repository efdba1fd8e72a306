import Bus
import Foundation

/// One problem in a configuration file, named by its JSON path:
/// `nodes[2].agents[1]: unknown agent "sentimnet" (did you mean "sentiment"?)`.
struct ConfigProblem: Error, Equatable, CustomStringConvertible {
    var path: String
    var message: String
    var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Reads typed values out of a `JSONValue` tree, recording one problem per mistake (wrong
/// type, out of range, unknown key with a did-you-mean) instead of stopping at the first.
final class ConfigReader {
    private(set) var problems: [ConfigProblem] = []

    func problem(_ path: String, _ message: String) {
        problems.append(ConfigProblem(path: path, message: message))
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The members of an object, after checking that every key is one of `allowed`.
    func object(_ value: JSONValue?, at path: String, allowed: [String]) -> [String: JSONValue]? {
        guard let value else { return nil }
        guard case .object(let members) = value else {
            problem(path, "expected an object, found \(value.kindName)")
            return nil
        }
        var out: [String: JSONValue] = [:]
        for m in members {
            if !allowed.contains(m.key) {
                let hint = Arguments.closest(m.key, among: allowed).map { " (did you mean \"\($0)\"?)" } ?? ""
                problem(Self.join(path, m.key), "unknown key\(hint)")
                continue
            }
            if out[m.key] != nil { problem(Self.join(path, m.key), "key given twice") }
            out[m.key] = m.value
        }
        return out
    }

    func double(_ o: [String: JSONValue]?, _ key: String, at path: String, default d: Double,
                range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) -> Double {
        optionalDouble(o, key, at: path, default: d, range: range) ?? d
    }

    /// A number, or nil when the value is `null` (a limit switched off). Missing: the default.
    func optionalDouble(_ o: [String: JSONValue]?, _ key: String, at path: String, default d: Double?,
                        range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) -> Double? {
        guard let v = o?[key] else { return d }
        let p = Self.join(path, key)
        switch v {
        case .null: return nil
        case .number(let x):
            guard x.isFinite, range.contains(x) else {
                problem(p, "\(fmt(x)) is out of range \(fmt(range.lowerBound))…\(fmt(range.upperBound))")
                return d
            }
            return x
        default:
            problem(p, "expected a number, found \(v.kindName)")
            return d
        }
    }

    func int(_ o: [String: JSONValue]?, _ key: String, at path: String, default d: Int, range: ClosedRange<Int> = 0...Int.max) -> Int {
        optionalInt(o, key, at: path, default: d, range: range) ?? d
    }

    func optionalInt(_ o: [String: JSONValue]?, _ key: String, at path: String, default d: Int?, range: ClosedRange<Int> = 0...Int.max) -> Int? {
        guard let v = o?[key] else { return d }
        let p = Self.join(path, key)
        switch v {
        case .null: return nil
        case .number(let x):
            guard x == x.rounded(), x >= Double(range.lowerBound), x <= Double(range.upperBound) else {
                problem(p, "expected a whole number in \(range.lowerBound)…\(range.upperBound == Int.max ? "" : String(range.upperBound)), found \(fmt(x))")
                return d
            }
            return Int(x)
        default:
            problem(p, "expected a whole number, found \(v.kindName)")
            return d
        }
    }

    func bool(_ o: [String: JSONValue]?, _ key: String, at path: String, default d: Bool) -> Bool {
        guard let v = o?[key] else { return d }
        guard case .bool(let b) = v else {
            problem(Self.join(path, key), "expected true or false, found \(v.kindName)")
            return d
        }
        return b
    }

    func string(_ o: [String: JSONValue]?, _ key: String, at path: String) -> String? {
        guard let v = o?[key] else { return nil }
        guard case .string(let s) = v else {
            problem(Self.join(path, key), "expected a string, found \(v.kindName)")
            return nil
        }
        return s
    }

    func choice<E: RawRepresentable & CaseIterable>(_ o: [String: JSONValue]?, _ key: String, at path: String, default d: E) -> E where E.RawValue == String {
        guard let s = string(o, key, at: path) else { return d }
        guard let v = E(rawValue: s) else {
            let all = E.allCases.map(\.rawValue)
            let hint = Arguments.closest(s, among: all).map { " (did you mean \"\($0)\"?)" } ?? ""
            problem(Self.join(path, key), "unknown value \"\(s)\"\(hint); expected one of \(all.joined(separator: ", "))")
            return d
        }
        return v
    }

    func strings(_ o: [String: JSONValue]?, _ key: String, at path: String) -> [String]? {
        guard let v = o?[key] else { return nil }
        let p = Self.join(path, key)
        guard case .array(let items) = v else {
            problem(p, "expected an array of strings, found \(v.kindName)")
            return nil
        }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            if case .string(let s) = item { out.append(s) } else { problem("\(p)[\(i)]", "expected a string, found \(item.kindName)") }
        }
        return out
    }

    func stringMap(_ o: [String: JSONValue]?, _ key: String, at path: String) -> [String: String] {
        guard let v = o?[key] else { return [:] }
        let p = Self.join(path, key)
        guard case .object(let members) = v else {
            problem(p, "expected an object, found \(v.kindName)")
            return [:]
        }
        var out: [String: String] = [:]
        for m in members {
            if case .string(let s) = m.value { out[m.key] = s } else { problem(Self.join(p, m.key), "expected a string, found \(m.value.kindName)") }
        }
        return out
    }

    func numberMap(_ o: [String: JSONValue]?, _ key: String, at path: String) -> [String: Double]? {
        guard let v = o?[key] else { return nil }
        let p = Self.join(path, key)
        guard case .object(let members) = v else {
            problem(p, "expected an object, found \(v.kindName)")
            return nil
        }
        var out: [String: Double] = [:]
        for m in members {
            if case .number(let x) = m.value { out[m.key] = x } else { problem(Self.join(p, m.key), "expected a number, found \(m.value.kindName)") }
        }
        return out
    }

    private func fmt(_ x: Double) -> String {
        if x == x.rounded() && abs(x) <= 1e18 { return String(Int64(x)) }
        if x == Double.greatestFiniteMagnitude { return "" }
        if x == -Double.greatestFiniteMagnitude { return "" }
        return String(x)
    }

    /// Parses JSON text, turning a syntax error into `file:line:column: message`.
    static func parse(_ text: String, file: String) throws -> JSONValue {
        do {
            return try JSONValue(parsing: text)
        } catch {
            guard let offset = error.offset else { throw ConfigProblem(path: file, message: error.message) }
            var line = 1, column = 1, i = 0
            for b in text.utf8 {
                if i == offset { break }
                if b == 0x0A { line += 1; column = 1 } else { column += 1 }
                i += 1
            }
            throw ConfigProblem(path: "\(file):\(line):\(column)", message: error.message)
        }
    }
}
