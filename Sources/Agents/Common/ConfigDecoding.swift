/// Helpers for configuration structs decoded from JSON (`topology.json`): every field is
/// optional on input (absent means the documented default), and an unknown key is an
/// error naming it, so a typo does not silently fall back to a default.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        stringValue = String(intValue)
        self.intValue = intValue
    }
}

extension Decoder {
    /// Throws when the object being decoded has a key not in `known`.
    func rejectUnknownKeys(_ known: [String], in what: String) throws {
        let c = try container(keyedBy: AnyCodingKey.self)
        for k in c.allKeys where !known.contains(k.stringValue) {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: c.codingPath + [k],
                debugDescription: "unknown key \"\(k.stringValue)\" in \(what) (known keys: \(known.joined(separator: ", ")))"))
        }
    }
}

extension KeyedDecodingContainer {
    /// The value at `key`, or `fallback` when the key is absent or null.
    func value<T: Decodable>(_ key: Key, or fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }
}
