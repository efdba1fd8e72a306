#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Bus

/// Reading and writing trade journals as CSV.
///
/// Two formats are read, told apart by the header (docs/journal.md):
/// - a **journal**: one closed trade per row, columns `id, symbol, side, quantity,
///   entry_time, entry_price, exit_time, exit_price, fees[, stop_price][, tags][, notes]`;
/// - an **execution export**: one fill per row, columns `time, symbol, side, quantity,
///   price[, fee]`, paired into round trips by ``ExecutionPairing``.
///
/// A bad row is reported as `file:line: field: message` and never dropped silently: the
/// caller either refuses the file (the default) or skips and counts the rows.
public enum JournalFile {
    public enum Format: String, Sendable, CaseIterable {
        case journal, executions
    }

    /// The journal's columns, in the order Agora writes them.
    public static let journalColumns = ["id", "symbol", "side", "quantity", "entry_time", "entry_price", "exit_time", "exit_price", "fees", "stop_price", "tags", "notes"]
    static let journalRequired: Set<String> = ["id", "symbol", "side", "quantity", "entry_time", "entry_price", "exit_time", "exit_price", "fees"]
    /// The execution export's columns.
    public static let executionColumns = ["time", "symbol", "side", "quantity", "price", "fee"]
    static let executionRequired: Set<String> = ["time", "symbol", "side", "quantity", "price"]
    /// Other spellings accepted in headers.
    static let aliases = ["qty": "quantity", "fee": "fees", "stop": "stop_price", "tag": "tags", "note": "notes",
                          "date": "time", "datetime": "time", "timestamp": "time", "ticker": "symbol", "commission": "fee"]

    public struct Loaded: Sendable {
        public var format: Format
        public var trades: [JournalTrade]
        /// Data rows read (fills, for an export).
        public var rows: Int
        /// Every bad row, one error each, in file order.
        public var badRows: [InputError]
        /// Positions an execution export leaves open at its end (not analysed).
        public var openPositions: [ExecutionPairing.OpenPosition]
    }

    // MARK: header

    /// Every column either format knows.
    enum Column: Int, CaseIterable {
        case id, symbol, side, quantity, entryTime, entryPrice, exitTime, exitPrice, fees, stopPrice, tags, notes, time, price, fee

        var name: String {
            switch self {
            case .id: "id"
            case .symbol: "symbol"
            case .side: "side"
            case .quantity: "quantity"
            case .entryTime: "entry_time"
            case .entryPrice: "entry_price"
            case .exitTime: "exit_time"
            case .exitPrice: "exit_price"
            case .fees: "fees"
            case .stopPrice: "stop_price"
            case .tags: "tags"
            case .notes: "notes"
            case .time: "time"
            case .price: "price"
            case .fee: "fee"
            }
        }
    }

    struct Header {
        var format: Format
        /// Column index of each known field (-1 when absent).
        var index: [String: Int]
        var count: Int
        /// Field position of each ``Column`` (-1 when absent), for the per-row readers.
        var slots: [Int]

        init(format: Format, index: [String: Int], count: Int) {
            self.format = format
            self.index = index
            self.count = count
            slots = Column.allCases.map { index[$0.name] ?? -1 }
        }

        @inline(__always) func at(_ c: Column) -> Int { slots[c.rawValue] }
    }

