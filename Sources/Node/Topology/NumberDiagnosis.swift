import Agents
import Bus
import Foundation

/// Foundation's `JSONDecoder` reports a number that does not fit the field's type (2.5 or
/// 1e20 for an integer) as "The given data was not valid JSON.", with no key. This finds
/// the key: each number that is not a whole `Int` is replaced by 0 in turn, and the one
/// whose replacement changes the outcome is the culprit.
enum NumberDiagnosis {
    /// True for the error that says nothing (no key, no underlying error).
    static func isUnlocated(_ e: DecodingError) -> Bool {
        if case .dataCorrupted(let c) = e, c.codingPath.isEmpty, c.underlyingError == nil,
           c.debugDescription.contains("not valid JSON") { return true }
        return false
    }

    /// The path of the first such number and what is wrong with it, or nil.
    static func locate<T: Decodable>(_ type: T.Type, in value: JSONValue, at path: String) -> (path: String, message: String)? {
        for (keys, x) in candidates(value) {
            let replaced = replacing(value, at: keys[...])
            if !stillUnlocated(T.self, replaced) {
                let where_ = keys.reduce(path) { p, k in k.hasPrefix("[") ? p + k : ConfigReader.join(p, k) }
                let found = x == x.rounded() && x.isFinite ? Fmt.grouped(x) : "\(x)"
                return (where_, "expected a whole number (at most 19 digits), found \(found)")
            }
        }
        return nil
    }

    /// Every number that an `Int` field would refuse, with its path (keys, or `[i]`).
    static func candidates(_ v: JSONValue, _ keys: [String] = []) -> [([String], Double)] {
        switch v {
        case .number(let x):
            let whole = x == x.rounded() && x >= -9.223372036854775e18 && x < 9.223372036854775e18
            return whole ? [] : [(keys, x)]
        case .array(let items):
            return items.enumerated().flatMap { candidates($0.element, keys + ["[\($0.offset)]"]) }
        case .object(let members):
            return members.flatMap { candidates($0.value, keys + [$0.key]) }
        default:
            return []
        }
    }

    static func replacing(_ v: JSONValue, at keys: ArraySlice<String>) -> JSONValue {
        guard let k = keys.first else { return .number(0) }
        switch v {
        case .array(var items):
            if let i = Int(k.dropFirst().dropLast()), items.indices.contains(i) { items[i] = replacing(items[i], at: keys.dropFirst()) }
            return .array(items)
        case .object(var members):
            if let i = members.firstIndex(where: { $0.key == k }) { members[i].value = replacing(members[i].value, at: keys.dropFirst()) }
            return .object(members)
        default:
            return v
        }
    }

    static func stillUnlocated<T: Decodable>(_ type: T.Type, _ v: JSONValue) -> Bool {
        do {
            _ = try JSONDecoder().decode(T.self, from: Data(v.description.utf8))
            return false
        } catch let e as DecodingError {
            return isUnlocated(e)
        } catch {
            return false
        }
    }
}
