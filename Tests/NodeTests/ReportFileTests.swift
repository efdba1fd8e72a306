import Agents
import Bus
import Foundation
import Testing
@testable import Node

/// The files a run writes read back as they were written, whatever the text in them.
struct ReportFileTests {
    static let awkward = ["A,B", "Q\"X", "plain", "new\nline", "semi;colon", "BRK.B"]

    @Test(arguments: awkward)
    func tradesCSVQuotesWhatNeedsQuoting(_ symbol: String) throws {
        let t0 = try ISO8601.parse("2024-01-02T00:00:00Z")
        let trade = ClosedTrade(
            tradeId: "t-\"1\"", symbol: symbol, side: .long, quantity: 10, entryTime: t0, entryPrice: 100,
            exitTime: t0 + .seconds(86_400), exitPrice: 105, pnl: 50, fees: 0, exitReason: "stop-loss: close 95, limit 5%")
        let text = RunReports.tradesCSV([trade])
        if symbol.contains("\n") {
            // A quoted line break is valid CSV but spans lines, which the line reader here
            // does not join: check the quoting itself.
            #expect(text.contains("\"new\nline\""))
            return
        }
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2)
        let header = try CSVReader.split(Array(lines[0].utf8)[...])
        let row = try CSVReader.split(Array(lines[1].utf8)[...])
        #expect(row.count == header.count, "\(text)")
        #expect(row[0] == "t-\"1\"")
        #expect(row[1] == symbol)
        #expect(row[2] == "long")
        #expect(row.last == "stop-loss: close 95, limit 5%")
    }

    @Test(arguments: awkward.filter { !$0.contains("\n") })
    func barLinesQuoteTheSymbol(_ symbol: String) throws {
        let t0 = try ISO8601.parse("2024-01-02T00:00:00Z")
        let bar = Bar(symbol: symbol, time: t0, open: 1, high: 2, low: 0.5, close: 1.5, volume: 100)
        let line = CSVFormat.barLine(bar, symbolColumn: true, dateOnly: true)
        let fields = try CSVReader.split(Array(line.dropLast().utf8)[...])
        #expect(fields == ["2024-01-02", symbol, "1", "2", "0.5", "1.5", "100"])
    }
}

extension ReportFileTests {
    /// A run without drawdown writes `0`, not `-0` (a negated zero of the formula).
    @Test func statsJSONWritesNoNegativeZero() throws {
        let t0 = try ISO8601.parse("2024-01-01T00:00:00Z")
        let times = (0..<10).map { t0 + .seconds(86_400 * $0) }
        let stats = BacktestStatistics.compute(BacktestInputs(times: times, equity: Array(repeating: 1000, count: 10), closes: [:], trades: []))
        let json = RunReports.statsJSON(stats)
        #expect(json.contains("\"max_drawdown_pct\":0"), "\(json)")
        #expect(!json.contains(":-0,") && !json.contains(":-0}"), "\(json)")
    }
}
