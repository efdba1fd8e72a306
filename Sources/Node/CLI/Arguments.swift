import Foundation
import Bus

/// A usage mistake on the command line: printed as one line, exit code 64 (EX_USAGE).
struct UsageError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// A failure the user can act on (bad file, bad config, unreachable server): one line, exit 1.
struct CommandError: Error, CustomStringConvertible {
    let message: String
    let exitCode: Int32
    init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }
    var description: String { message }
}

/// The options and positionals a command accepts. Help text is generated from it.
struct CommandSpec {
    struct Option {
        let name: String
        let value: String?
        let help: String
        let repeatable: Bool
    }

    var path: String
    var summary: String
    var positionals: [(name: String, help: String)] = []
    /// When true, any number of trailing positionals is accepted (named by the last entry).
    var variadicPositionals = false
    var minPositionals = 0
    var options: [Option] = []
    var details: String = ""
    /// Internal commands (e.g. a benchmark's child process) are left out of the listings.
    var hidden = false

    init(_ path: String, summary: String) {
        self.path = path
        self.summary = summary
    }

    func positional(_ name: String, _ help: String, required: Bool = true) -> CommandSpec {
        var s = self
        s.positionals.append((name, help))
        if required { s.minPositionals = s.positionals.count }
        return s
    }

    func variadic(_ name: String, _ help: String, min: Int = 0) -> CommandSpec {
        var s = self
        s.positionals.append((name, help))
        s.variadicPositionals = true
        s.minPositionals = min
        return s
    }

    func option(_ name: String, _ value: String, _ help: String, repeatable: Bool = false) -> CommandSpec {
        var s = self
        s.options.append(Option(name: name, value: value, help: help, repeatable: repeatable))
        return s
    }

    func flag(_ name: String, _ help: String) -> CommandSpec {
        var s = self
        s.options.append(Option(name: name, value: nil, help: help, repeatable: false))
        return s
    }

    func hide() -> CommandSpec {
        var s = self
        s.hidden = true
        return s
    }

    func detail(_ text: String) -> CommandSpec {
        var s = self
        s.details = text
        return s
    }

    var usageLine: String {
        var parts = ["agora", path]
        if !options.isEmpty { parts.append("[options]") }
        for (i, p) in positionals.enumerated() {
            let isVariadic = variadicPositionals && i == positionals.count - 1
            let shown = isVariadic ? "\(p.name)…" : p.name
            parts.append(i < minPositionals ? shown : "[\(shown)]")
        }
        return parts.joined(separator: " ")
    }

    var help: String {
        var out = "\(summary)\n\nUsage: \(usageLine)\n"
        if !positionals.isEmpty {
            out += "\nArguments:\n"
            for p in positionals { out += "  " + pad(p.name, 26) + p.help + "\n" }
        }
        out += "\nOptions:\n"
        for o in options {
            let lhs = o.value.map { "--\(o.name) \($0)" } ?? "--\(o.name)"
            out += "  " + pad(lhs, 26) + o.help + (o.repeatable ? " (repeatable)" : "") + "\n"
        }
        out += "  " + pad("-h, --help", 26) + "Show this help.\n"
        if !details.isEmpty { out += "\n" + details + "\n" }
        return out
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + "  " : s + String(repeating: " ", count: width - s.count)
    }
}

/// Parsed command-line arguments for one command.
struct Arguments {
    let spec: CommandSpec
    private(set) var values: [String: [String]] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positionals: [String] = []
    private(set) var helpRequested = false