    static func header(_ fields: [String], file: String, line: Int, format wanted: Format?) throws(InputError) -> Header {
        var names: [String] = []
        for f in fields {
            let n = f.journalTrimmed.lowercased().journalUnderscored()
            names.append(n)
        }
        let format: Format
        if let wanted {
            format = wanted
        } else if names.contains("entry_time") || names.contains("exit_time") {
            format = .journal
        } else if names.contains("price") || names.contains("time") {
            format = .executions
        } else {
            throw InputError(file: file, line: line, field: "header",
                             "neither a journal (id, symbol, side, quantity, entry_time, entry_price, exit_time, exit_price, fees, …) nor an execution export (time, symbol, side, quantity, price, fee)")
        }
        let known = format == .journal ? journalColumns : executionColumns
        let kind = format == .journal ? "journal" : "execution export"
        let required = format == .journal ? journalRequired : executionRequired
        var index: [String: Int] = [:]
        for (i, raw) in names.enumerated() {
            var n = raw
            if !known.contains(n), let a = aliases[n], known.contains(a) { n = a }
            if format == .executions && n == "fees" { n = "fee" }
            guard known.contains(n) else {
                let hint = known.min { journalEditDistance($0, raw) < journalEditDistance($1, raw) }
                    .flatMap { journalEditDistance($0, raw) <= max(2, $0.count / 3) ? " (did you mean \"\($0)\"?)" : nil } ?? ""
                throw InputError(file: file, line: line, field: "header", "unknown column \"\(fields[i].journalTrimmed)\"\(hint); \(kind) columns are: \(known.joined(separator: ", "))")
            }
            if index[n] != nil { throw InputError(file: file, line: line, field: "header", "column \"\(n)\" appears twice") }
            index[n] = i
        }
        for r in known where required.contains(r) && index[r] == nil {
            throw InputError(file: file, line: line, field: "header", "missing column \"\(r)\" (\(format == .journal ? "a" : "an") \(kind) needs \(known.filter { required.contains($0) }.joined(separator: ", ")))")
        }
        return Header(format: format, index: index, count: names.count)
    }

    // MARK: loading

    /// Reads a journal or an execution export. Throws only for problems with the whole
    /// file (cannot open, empty, bad header); bad rows are returned in `badRows`.
    public static func load(path: String, format: Format? = nil) throws(InputError) -> Loaded {
        let reader = try LineReader(path: path)
        var splitter = JournalFieldSplitter()
        var head: Header?
        var trades: [JournalTrade] = []
        var fills: [ExecutionPairing.Fill] = []
        var bad: [InputError] = []
        var rows = 0
        // Reserve from the file size: rows are rarely under 48 bytes.
        var st = stat()
        let estimate = stat(path, &st) == 0 ? min(Int(st.st_size) / 48, 50_000_000) : 1024
        // Each trade's id hash and line, checked for repeats once the file is read.
        var idKeys: [JournalDuplicateIDs.Key] = []
        while let bytes = try reader.nextLineBytes() {
            let line = reader.lineNumber
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            if head == nil {
                let fields = try CSVReader.split(bytes, file: path, line: line)
                head = try header(fields, file: path, line: line, format: format)
                if head!.format == .journal {
                    trades.reserveCapacity(estimate)
                    idKeys.reserveCapacity(estimate)
                } else {
                    fills.reserveCapacity(estimate)
                }
                continue
            }
            let h = head!
            rows += 1
            do throws(InputError) {
                try splitter.split(bytes, file: path, line: line)
                guard splitter.count == h.count else {
                    throw InputError(file: path, line: line, "expected \(h.count) fields as in the header, got \(splitter.count)")
                }
                switch h.format {
                case .journal:
                    let t = try splitter.trade(h, file: path, line: line)
                    idKeys.append(JournalDuplicateIDs.Key(hash: splitter.hash(h.at(.id)), line: Int32(truncatingIfNeeded: line), trade: Int32(trades.count)))
                    trades.append(t)
                case .executions:
                    fills.append(try splitter.fill(h, file: path, line: line))
                }
            } catch {
                bad.append(error)
            }
            splitter.release()
        }
        guard let h = head else { throw InputError(file: path, "empty file: expected a header line") }
        if h.format == .executions {
            let paired = ExecutionPairing.pair(fills)
            return Loaded(format: .executions, trades: paired.trades, rows: rows, badRows: bad, openPositions: paired.open)
        }
        let repeats = JournalDuplicateIDs.find(&idKeys, trades)
        if !repeats.isEmpty {
            var drop = [Bool](repeating: false, count: trades.count)
            for r in repeats {
                drop[r.trade] = true
                bad.append(InputError(file: path, line: r.line, field: "id", "\"\(trades[r.trade].id)\" was already used on line \(r.firstLine)"))
            }
            bad.sort { ($0.line ?? 0) < ($1.line ?? 0) }
            var kept: [JournalTrade] = []
            kept.reserveCapacity(trades.count - repeats.count)
            for (i, t) in trades.enumerated() where !drop[i] { kept.append(t) }
            trades = kept
        }
        return Loaded(format: .journal, trades: trades, rows: rows, badRows: bad, openPositions: [])
    }

