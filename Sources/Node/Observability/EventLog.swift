import Agents
import Bus

/// Reads an event log written by `--record` (JSON Lines in the wire format).
///
/// A line that does not decode stops the read with `file:line: why` — a log is the record of
/// a run, so a damaged one is reported, not silently thinned. Blank lines are skipped.
enum EventLog {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Calls `body` with every event, in file order.
    static func forEach(_ path: String, _ body: (Envelope) throws -> Void) throws {
        try forEachLine(path) { e, _ in try body(e) }
    }

    /// Calls `body` with every event and its line number, in file order.
    static func forEachLine(_ path: String, _ body: (Envelope, Int) throws -> Void) throws {
        let lines: LineReader
        do { lines = try LineReader(path: path) } catch { throw Failure(description: error.description) }
        while true {
            let line: String?
            do { line = try lines.nextLine() } catch { throw Failure(description: error.description) }
            guard let line else { return }
            if line.utf8.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let e: Envelope
            do { e = try EventCodec.decode(line) } catch {
                throw Failure(description: "\(path):\(lines.lineNumber): \(error)")
            }
            try body(e, lines.lineNumber)
        }
    }

    static func read(_ path: String) throws -> [Envelope] {
        var out: [Envelope] = []
        try forEach(path) { out.append($0) }
        return out
    }

    /// The market inputs a log holds: its bars (per symbol, in log order) and news items.
    static func marketInputs(_ path: String) throws -> (inputs: MarketInputs, bars: Int, news: Int) {
        var bars: [String: [Bar]] = [:]
        var order: [String] = []
        var news: [NewsItem] = []
        try forEachLine(path) { e, line in
            // Replayed on topics named by their symbols: refused here, by line, not by the bus.
            func check(_ symbol: String) throws {
                if let p = SymbolCheck.problem(symbol) { throw Failure(description: "\(path):\(line): \(p)") }
            }
            switch e.payload {
            case .bar(let b):
                try check(b.symbol)
                if bars[b.symbol] == nil { order.append(b.symbol) }
                bars[b.symbol, default: []].append(b)
            case .news(let n):
                for s in n.symbols { try check(s) }
                news.append(n)
            default:
                break
            }
        }
        guard !order.isEmpty else { throw Failure(description: "\(path): no bar events to replay") }
        let count = bars.values.reduce(0) { $0 + $1.count }
        return (MarketInputs(bars: order.map { .bars(bars[$0]!, name: "\(path) (\($0))") },
                             news: news.isEmpty ? [] : [.items(news, name: path)]), count, news.count)
    }
}
