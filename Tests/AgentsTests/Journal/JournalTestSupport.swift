import Foundation
@testable import Agents
import Bus

/// A trade from readable values: times as `2024-01-08T10:00` (UTC).
func journalTrade(_ id: String, _ symbol: String = "AAPL", _ side: PositionSide = .long, qty: Double = 100,
        _ entry: String, _ entryPrice: Double, _ exit: String, _ exitPrice: Double,
        fees: Double = 0, stop: Double? = nil, tags: [String] = []) -> JournalTrade {
    JournalTrade(id: id, symbol: symbol, side: side, quantity: qty,
                 entryTime: try! ISO8601.parse(entry), entryPrice: entryPrice,
                 exitTime: try! ISO8601.parse(exit), exitPrice: exitPrice,
                 fees: fees, stopPrice: stop, tags: tags)
}

/// A trade with a given net P&L, entered at `minute` minutes after 2024-01-08 00:00 UTC
/// (a Monday) and held `hold` minutes; size = quantity × 10.
func pnlTrade(_ id: Int, pnl: Double, minute: Int, hold: Int = 10, qty: Double = 100, stop: Bool = false, day: Int = 0) -> JournalTrade {
    let entry = Timestamp(seconds: 1_704_672_000 + Int64(day * 86_400 + minute * 60))
    let exitPrice = 10 + pnl / qty
    return JournalTrade(id: String(id), symbol: "AAPL", side: .long, quantity: qty,
                        entryTime: entry, entryPrice: 10, exitTime: entry + .seconds(hold * 60), exitPrice: exitPrice,
                        stopPrice: stop ? 9 : nil, pnl: pnl)
}

/// A fresh file path under the temporary directory.
func journalTempPath(_ name: String) -> String {
    let dir = NSTemporaryDirectory() + "agora-journal-tests-\(getpid())"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir + "/\(UUID().uuidString.prefix(8))-\(name)"
}

func journalWriteFile(_ name: String, _ text: String) -> String {
    let p = journalTempPath(name)
    try! text.write(toFile: p, atomically: true, encoding: .utf8)
    return p
}