    // MARK: writing

    public static let journalHeader = journalColumns.joined(separator: ",")

    /// The value of one journal column for a trade.
    public static func value(_ column: String, of t: JournalTrade) -> String {
        switch column {
        case "id": t.id
        case "symbol": t.symbol
        case "side": t.side.rawValue
        case "quantity": Fmt.plain(t.quantity)
        case "entry_time": t.entryTime.iso8601
        case "entry_price": Fmt.plain(t.entryPrice)
        case "exit_time": t.exitTime.iso8601
        case "exit_price": Fmt.plain(t.exitPrice)
        case "fees": Fmt.plain(t.fees)
        case "stop_price": t.stopPrice.map(Fmt.plain) ?? ""
        case "tags": t.tags.joined(separator: ";")
        case "notes": t.notes
        default: ""
        }
    }

    /// A journal row (no line break), in the given column order.
    public static func row(_ t: JournalTrade, columns: [String] = journalColumns) -> String {
        columns.map { CSVField.quoted(value($0, of: t)) }.joined(separator: ",")
    }

    /// Writes a whole journal (header and rows), replacing the file.
    public static func write(_ trades: [JournalTrade], to path: String) throws(InputError) {
        let out = try JournalFileSink(path: path, mode: "wb")
        out.write(journalHeader + "\n")
        for t in trades { out.write(row(t) + "\n") }
        try out.close()
    }

    /// Writes trades as an execution export: an entry fill and an exit fill per trade,
    /// the entry split in two partial fills when `splitEntries` (fees on the exit fill).
    public static func writeExecutions(_ trades: [JournalTrade], to path: String, splitEntries: Bool = false) throws(InputError) {
        struct Row { var time: Timestamp; var order: Int; var text: String }
        var rows: [Row] = []
        rows.reserveCapacity(trades.count * 3)
        for (k, t) in trades.enumerated() {
            let open = t.side == .long ? "buy" : "sell", close = t.side == .long ? "sell" : "buy"
            if splitEntries && t.quantity >= 2 && t.quantity == t.quantity.rounded() {
                let first = (t.quantity / 2).rounded(.down)
                rows.append(Row(time: t.entryTime, order: 3 * k, text: "\(t.entryTime.iso8601),\(t.symbol),\(open),\(Fmt.plain(first)),\(Fmt.plain(t.entryPrice)),0"))
                rows.append(Row(time: t.entryTime, order: 3 * k + 1, text: "\(t.entryTime.iso8601),\(t.symbol),\(open),\(Fmt.plain(t.quantity - first)),\(Fmt.plain(t.entryPrice)),0"))
            } else {
                rows.append(Row(time: t.entryTime, order: 3 * k, text: "\(t.entryTime.iso8601),\(t.symbol),\(open),\(Fmt.plain(t.quantity)),\(Fmt.plain(t.entryPrice)),0"))
            }
            rows.append(Row(time: t.exitTime, order: 3 * k + 2, text: "\(t.exitTime.iso8601),\(t.symbol),\(close),\(Fmt.plain(t.quantity)),\(Fmt.plain(t.exitPrice)),\(Fmt.plain(t.fees))"))
        }
        rows.sort { $0.time != $1.time ? $0.time < $1.time : $0.order < $1.order }
        let out = try JournalFileSink(path: path, mode: "wb")
        out.write(executionColumns.joined(separator: ",") + "\n")
        for r in rows { out.write(r.text + "\n") }
        try out.close()
    }
}

