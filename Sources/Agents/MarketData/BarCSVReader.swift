import Bus

/// Reads OHLCV bars from a CSV file, streaming, in constant memory however long the file.
///
/// Two layouts are recognised by their header (names matched case-insensitively,
/// surrounding spaces ignored, extra columns ignored):
/// - Yahoo: `Date,Open,High,Low,Close,Adj Close,Volume` (`Close` is used, not `Adj Close`);
/// - plain: `time,open,high,low,close,volume`, optionally with a `symbol` column.
///
/// The time column may be called `time`, `date`, `datetime` or `timestamp`; the symbol
/// column `symbol` or `ticker`. Times are ISO 8601 dates or date-times, with or without a
/// zone (UTC when there is none). Without a symbol column the symbol is the one given, or
/// the file name without its extension, upper-cased (`data/GOOG.csv` → `GOOG`).
///
/// Every row is validated; a problem is an ``InputError`` naming `file:line` and the
/// column as the header spells it (see docs/market-data.md for the messages). With
/// `skipBadRows` a bad row is skipped and counted instead (``skipped``).
public final class BarCSVReader: BarSource {
    public struct Options: Sendable, Equatable {
        /// The symbol of a file without a symbol column; with one, only this symbol's rows are read.
        public var symbol: String?
        public var skipBadRows: Bool

        public init(symbol: String? = nil, skipBadRows: Bool = false) {
            self.symbol = symbol
            self.skipBadRows = skipBadRows
        }
    }

    /// Where each field is, and what the header calls it.
    struct Layout {
        var columns: Int
        var time: Int, open: Int, high: Int, low: Int, close: Int, volume: Int
        var symbol: Int?
        var names: [String]
    }

    public var name: String { csv.path }
    public let options: Options
    private let csv: CSVReader
    private let layout: Layout
    /// The symbol of every row (no symbol column).
    private let fixedSymbol: String?
    private var lastTime: Timestamp?
    private var lastLine = 0
    /// Symbols seen at `lastTime` (symbol-column files), with their line.
    private var symbolsAtLastTime: [String: Int] = [:]
    private var report: SkipReport
    /// Rows read successfully so far.
    public private(set) var rows = 0

    public init(path: String, options: Options = Options()) throws(InputError) {
        self.options = options
        csv = try CSVReader(path: path)
        report = SkipReport(source: path)
        guard let header = try csv.next() else {
            throw InputError(file: path, "empty file: expected a header line such as time,open,high,low,close,volume")
        }
        layout = try BarCSVReader.layout(header.fields, file: path, line: header.line)
        if layout.symbol == nil {
            let s = options.symbol ?? BarCSVReader.symbol(fromPath: path)
            if let p = SymbolCheck.problem(s) {
                // A symbol taken from the file name can be given instead; a given one is wrong.
                let hint = options.symbol == nil ? " (taken from the file name); give the symbol (--symbol, or market.data[].symbol)" : ""
                throw InputError(file: path, field: "symbol", p + hint)
            }
            fixedSymbol = s
        } else {
            fixedSymbol = nil
        }
    }

    /// Reads a whole file to check it, in constant memory; throws its first problem.
    /// Returns the number of bars (and the skip report in skip mode).
    @discardableResult
    public static func validate(path: String, options: Options = Options()) throws(InputError) -> (bars: Int, skipped: SkipReport?) {
        let r = try BarCSVReader(path: path, options: options)
        var n = 0
        while try r.next() != nil { n += 1 }
        return (n, r.skipped)
    }

    public var skipped: SkipReport? { options.skipBadRows ? report : nil }

    /// The symbol a file stands for: its name without extension, upper-cased.
    public static func symbol(fromPath path: String) -> String {
        var name = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        if let dot = name.lastIndex(of: "."), dot != name.startIndex { name = String(name[..<dot]) }
        return name.uppercased()
    }

    public func next() throws(InputError) -> BarRecord? {
        while true {
            let record: CSVReader.Record
            do {
                guard let r = try csv.next() else { return nil }
                record = r
            } catch {
                if options.skipBadRows {
                    report.record(error)
                    continue
                }
                throw error
            }
            do {
                if let bar = try parse(record) {
                    rows += 1
                    return BarRecord(bar: bar, source: csv.path, line: record.line)
                }
            } catch {
                if options.skipBadRows {
                    report.record(error)
                    continue
                }
                throw error
            }
        }
    }

    // MARK: header

    static let timeNames: Set<String> = ["time", "date", "datetime", "timestamp"]
    static let symbolNames: Set<String> = ["symbol", "ticker"]

