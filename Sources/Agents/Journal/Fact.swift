import Bus

/// A named number (or name) behind a sentence of the report. A sentence is a template
/// whose `{name}` placeholders are filled with the facts' display forms, and the facts
/// are stored in the report's `evidence` with their raw values: every number a reader
/// sees can be traced to a computed value.
public struct ReportFact: Sendable, Equatable {
    public var name: String
    public var value: ReportFactValue

    public init(_ name: String, _ value: ReportFactValue) {
        self.name = name
        self.value = value
    }
}

public enum ReportFactValue: Sendable, Equatable {
    case count(Int)
    /// Money with its natural sign: `1,234.50`.
    case money(Double)
    /// A result, always signed: `+1,234.50`, `-87.00`.
    case pnl(Double)
    /// A fraction shown as a percentage: 0.521 → `52.1%`.
    case percent(Double)
    /// A ratio with two decimals; `∞` when infinite, `n/a` when undefined.
    case ratio(JournalRatio)
    case number(Double, decimals: Int)
    /// An R-multiple: `-1.85R`.
    case r(Double)
    /// A duration: `25 min`.
    case seconds(Double)
    /// A day on the trader's clock (days since 1970-01-01): `2024-01-02`.
    case day(Int32)
    /// A time of day on the trader's clock (minutes after midnight): `09:30`.
    case clock(Int)
    case text(String)

    public var display: String {
        switch self {
        case .count(let n): JournalFormat.count(n)
        case .money(let v): JournalFormat.money(v)
        case .pnl(let v): JournalFormat.pnl(v)
        case .percent(let v): JournalFormat.percent(v)
        case .ratio(let r):
            switch r {
            case .value(let v): JournalFormat.ratio(v)
            case .infinite: "∞"
            case .undefined: "n/a"
            }
        case .number(let v, let d): JournalFormat.fixed(v, d, grouped: true)
        case .r(let v): JournalFormat.r(v)
        case .seconds(let s): JournalFormat.duration(s)
        case .day(let d): ISO8601.formatDate(Timestamp(seconds: Int64(d) * 86_400))
        case .clock(let m): JournalFormat.clock(minutes: m)
        case .text(let s): s
        }
    }

    /// The raw value for the JSON evidence. An infinite ratio is the string `"infinity"`
    /// (JSON has no infinity); an undefined one is `null`.
    public var json: JSONValue {
        switch self {
        case .count(let n): .number(Double(n))
        case .money(let v), .pnl(let v): JournalJSON.money(v)
        case .percent(let v), .number(let v, _), .r(let v), .seconds(let v): JournalJSON.number(v)
        case .ratio(let r): JournalJSON.ratio(r)
        case .day(let d): .string(ISO8601.formatDate(Timestamp(seconds: Int64(d) * 86_400)))
        case .clock(let m): .string(JournalFormat.clock(minutes: m))
        case .text(let s): .string(s)
        }
    }
}

/// JSON helpers shared by the report and the metrics.
public enum JournalJSON {
    /// A finite number, or null.
    public static func number(_ v: Double?) -> JSONValue {
        guard let v, v.isFinite else { return .null }
        return .number(v == 0 ? 0 : v)
    }

    /// An amount of money, rounded to the cent (the sums of many trades carry
    /// floating-point noise far below that).
    public static func money(_ v: Double?) -> JSONValue {
        guard let v, v.isFinite else { return .null }
        let cents = (v * 100).rounded() / 100
        return .number(cents == 0 ? 0 : cents)
    }

    /// A ratio: a number, `"infinity"`, or null when undefined.
    public static func ratio(_ r: JournalRatio) -> JSONValue {
        switch r {
        case .value(let v): number(v)
        case .infinite: .string("infinity")
        case .undefined: .null
        }
    }

    public static func object(_ members: [(String, JSONValue)]) -> JSONValue {
        .object(members.map { JSONValue.Member($0.0, $0.1) })
    }
}

/// A sentence of the report: a template, the facts it is filled from, and its text
/// (the filled template, or an accepted rephrasing of it).
public struct ReportSentence: Sendable, Equatable {
    /// Where its facts are filed in the report's `evidence`, e.g. `pattern.tilt`.
    public var id: String
    public var template: String
    public var facts: [ReportFact]
    public var text: String
    public var rephrased = false

    public init(id: String, template: String, facts: [ReportFact]) {
        self.id = id
        self.template = template
        self.facts = facts
        self.text = ReportSentence.fill(template, facts)
    }

    /// Replaces each `{name}` with the display form of the fact of that name.
    /// A placeholder without a fact is a programming error; it is left visible as `{name?}`.
    public static func fill(_ template: String, _ facts: [ReportFact]) -> String {
        var out = ""
        out.reserveCapacity(template.utf8.count + 32)
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            let name = rest[rest.index(after: open)..<close]
            if let f = facts.first(where: { $0.name == name }) { out += f.value.display } else { out += "{\(name)?}" }
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return out
    }

    /// The placeholder names of a template, in order.
    public static func placeholders(_ template: String) -> [String] {
        var names: [String] = []
        var rest = template[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            names.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    /// The facts as a JSON object (raw values), for the evidence.
    public var evidence: JSONValue { .object(facts.map { JSONValue.Member($0.name, $0.value.json) }) }
}