// MARK: field splitting and parsing

/// Splits CSV lines into trimmed fields without allocating per line: the fields are
/// byte ranges into the line itself, or into a reused buffer when the line has quoted
/// fields (RFC 4180: doubled quotes, commas inside quotes).
struct JournalFieldSplitter {
    private var buffer: [UInt8] = []
    /// The bytes the ranges point into: the line, or `buffer`.
    private var source: ArraySlice<UInt8> = []
    private var starts: [Int] = []
    private var ends: [Int] = []
    var count: Int { starts.count }

    init() {
        buffer.reserveCapacity(512)
        starts.reserveCapacity(16)
        ends.reserveCapacity(16)
    }

    /// Drops the reference to the last line (so the reader can reuse its buffer).
    mutating func release() { source = [] }

    mutating func split(_ line: ArraySlice<UInt8>, file: String, line number: Int) throws(InputError) {
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        source = []
        if !line.contains(0x22) {
            // Fast path: no quotes, ranges into the line.
            line.withUnsafeBufferPointer { p in
                let base = line.startIndex
                var i = 0
                let n = p.count
                while true {
                    var s = i
                    while s < n && (p[s] == 0x20 || p[s] == 0x09) { s += 1 }
                    var e = s
                    while e < n && p[e] != 0x2C { e += 1 }
                    let next = e
                    while e > s && (p[e - 1] == 0x20 || p[e - 1] == 0x09) { e -= 1 }
                    starts.append(base + s)
                    ends.append(base + e)
                    if next >= n { break }
                    i = next + 1
                    if i == n {
                        starts.append(base + n)
                        ends.append(base + n)
                        break
                    }
                }
            }
            source = line
            return
        }
        buffer.removeAll(keepingCapacity: true)
        var i = line.startIndex
        let end = line.endIndex
        while true {
            while i < end && (line[i] == 0x20 || line[i] == 0x09) { i += 1 }
            let s = buffer.count
            if i < end && line[i] == 0x22 {
                i += 1
                var closed = false
                while i < end {
                    let c = line[i]
                    if c == 0x22 {
                        if i + 1 < end && line[i + 1] == 0x22 { buffer.append(0x22); i += 2; continue }
                        i += 1
                        closed = true
                        break
                    }
                    buffer.append(c)
                    i += 1
                }
                if !closed { throw InputError(file: file, line: number, "unterminated quoted field") }
                while i < end && (line[i] == 0x20 || line[i] == 0x09) { i += 1 }
                if i < end && line[i] != 0x2C { throw InputError(file: file, line: number, "unexpected character after a quoted field") }
                starts.append(s)
                ends.append(buffer.count)
            } else {
                while i < end && line[i] != 0x2C { buffer.append(line[i]); i += 1 }
                var e = buffer.count
                while e > s && (buffer[e - 1] == 0x20 || buffer[e - 1] == 0x09) { e -= 1 }
                starts.append(s)
                ends.append(e)
            }
            if i >= end { break }
            i += 1 // the comma
            if i == end {
                starts.append(buffer.count)
                ends.append(buffer.count)
                break
            }
        }
        source = buffer[...]
    }

    func isEmpty(_ k: Int) -> Bool { starts[k] == ends[k] }

