/// A problem in an input file, reported as one line a person can act on:
/// `data/AAPL.csv:17: close: not a number: "12,5"`.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// 1-based line number; nil when the problem concerns the whole file.
    public var line: Int?
    /// The column or field concerned, if any.
    public var field: String?
    public var message: String

    public init(file: String, line: Int? = nil, field: String? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        s += ": "
        if let field { s += "\(field): " }
        return s + message
    }
}
