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

/// What the HTML report and the run summary show for the data that broke them: sub-cent
/// prices, flat curves, intraday bars, many trades, a position left open.
struct ReportContentTests {
    @Test(arguments: [(0.0001234, "0.0001234"), (0.5, "0.5000"), (0.09999, "0.09999"), (1, "1.00"), (381.456, "381.46"), (0, "0.00"),
                      (-0.0042, "-0.004200"), (1e-12, "0.00000000")])
    func pricesKeepFourSignificantDigitsBelowOne(_ v: Double, _ text: String) {
        #expect(Fmt.price(v) == text)
    }

    @Test func labelStepsGetDecimalsEnoughToDiffer() {
        #expect(Fmt.stepDecimals(2500) == 0)
        #expect(Fmt.stepDecimals(5) == 1)
        #expect(Fmt.stepDecimals(0.5) == 2)
        #expect(Fmt.stepDecimals(0.00002) == 6)
        for step in [0.3, 0.5, 1.0, 7.0, 0.00002, 12.5] {
            let labels = (0...4).map { Fmt.fixed(99_999 + step * Double($0), Fmt.stepDecimals(step)) }
            #expect(Set(labels).count == 5, "\(labels)")
        }
    }

    @Test func intradayTimesShowTheTime() throws {
        #expect(Fmt.when(try ISO8601.parse("2024-01-02T00:00:00Z")) == "2024-01-02")
        #expect(Fmt.when(try ISO8601.parse("2024-01-02T14:31:00Z")) == "2024-01-02 14:31:00")
    }

    /// Feeds a recorder bars, snapshots and trades as a run would.
    static func recorder(closes: [Double], spacing: Int64 = 86_400, trades: [(entry: Int, exit: Int, pnl: Double)] = [],
                         open: PositionState? = nil) throws -> RunRecorder {
        var r = RunRecorder(initialCash: 100_000)
        let t0 = try ISO8601.parse("2024-01-01T00:00:00Z")
        func time(_ i: Int) -> Timestamp { t0 + .seconds(spacing * Int64(i)) }
        var seq: UInt64 = 0
        func record(_ p: Payload) {
            seq += 1
            r.record(Envelope(topic: "x", source: "test/x", seq: seq, time: t0, published: t0, payload: p))
        }
        for (i, c) in closes.enumerated() {
            record(.bar(Bar(symbol: "TINY", time: time(i), open: c, high: c, low: c, close: c, volume: 1)))
            record(.portfolioSnapshot(PortfolioSnapshot(
                time: time(i), cash: 100_000, equity: 100_000, peakEquity: 100_000, drawdown: 0, realizedPnL: 0, unrealizedPnL: 0,
                fees: 0, positions: i == closes.count - 1 ? open.map { [$0] } ?? [] : [], sectorExposure: [:])))
        }
        for (k, t) in trades.enumerated() {
            record(.tradeClosed(ClosedTrade(
                tradeId: "t-\(k + 1)", symbol: "TINY", side: .long, quantity: 1, entryTime: time(t.entry), entryPrice: closes[t.entry],
                exitTime: time(t.exit), exitPrice: closes[t.exit], pnl: t.pnl, fees: 0, exitReason: "signal")))
        }
        return r
    }

    static func render(_ r: RunRecorder) -> String {
        HTMLReport.render(title: "test", stats: BacktestStatistics.compute(r.inputs), recorder: r)
    }

    static func axisLabels(_ html: String) -> [[String]] {
        html.components(separatedBy: "<svg").dropFirst().map { svg in
            svg.components(separatedBy: "text-anchor=\"end\">").dropFirst().compactMap { $0.components(separatedBy: "<").first }
                .filter { !$0.hasPrefix("20") }  // the date at the right end
        }
    }

    @Test func subCentPricesAreNotShownAsZero() throws {
        let closes = (0..<50).map { 0.0001 + 0.000001 * Double($0 % 7) }
        let html = Self.render(try Self.recorder(closes: closes, trades: [(2, 9, 12.5)]))
        let price = try #require(Self.axisLabels(html).last)
        #expect(Set(price).count == 5 && !price.contains("0.00"), "\(price)")
        #expect(html.contains(">0.0001020<"), "the trade's entry price")
    }

    @Test func aFlatRunHasDistinctLabelsAndNoDrawdownAboveZero() throws {
        let html = Self.render(try Self.recorder(closes: Array(repeating: 50, count: 30)))
        let charts = Self.axisLabels(html)
        #expect(charts.count == 3)
        for labels in charts { #expect(Set(labels).count == labels.count, "\(labels)") }
        let drawdown = charts[1].compactMap(Double.init)
        #expect(drawdown.max() == 0 && drawdown.min()! < 0, "\(charts[1])")
    }

    @Test func aZeroProfitTradeIsNeitherWinNorLoss() throws {
        let html = Self.render(try Self.recorder(closes: Array(repeating: 50, count: 10), trades: [(1, 3, 0), (4, 6, 5), (6, 8, -5)]))
        #expect(html.contains("<tr><td>t-1</td>"))
        #expect(html.contains("<tr class=\"win\"><td>t-2</td>"))
        #expect(html.contains("<tr class=\"loss\"><td>t-3</td>"))
    }

    /// Past 4,000 entries and exits the markers are thinned over the whole run, not cut
    /// after the first ones, and the chart's title says so.
    @Test func manyTradesAreMarkedAcrossTheWholeChart() throws {
        let n = 6000
        let closes = (0..<(2 * n + 2)).map { 100 + Double($0 % 10) }
        let trades = (0..<n).map { (entry: 2 * $0, exit: 2 * $0 + 1, pnl: 1.0) }
        let html = Self.render(try Self.recorder(closes: closes, spacing: 60, trades: trades))
        let chart = try #require(html.components(separatedBy: "entries ▲ and exits ▼").last)
        #expect(chart.hasPrefix(" (every 3rd of 12,000)"), "\(chart.prefix(60))")
        let xs = chart.components(separatedBy: "<polygon points=\"").dropFirst().compactMap { Double($0.prefix { $0 != "," }) }
        #expect(xs.count == 4000)
        #expect((xs.max() ?? 0) > 850, "markers reach the right end")
    }

    @Test func aPositionOpenAtTheEndIsShown() throws {
        let open = PositionState(symbol: "TINY", quantity: 902, averageCost: 52, lastPrice: 50)
        let r = try Self.recorder(closes: Array(repeating: 50, count: 10), open: open)
        #expect(Self.render(r).contains("Open at the end (not in the trades; valued in the equity at the last price): 902 TINY long at an average cost 52.00, last 50.00, unrealised P&amp;L -1804.00."))
    }
}