    @inline(__always) func withField<R>(_ k: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let base = source.startIndex
        return source.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[(starts[k] - base)..<(ends[k] - base)])) }
    }

    func string(_ k: Int) -> String { withField(k) { String(decoding: $0, as: UTF8.self) } }
    func double(_ k: Int) -> Double? { withField(k) { journalParseDecimal($0) } }
    func timestamp(_ k: Int) -> Timestamp? { withField(k) { ISO8601.parse(bytes: $0) } }
    /// A 64-bit hash of the field's bytes (for duplicate detection).
    func hash(_ k: Int) -> UInt64 { withField(k) { journalFieldHash($0) } }

    /// Whether the field equals `word` ignoring ASCII case (`word` is lower case).
    func equals(_ k: Int, _ word: StaticString) -> Bool {
        withField(k) { f in
            guard f.count == word.utf8CodeUnitCount else { return false }
            let w = word.utf8Start
            for i in 0..<f.count {
                var c = f[i]
                if c >= 0x41 && c <= 0x5A { c |= 0x20 }
                if c != w[i] { return false }
            }
            return true
        }
    }

    // Typed field readers that report `file:line: field: message`.

    func text(_ h: JournalFile.Header, _ c: JournalFile.Column, file: String, line: Int) throws(InputError) -> String {
        let k = h.at(c), name = c.name
        guard !isEmpty(k) else { throw InputError(file: file, line: line, field: name, "is empty") }
        return string(k)
    }

    /// The number in an optional column: nil when the column is absent or the cell empty.
    func number(_ h: JournalFile.Header, _ c: JournalFile.Column, file: String, line: Int, positive: Bool) throws(InputError) -> Double? {
        let k = h.at(c), name = c.name
        guard k >= 0, !isEmpty(k) else { return nil }
        guard let v = double(k), v.isFinite else { throw InputError(file: file, line: line, field: name, "not a number: \"\(string(k))\"") }
        if positive && !(v > 0) { throw InputError(file: file, line: line, field: name, "must be greater than 0, got \(string(k))") }
        if !positive && v < 0 { throw InputError(file: file, line: line, field: name, "must not be negative, got \(string(k))") }
        return v
    }

    func required(_ h: JournalFile.Header, _ c: JournalFile.Column, file: String, line: Int, positive: Bool, emptyHint: String = "") throws(InputError) -> Double {
        guard let v = try number(h, c, file: file, line: line, positive: positive) else {
            throw InputError(file: file, line: line, field: c.name, "is empty" + emptyHint)
        }
        return v
    }

    func time(_ h: JournalFile.Header, _ c: JournalFile.Column, file: String, line: Int) throws(InputError) -> Timestamp {
        let k = h.at(c), name = c.name
        guard !isEmpty(k) else { throw InputError(file: file, line: line, field: name, "is empty") }
        guard let t = timestamp(k) else {
            throw InputError(file: file, line: line, field: name, ISO8601.problem(string(k)))
        }
        return t
    }

    func side(_ h: JournalFile.Header, file: String, line: Int, fills: Bool) throws(InputError) -> PositionSide {
        let k = h.at(.side)
        guard !isEmpty(k) else { throw InputError(file: file, line: line, field: "side", "is empty") }
        if equals(k, "buy") { return .long }
        if equals(k, "sell") { return .short }
        if !fills {
            if equals(k, "long") { return .long }
            if equals(k, "short") { return .short }
        }
        throw InputError(file: file, line: line, field: "side", fills ? "expected buy or sell, got \"\(string(k))\"" : "expected long, short, buy or sell, got \"\(string(k))\"")
    }

    func trade(_ h: JournalFile.Header, file: String, line: Int) throws(InputError) -> JournalTrade {
        let id = try text(h, .id, file: file, line: line)
        let symbol = try text(h, .symbol, file: file, line: line)
        let side = try side(h, file: file, line: line, fills: false)
        let quantity = try required(h, .quantity, file: file, line: line, positive: true)
        let entryTime = try time(h, .entryTime, file: file, line: line)
        let entryPrice = try required(h, .entryPrice, file: file, line: line, positive: true)
        let exitTime = try time(h, .exitTime, file: file, line: line)
        let exitPrice = try required(h, .exitPrice, file: file, line: line, positive: true)
        let fees = try required(h, .fees, file: file, line: line, positive: false, emptyHint: " (write 0 for none)")
        let stop = try number(h, .stopPrice, file: file, line: line, positive: true)
        var tags: [String] = []
        let tk = h.at(.tags)
        if tk >= 0 && !isEmpty(tk) { tags = withField(tk) { JournalFile.splitTags(bytes: $0) } }
        let nk = h.at(.notes)
        let notes = nk >= 0 && !isEmpty(nk) ? string(nk) : ""
        let t = JournalTrade(id: id, symbol: symbol, side: side, quantity: quantity, entryTime: entryTime, entryPrice: entryPrice,
                             exitTime: exitTime, exitPrice: exitPrice, fees: fees, stopPrice: stop, tags: tags, notes: notes)
        if let p = t.problem() { throw InputError(file: file, line: line, field: p.field, p.message) }
        return t
    }

    func fill(_ h: JournalFile.Header, file: String, line: Int) throws(InputError) -> ExecutionPairing.Fill {
        let time = try time(h, .time, file: file, line: line)
        let symbol = try text(h, .symbol, file: file, line: line)
        let side = try side(h, file: file, line: line, fills: true)
        let quantity = try required(h, .quantity, file: file, line: line, positive: true)
        let price = try required(h, .price, file: file, line: line, positive: true)
        let fee = try number(h, .fee, file: file, line: line, positive: false) ?? 0
        return ExecutionPairing.Fill(time: time, symbol: symbol, side: side == .long ? .buy : .sell, quantity: quantity, price: price, fee: fee, line: line)
    }
}