    init(_ argv: [String], spec: CommandSpec) throws(UsageError) {
        self.spec = spec
        var i = 0
        var onlyPositionals = false
        while i < argv.count {
            let a = argv[i]
            i += 1
            if onlyPositionals || !a.hasPrefix("-") || a == "-" {
                positionals.append(a)
                continue
            }
            if a == "--" { onlyPositionals = true; continue }
            if a == "-h" || a == "--help" { helpRequested = true; continue }
            guard a.hasPrefix("--") else { throw UsageError("agora \(spec.path): unknown option '\(a)' (see --help)") }
            var name = String(a.dropFirst(2))
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let opt = spec.options.first(where: { $0.name == name }) else {
                let suggestion = Arguments.closest(name, among: spec.options.map(\.name)).map { " (did you mean '--\($0)'?)" } ?? " (see --help)"
                throw UsageError("agora \(spec.path): unknown option '--\(name)'\(suggestion)")
            }
            if opt.value == nil {
                if inline != nil { throw UsageError("agora \(spec.path): option '--\(name)' takes no value") }
                flags.insert(name)
                continue
            }
            let value: String
            if let inline {
                value = inline
            } else {
                guard i < argv.count, !(argv[i].hasPrefix("--") && argv[i].count > 2) else {
                    throw UsageError("agora \(spec.path): option '--\(name)' needs a value (\(opt.value!))")
                }
                value = argv[i]
                i += 1
            }
            if !opt.repeatable, values[name] != nil {
                throw UsageError("agora \(spec.path): option '--\(name)' given twice")
            }
            values[name, default: []].append(value)
        }
        if helpRequested { return }
        if positionals.count < spec.minPositionals {
            let missing = spec.positionals[positionals.count].name
            throw UsageError("agora \(spec.path): missing argument \(missing) (usage: \(spec.usageLine))")
        }
        if !spec.variadicPositionals && positionals.count > spec.positionals.count {
            throw UsageError("agora \(spec.path): unexpected argument '\(positionals[spec.positionals.count])' (usage: \(spec.usageLine))")
        }
    }

    func flag(_ name: String) -> Bool { flags.contains(name) }
    func string(_ name: String) -> String? { values[name]?.last }
    func strings(_ name: String) -> [String] { values[name] ?? [] }
    func positional(_ i: Int) -> String? { i < positionals.count ? positionals[i] : nil }

    func int(_ name: String, default d: Int, range: ClosedRange<Int> = 0...Int.max) throws(UsageError) -> Int {
        guard let s = string(name) else { return d }
        guard let v = Arguments.parseInt(s), range.contains(v) else {
            throw UsageError("agora \(spec.path): --\(name): expected an integer in \(range.lowerBound)…\(range.upperBound == Int.max ? "" : String(range.upperBound)), got '\(s)'")
        }
        return v
    }

    func double(_ name: String, default d: Double, range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) throws(UsageError) -> Double {
        guard let s = string(name) else { return d }
        // Decimal only: Double("0x10") reads hex (16), which no flag means.
        guard Arguments.isDecimal(s), let v = Double(s), v.isFinite, range.contains(v) else {
            throw UsageError("agora \(spec.path): --\(name): expected a number in \(range.lowerBound)…\(range.upperBound), got '\(s)'")
        }
        return v
    }

    /// A decimal number's text: digits, one point, an exponent; a sign before each.
    static func isDecimal(_ s: String) -> Bool {
        var sawDigit = false, sawPoint = false, sawExponent = false
        var previous: UInt8 = 0
        for b in s.utf8 {
            let exponentMark = b == 0x65 || b == 0x45, sign = b == 0x2B || b == 0x2D
            if b >= 0x30 && b <= 0x39 {
                sawDigit = true
            } else if b == 0x2E && !sawPoint && !sawExponent {
                sawPoint = true
            } else if exponentMark && sawDigit && !sawExponent {
                sawExponent = true
            } else if !(sign && (previous == 0 || previous == 0x65 || previous == 0x45)) {
                return false
            }
            previous = b
        }
        return sawDigit
    }

    func optionalDouble(_ name: String, range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) throws(UsageError) -> Double? {
        guard string(name) != nil else { return nil }
        return try double(name, default: 0, range: range)
    }

    func choice(_ name: String, _ allowed: [String], default d: String) throws(UsageError) -> String {
        guard let s = string(name) else { return d }
        guard allowed.contains(s) else {
            throw UsageError("agora \(spec.path): --\(name): expected one of \(allowed.joined(separator: ", ")), got '\(s)'")
        }
        return s
    }

    /// Integers with optional `_` separators and k/M suffixes: `200000`, `200_000`, `200k`, `1M`.
    static func parseInt(_ s: String) -> Int? {
        var t = s.replacingOccurrences(of: "_", with: "")
        var mult = 1
        if t.hasSuffix("k") || t.hasSuffix("K") { mult = 1000; t.removeLast() } else if t.hasSuffix("M") || t.hasSuffix("m") { mult = 1_000_000; t.removeLast() }
        guard let v = Int(t) else { return nil }
        let (r, o) = v.multipliedReportingOverflow(by: mult)
        return o ? nil : r
    }

    /// The candidate closest to `word` by edit distance, when it is close enough to be a typo.
    static func closest(_ word: String, among candidates: [String]) -> String? {
        var best: (String, Int)?
        for c in candidates {
            let d = editDistance(word, c)
            if d <= max(1, c.count / 3), best == nil || d < best!.1 { best = (c, d) }
        }
        return best?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }
}