    static func layout(_ header: [String], file: String, line: Int) throws(InputError) -> Layout {
        var found: [String: Int] = [:]
        var names: [String] = []
        for (i, raw) in header.enumerated() {
            let shown = trim(raw)
            names.append(shown)
            let key = shown.lowercased()
            let role: String
            if timeNames.contains(key) { role = "time" } else if symbolNames.contains(key) { role = "symbol" } else { role = key }
            guard ["time", "symbol", "open", "high", "low", "close", "volume"].contains(role) else { continue }
            if let j = found[role] {
                throw InputError(file: file, line: line, field: "header",
                                 "columns \"\(names[j])\" and \"\(shown)\" both name the \(role) column")
            }
            found[role] = i
        }
        let required = ["time", "open", "high", "low", "close", "volume"]
        let missing = required.filter { found[$0] == nil }
        if !missing.isEmpty {
            let list = missing.map { "\"\($0)\"" }.joined(separator: ", ")
            let s = missing.count == 1 ? "" : "s"
            throw InputError(file: file, line: line, field: "header",
                             "missing column\(s) \(list) (found: \(names.joined(separator: ", "))); expected time,open,high,low,close,volume or Yahoo's Date,Open,High,Low,Close,Adj Close,Volume")
        }
        return Layout(
            columns: header.count, time: found["time"]!, open: found["open"]!, high: found["high"]!,
            low: found["low"]!, close: found["close"]!, volume: found["volume"]!, symbol: found["symbol"], names: names)
    }

    // MARK: rows

    /// The bar of one row, nil when the row is another symbol's; throws its first problem.
    private func parse(_ record: CSVReader.Record) throws(InputError) -> Bar? {
        let f = record.fields
        let file = csv.path
        let line = record.line
        guard f.count == layout.columns else {
            throw InputError(file: file, line: line, "expected \(layout.columns) columns, got \(f.count)")
        }
        let symbol: String
        if let sc = layout.symbol {
            symbol = BarCSVReader.trim(f[sc])
            if let p = SymbolCheck.problem(symbol) {
                throw InputError(file: file, line: line, field: layout.names[sc], p)
            }
            if let wanted = options.symbol, wanted != symbol { return nil }
        } else {
            symbol = fixedSymbol!
        }
        let timeText = BarCSVReader.trim(f[layout.time])
        guard let time = try? ISO8601.parse(timeText) else {
            throw InputError(file: file, line: line, field: layout.names[layout.time],
                             timeText.isEmpty ? "empty value" : ISO8601.problem(timeText))
        }
        let (open, openText) = try number(f, layout.open, line)
        let (high, highText) = try number(f, layout.high, line)
        let (low, lowText) = try number(f, layout.low, line)
        let (close, closeText) = try number(f, layout.close, line)
        let (volume, volumeText) = try number(f, layout.volume, line)
        if high < low {
            throw InputError(file: file, line: line, field: layout.names[layout.high], "high \(highText) is below low \(lowText)")
        }
        if !(low > 0) {
            // Returns, sizing and stops divide by prices: every price must be positive
            // (low is the least of the four once they are in order).
            throw InputError(file: file, line: line, field: layout.names[layout.low], "low \(lowText) is not a positive price")
        }
        if open < low || open > high {
            throw InputError(file: file, line: line, field: layout.names[layout.open],
                             "open \(openText) is outside [low \(lowText), high \(highText)]")
        }
        if close < low || close > high {
            throw InputError(file: file, line: line, field: layout.names[layout.close],
                             "close \(closeText) is outside [low \(lowText), high \(highText)]")
        }
        if volume < 0 {
            throw InputError(file: file, line: line, field: layout.names[layout.volume], "negative volume \(volumeText)")
        }
        try checkOrder(time, symbol: symbol, line: line)
        return Bar(symbol: symbol, time: time, open: open, high: high, low: low, close: close, volume: volume)
    }

    private func checkOrder(_ time: Timestamp, symbol: String, line: Int) throws(InputError) {
        let field = layout.names[layout.time]
        if let last = lastTime {
            if time < last {
                let hint = layout.symbol != nil && options.symbol == nil
                    ? "; a file with a symbol column must be sorted by time" : ""
                throw InputError(file: csv.path, line: line, field: field,
                                 "timestamp \(time) goes backwards (line \(lastLine) has \(last))\(hint)")
            }
            if time == last {
                if layout.symbol == nil || options.symbol != nil {
                    throw InputError(file: csv.path, line: line, field: field, "duplicate timestamp \(time) (line \(lastLine))")
                }
                if let other = symbolsAtLastTime[symbol] {
                    throw InputError(file: csv.path, line: line, field: field,
                                     "duplicate timestamp \(time) for \(symbol) (line \(other))")
                }
                symbolsAtLastTime[symbol] = line
                lastLine = line
                return
            }
        }
        lastTime = time
        lastLine = line
        if layout.symbol != nil {
            symbolsAtLastTime.removeAll(keepingCapacity: true)
            symbolsAtLastTime[symbol] = line
        }
    }

    private func number(_ f: [String], _ column: Int, _ line: Int) throws(InputError) -> (Double, String) {
        let text = BarCSVReader.trim(f[column])
        guard !text.isEmpty else {
            throw InputError(file: csv.path, line: line, field: layout.names[column], "empty value")
        }
        guard let v = Double(text), !text.hasPrefix("0x"), !text.hasPrefix("-0x") else {
            throw InputError(file: csv.path, line: line, field: layout.names[column], "not a number: \"\(text)\"")
        }
        guard v.isFinite else {
            throw InputError(file: csv.path, line: line, field: layout.names[column], "not a finite number: \"\(text)\"")
        }
        return (v, text)
    }

    static func trim(_ s: String) -> String {
        var u = Substring(s)
        while let c = u.first, c == " " || c == "\t" { u.removeFirst() }
        while let c = u.last, c == " " || c == "\t" { u.removeLast() }
        return String(u)
    }
}