/// FNV-1a over the bytes, then a final mix.
@inline(__always) func journalFieldHash(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for c in b { h = (h ^ UInt64(c)) &* 0x0000_0100_0000_01B3 }
    h ^= h >> 33
    h &*= 0xFF51_AFD7_ED55_8CCD
    return h ^ (h >> 33)
}

/// Finds repeated trade ids after a file is read: the (hash, line) keys are sorted by
/// hash, so equal ids sit side by side and only equal hashes compare strings. Sorting a
/// compact array is cache-friendly where a hash table of a million ids is not.
enum JournalDuplicateIDs {
    struct Key { var hash: UInt64; var line: Int32; var trade: Int32 }
    struct Repeat { var trade: Int; var line: Int; var firstLine: Int }

    /// Every trade whose id an earlier line already used (in any order).
    static func find(_ keys: inout [Key], _ trades: [JournalTrade]) -> [Repeat] {
        keys.sort { $0.hash != $1.hash ? $0.hash < $1.hash : $0.line < $1.line }
        var out: [Repeat] = []
        var i = 0
        while i < keys.count {
            var j = i + 1
            while j < keys.count && keys[j].hash == keys[i].hash { j += 1 }
            if j - i > 1 {
                // Same hash: group by the actual id, earliest line first.
                var firsts: [(id: String, line: Int)] = []
                for k in i..<j {
                    let id = trades[Int(keys[k].trade)].id
                    if let f = firsts.first(where: { $0.id == id }) {
                        out.append(Repeat(trade: Int(keys[k].trade), line: Int(keys[k].line), firstLine: f.line))
                    } else {
                        firsts.append((id, Int(keys[k].line)))
                    }
                }
            }
            i = j
        }
        return out
    }
}

extension JournalFile {
    /// Tags from the bytes of a CSV field (see ``splitTags(_:)``); ASCII without allocating
    /// more than the tags themselves.
    static func splitTags(bytes b: UnsafeBufferPointer<UInt8>) -> [String] {
        var out: [String] = []
        var i = 0
        let n = b.count
        var scratch = [UInt8]()
        while i <= n {
            var e = i
            while e < n && b[e] != 0x3B { e += 1 }
            var s = i, t = e
            while s < t && (b[s] == 0x20 || b[s] == 0x09) { s += 1 }
            while t > s && (b[t - 1] == 0x20 || b[t - 1] == 0x09) { t -= 1 }
            if s < t && b[s] == 0x23 { s += 1 }
            if s < t {
                scratch.removeAll(keepingCapacity: true)
                var ascii = true
                for k in s..<t {
                    var c = b[k]
                    if c >= 0x80 { ascii = false }
                    if c >= 0x41 && c <= 0x5A { c |= 0x20 }
                    scratch.append(c)
                }
                let tag = String(decoding: scratch, as: UTF8.self)
                out.append(ascii ? tag : tag.lowercased())
            }
            i = e + 1
        }
        return out
    }

