import Agents
import Bus
import Foundation

/// The written outputs of a run: stats table and JSON, trades and equity CSVs. Every byte
/// depends only on the events of the run, so identical runs give identical files.
enum RunReports {
    // MARK: formatting

    static func number(_ x: Double) -> String {
        guard x.isFinite else { return x.isNaN ? "" : (x > 0 ? "inf" : "-inf") }
        var w = JSONWriter(capacity: 32)
        w.appendDouble(x)
        return w.string
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "" }
        let days = Int(seconds / 86_400)
        let rest = Int(seconds) - days * 86_400
        if rest == 0 { return "\(days) days" }
        let h = rest / 3600, m = (rest % 3600) / 60, s = rest % 60
        return "\(days) days \(pad2(h)):\(pad2(m)):\(pad2(s))"
    }

    static func pad2(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }

    /// The stats as a two-column table, like backtesting.py prints them.
    static func statsTable(_ stats: BacktestStats) -> String {
        var t = TextTable(["statistic", "value"])
        for row in stats.rows {
            let v: String
            switch row.value {
            case .number(let x): v = x.isNaN ? "n/a" : Fmt.fixed(x, x.magnitude >= 1000 ? 2 : 4)
            case .count(let n): v = String(n)
            case .time(let t): v = t.iso8601
            case .duration(let s): v = s.isNaN ? "n/a" : duration(s)
            }
            t.add([row.name, v])
        }
        return t.rendered
    }

    /// `Return (Ann.) [%]` → `return_ann_pct`; durations get `_seconds`.
    static func jsonKey(_ name: String, _ value: BacktestStats.Value) -> String {
        var s = name.replacingOccurrences(of: "[%]", with: "pct").replacingOccurrences(of: "[$]", with: "usd")
            .replacingOccurrences(of: "#", with: "num").replacingOccurrences(of: "&", with: "and").lowercased()
        s = String(s.map { $0.isLetter || $0.isNumber ? $0 : "_" })
        while s.contains("__") { s = s.replacingOccurrences(of: "__", with: "_") }
        s = s.trimmingCharacters(in: CharacterSet(charactersIn: "_"))
        if case .duration = value { s += "_seconds" }
        return s
    }

    static func statsJSON(_ stats: BacktestStats, extra: [(String, JSONValue)] = []) -> String {
        var w = JSONWriter(capacity: 4096)
        w.beginObject()
        for row in stats.rows {
            w.key(jsonKey(row.name, row.value))
            switch row.value {
            case .number(let x), .duration(let x): if x.isFinite { w.value(x == 0 ? 0 : x) } else { w.null() }  // no -0
            case .count(let n): w.value(n)
            case .time(let t): w.value(t)
            }
        }
        for (k, v) in extra {
            w.key(k)
            w.value(v)
        }
        w.endObject()
        return w.string + "\n"
    }

    /// A position still open: `902 GOOG long at an average cost 310.25, last 298.10, unrealised P&L -10959.30`.
    static func describe(_ p: PositionState) -> String {
        let side = p.quantity < 0 ? "short" : "long"
        let unrealised = p.quantity * (p.lastPrice - p.averageCost)
        return "\(Fmt.grouped(abs(p.quantity))) \(p.symbol) \(side) at an average cost \(Fmt.price(p.averageCost)), last \(Fmt.price(p.lastPrice)), unrealised P&L \(Fmt.fixed(unrealised, 2))"
    }

    static func tradesCSV(_ trades: [ClosedTrade]) -> String {
        var out = "trade_id,symbol,side,quantity,entry_time,entry_price,exit_time,exit_price,pnl,return_pct,fees,duration_seconds,exit_reason\n"
        for t in trades {
            let ret = BacktestStatistics.returnFraction(t) * 100
            out += [CSVField.quoted(t.tradeId), CSVField.quoted(t.symbol), t.side.rawValue, number(t.quantity), t.entryTime.iso8601, number(t.entryPrice),
                    t.exitTime.iso8601, number(t.exitPrice), number(t.pnl), number(ret), number(t.fees),
                    number(t.holdingSeconds), CSVField.quoted(t.exitReason)].joined(separator: ",") + "\n"
        }
        return out
    }

    static func equityCSV(_ recorder: RunRecorder) -> String {
        var out = "time,equity,drawdown_pct\n"
        var peak = -Double.infinity
        for (t, e) in zip(recorder.times, recorder.equity) {
            peak = max(peak, e)
            out += "\(t.iso8601),\(number(e)),\(number(peak > 0 ? (1 - e / peak) * 100 : 0))\n"
        }
        return out
    }

    /// Writes `text` to `path`, creating the folder; a failure names the path.
    static func write(_ text: String, to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw CommandError("cannot write \(path): \(writeFailure(path, error))")
        }
    }

    /// Why a file could not be written, in words (not `NSCocoaErrorDomain error 512`).
    static func writeFailure(_ path: String, _ error: any Error) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return "it is a directory (give a file name)"
        }
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty, !FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory) || !isDirectory.boolValue {
            return "the folder \(dir) does not exist and could not be made"
        }
        let ns = error as NSError
        if let posix = ns.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code)))
        }
        return ns.localizedDescription
    }
}