    /// `fomo; #Breakout;` → `["fomo", "breakout"]`: split on `;`, trimmed, `#` dropped, lower case.
    public static func splitTags(_ s: String) -> [String] {
        s.split(separator: ";").compactMap { part in
            var t = String(part).journalTrimmed
            if t.hasPrefix("#") { t.removeFirst() }
            return t.isEmpty ? nil : t.lowercased()
        }
    }
}

private let exactPowers: [Double] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

/// A decimal number (`-12.5`, `+3`, `.5`, `1e-3`), correctly rounded; nil for anything
/// else. A fast exact path covers up to 15 significant digits; the rest goes to strtod.
func journalParseDecimal(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
    let n = b.count
    guard n > 0, n < 64 else { return nil }
    var i = 0
    var negative = false
    if b[0] == 0x2D || b[0] == 0x2B { negative = b[0] == 0x2D; i = 1 }
    var mantissa: UInt64 = 0
    var digits = 0, sawDigit = false, exp10 = 0
    while i < n, b[i] &- 0x30 < 10 {
        sawDigit = true
        if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(b[i] &- 0x30); if mantissa != 0 { digits += 1 } } else { exp10 += 1 }
        i += 1
    }
    if i < n, b[i] == 0x2E {
        i += 1
        while i < n, b[i] &- 0x30 < 10 {
            sawDigit = true
            if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(b[i] &- 0x30); if mantissa != 0 { digits += 1 }; exp10 -= 1 }
            i += 1
        }
    }
    guard sawDigit else { return nil }
    if i < n, b[i] == 0x65 || b[i] == 0x45 {
        i += 1
        var eneg = false
        if i < n, b[i] == 0x2B || b[i] == 0x2D { eneg = b[i] == 0x2D; i += 1 }
        guard i < n, b[i] &- 0x30 < 10 else { return nil }
        var e = 0
        while i < n, b[i] &- 0x30 < 10 { if e < 10_000 { e = e * 10 + Int(b[i] &- 0x30) }; i += 1 }
        exp10 += eneg ? -e : e
    }
    guard i == n else { return nil }
    if digits <= 15 && mantissa < (1 << 53) && exp10 >= -22 && exp10 <= 22 {
        var v = Double(mantissa)
        if exp10 < 0 { v /= exactPowers[-exp10] } else if exp10 > 0 { v *= exactPowers[exp10] }
        return negative ? -v : v
    }
    return withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { tmp -> Double? in
        for k in 0..<n { tmp[k] = CChar(bitPattern: b[k]) }
        tmp[n] = 0
        let v = strtod(tmp.baseAddress!, nil)
        return v.isFinite ? v : nil
    }
}

/// Buffered writes to a file through stdio.
final class JournalFileSink {
    let path: String
    private let file: UnsafeMutablePointer<FILE>
    private var failed = false
    private var closed = false

    deinit { if !closed { fclose(file) } }

    init(path: String, mode: String) throws(InputError) {
        self.path = path
        guard let f = fopen(path, mode) else {
            throw InputError(file: path, "cannot open for writing: \(String(cString: strerror(errno)))")
        }
        file = f
    }

    func write(_ s: String) {
        var s = s
        s.withUTF8 { u in
            if u.count > 0 && fwrite(u.baseAddress!, 1, u.count, file) != u.count { failed = true }
        }
    }

    func close() throws(InputError) {
        closed = true
        let rc = fclose(file)
        if failed || rc != 0 { throw InputError(file: path, "write failed: \(String(cString: strerror(errno)))") }
    }
}

extension String {
    func journalUnderscored() -> String {
        guard contains(" ") else { return self }
        return String(map { $0 == " " ? "_" : $0 })
    }
}
