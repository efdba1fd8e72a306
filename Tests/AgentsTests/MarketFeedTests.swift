import Testing
@testable import Agents
import Bus

@Suite struct MarketFeedTests {
    typealias K = MarketTestKit

    func drain(_ feed: MarketFeed) throws -> [String] {
        var out: [String] = []
        while let item = try feed.next() {
            switch item {
            case .bar(let b): out.append("\(ISO8601.formatDate(b.time)) bar \(b.symbol)")
            case .news(let n): out.append("\(ISO8601.formatDate(n.time)) news \(n.id)")
            }
        }
        return out
    }

    func news(_ id: String, _ iso: String, _ symbols: [String]) -> NewsItem {
        NewsItem(id: id, time: K.day(iso), symbols: symbols, headline: id, source: "test")
    }

    /// News naming a symbol no bar has reaches no cycle: said (with the traded symbol it
    /// probably meant), not silently dropped.
    @Test func newsForUntradedSymbolsIsFound() throws {
        let goog = try K.file("GOOG.csv", "time,open,high,low,close,volume\n2024-01-02,1,1,1,1,1\n2024-01-03,1,1,1,1,1\n")
        let items = [news("a", "2024-01-02", ["goog"]), news("b", "2024-01-02", ["GOOG", "MSFT"]), news("c", "2024-01-03", ["goog"])]
        let (census, _) = try MarketInputs(bars: [.csv(path: goog, symbol: nil)], news: [.items(items, name: "wire.jsonl")]).check()
        #expect(census == MarketFeed.Census(bars: 2, news: 3, untradedNews: ["MSFT": 1, "goog": 2], traded: ["GOOG"]))
        #expect(MarketInputs.untradedNewsWarning(census) == "news for symbols with no bars, which no cycle will read: MSFT (1 item), goog (2 items, did you mean GOOG?)")
        let (clean, _) = try MarketInputs(bars: [.csv(path: goog, symbol: nil)], news: [.items([items[1]].map { var n = $0; n.symbols = ["GOOG"]; return n }, name: "w")]).check()
        #expect(MarketInputs.untradedNewsWarning(clean) == nil)
    }

    @Test func filesAreMergedByTimeThenSymbol() throws {
        // Given in the order MSFT, AAPL: ties still come out AAPL first.
        let msft = try K.file("MSFT.csv", "time,open,high,low,close,volume\n2024-01-02,1,1,1,1,1\n2024-01-04,1,1,1,1,1\n2024-01-05,1,1,1,1,1\n")
        let aapl = try K.file("AAPL.csv", "time,open,high,low,close,volume\n2024-01-02,1,1,1,1,1\n2024-01-03,1,1,1,1,1\n2024-01-05,1,1,1,1,1\n")
        let feed = try MarketInputs(bars: [.csv(path: msft, symbol: nil), .csv(path: aapl, symbol: nil)]).open()
        #expect(try drain(feed) == [
            "2024-01-02 bar AAPL", "2024-01-02 bar MSFT", "2024-01-03 bar AAPL",
            "2024-01-04 bar MSFT", "2024-01-05 bar AAPL", "2024-01-05 bar MSFT",
        ])
    }

    @Test func symbolColumnTiesAreSortedBySymbolToo() throws {
        let path = try K.file("m.csv", """
            time,symbol,open,high,low,close,volume
            2024-01-02,MSFT,1,1,1,1,1
            2024-01-02,AAPL,1,1,1,1,1
            2024-01-02,GOOG,1,1,1,1,1
            2024-01-03,MSFT,1,1,1,1,1
            """)
        let other = try K.file("IBM.csv", "time,open,high,low,close,volume\n2024-01-02,1,1,1,1,1\n2024-01-03,1,1,1,1,1\n")
        let feed = try MarketInputs(bars: [.csv(path: path, symbol: nil), .csv(path: other, symbol: nil)]).open()
        #expect(try drain(feed) == [
            "2024-01-02 bar AAPL", "2024-01-02 bar GOOG", "2024-01-02 bar IBM", "2024-01-02 bar MSFT",
            "2024-01-03 bar IBM", "2024-01-03 bar MSFT",
        ])
    }

    @Test func newsComesBeforeBarsAtTheSameTime() throws {
        let bars = [K.bar("AAPL", day: 1, close: 10), K.bar("AAPL", day: 2, close: 11), K.bar("AAPL", day: 3, close: 12)]
        let a = [news("n1", "2024-01-02", ["AAPL"]), news("n3", "2024-01-03T12:00:00Z", ["AAPL"])]
        let b = [news("n2", "2024-01-02", ["MSFT"]), news("n4", "2024-01-09", ["MSFT"])]
        let feed = try MarketInputs(bars: [.bars(bars, name: "mem")], news: [.items(a, name: "a"), .items(b, name: "b")]).open()
        #expect(try drain(feed) == [
            "2024-01-02 news n1", "2024-01-02 news n2", "2024-01-02 bar AAPL",
            "2024-01-03 bar AAPL", "2024-01-03 news n3", "2024-01-04 bar AAPL", "2024-01-09 news n4",
        ])
    }

    @Test func theSameSymbolAndTimeInTwoSourcesIsRefusedOrSkipped() throws {
        let one = try K.file("one.csv", "time,open,high,low,close,volume\n2024-01-02,1,1,1,1,1\n2024-01-03,1,1,1,1,1\n")
        let two = try K.file("two.csv", "time,open,high,low,close,volume\n2024-01-01,1,1,1,1,1\n2024-01-03,2,2,2,2,2\n2024-01-04,1,1,1,1,1\n")
        let strict = MarketInputs(bars: [.csv(path: one, symbol: "X"), .csv(path: two, symbol: "X")])
        #expect(throws: InputError(file: two, line: 3, field: "time", "X already has a bar at 2024-01-03T00:00:00Z (\(one):3)")) {
            try strict.validate()
        }
        var lenient = strict
        lenient.skipBadRows = true
        let (bars, newsCount, skipped) = try lenient.validate()
        #expect(bars == 4)
        #expect(newsCount == 0)
        #expect(skipped.map(\.count) == [1])
        #expect(skipped.first?.description == "skipped 1 bad row in merge (first: \(two):3: time: X already has a bar at 2024-01-03T00:00:00Z (\(one):3))")
    }

    @Test func newsGoingBackwardsIsRefused() throws {
        let feed = try MarketInputs(bars: [], news: [.items([news("a", "2024-01-03", ["X"]), news("b", "2024-01-02", ["X"])], name: "wire.jsonl")]).open()
        #expect(throws: InputError(file: "wire.jsonl", field: "time", "news item \"b\" at 2024-01-02T00:00:00Z goes backwards (previous item at 2024-01-03T00:00:00Z)")) {
            _ = try feed.census()
        }
    }

    @Test func skippedRowsOfEveryFileAreReported() throws {
        let a = try K.file("A.csv", "time,open,high,low,close,volume\n2024-01-02,1,1,1,1,-1\n2024-01-03,1,1,1,1,1\n")
        let b = try K.file("B.csv", "time,open,high,low,close,volume\n2024-01-02,1,1,1,1,1\n2024-01-03,x,1,1,1,1\n2024-01-04,x,1,1,1,1\n")
        let (bars, _, skipped) = try MarketInputs(bars: [.csv(path: a, symbol: nil), .csv(path: b, symbol: nil)], skipBadRows: true).validate()
        #expect(bars == 2)
        #expect(skipped.map(\.source) == [a, b])
        #expect(skipped.map(\.count) == [1, 2])
    }
}

@Suite struct SyntheticBarsTests {
    func generate(_ s: SyntheticSeries) -> [Bar] {
        var g = SyntheticBarGenerator(s)
        var out: [Bar] = []
        while let b = g.next() { out.append(b) }
        return out
    }

    @Test func sameSeedSameBarsOtherSeedOtherBars() {
        var s = SyntheticSeries()
        s.bars = 500
        s.seed = 7
        let a = generate(s), b = generate(s)
        #expect(a == b)
        s.seed = 8
        #expect(generate(s) != a)
    }

    @Test(arguments: [2, nil] as [Int?])
    func everyBarIsAValidOHLCVBar(decimals: Int?) {
        var s = SyntheticSeries()
        s.bars = 20_000
        s.volatility = 1.5
        s.intervalSeconds = 3600
        s.decimals = decimals
        let bars = generate(s)
        #expect(bars.count == 20_000)
        #expect(bars[0].open == 100)
        for (i, b) in bars.enumerated() {
            let ok = b.low > 0 && b.low <= min(b.open, b.close) && b.high >= max(b.open, b.close) && b.volume >= 0
                && b.time == s.start + .seconds(3600 * Int64(i)) && (i == 0 || b.open == bars[i - 1].close)
            if !ok {
                Issue.record("bar \(i) is not valid: \(b)")
                break
            }
        }
        if let d = decimals {
            var scale = 1.0
            for _ in 0..<d { scale *= 10 }
            #expect(bars.allSatisfy { ($0.close * scale).rounded() / scale == $0.close && ($0.high * scale).rounded() / scale == $0.high })
        }
    }

    @Test func realisedVolatilityAndDriftMatchTheParameters() {
        var s = SyntheticSeries()
        s.bars = 200_000
        s.decimals = nil
        s.volatility = 0.3
        s.drift = 0.1
        s.seed = 99
        s.intervalSeconds = 3600
        let bars = generate(s)
        let dt = 3600 / SyntheticSeries.secondsPerYear
        let r = bars.map { log($0.close / $0.open) }
        let mean = r.reduce(0, +) / Double(r.count)
        let variance = r.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(r.count - 1)
        let sigma = (variance / dt).squareRoot()
        // Standard error of σ̂ ≈ σ/√(2n) ≈ 0.0005; of the annual mean ≈ σ/√(n·dt) ≈ 0.013.
        #expect(Swift.abs(sigma - 0.3) < 0.003)
        #expect(Swift.abs(mean / dt - (0.1 - 0.3 * 0.3 / 2)) < 0.06)
        // The high and low come from the bridge between open and close.
        let avgRange = bars.map { log($0.high / $0.low) }.reduce(0, +) / Double(bars.count)
        // E[max − min] of Brownian motion over variance s² is √(8/π)·s ≈ 1.596·s (drawing the
        // maximum and the minimum apart keeps each one's law, hence the mean range).
        let expected = (8 / Double.pi).squareRoot() * 0.3 * dt.squareRoot()
        #expect(Swift.abs(avgRange / expected - 1) < 0.02)
    }

    @Test func csvTextReadsBackToTheSameBars() throws {
        var s = SyntheticSeries()
        s.bars = 300
        s.decimals = nil
        s.symbol = "SYN"
        let bars = generate(s)
        var text = CSVFormat.barHeader(symbolColumn: true) + "\n"
        for b in bars { text += CSVFormat.barLine(b, symbolColumn: true, dateOnly: true) }
        let path = try MarketTestKit.file("syn.csv", text)
        let r = try BarCSVReader(path: path)
        var back: [Bar] = []
        while let rec = try r.next() { back.append(rec.bar) }
        #expect(back == bars)
        #expect(text.split(separator: "\n")[1].hasPrefix("2020-01-01,SYN,100,"))
    }

    @Test func numbersAreWrittenInTheirShortestExactForm() {
        #expect(CSVFormat.number(22_351_900) == "22351900")
        #expect(CSVFormat.number(100.34) == "100.34")
        #expect(CSVFormat.number(-0.0) == "0")
        #expect(CSVFormat.number(0.1 + 0.2) == "0.30000000000000004")
        #expect(CSVFormat.number(1e-7) == "1e-07")
        #expect(Double(CSVFormat.number(1e300)) == 1e300)
    }

    @Test func problemsAreNamed() {
        var s = SyntheticSeries()
        s.volatility = -1
        #expect(s.problem() == "volatility must be a non-negative number, got -1.0")
        s = SyntheticSeries()
        s.symbol = "A B"
        #expect(s.problem() == "symbol \"A B\" contains a space or control character")
        s = SyntheticSeries()
        s.bars = 100_000
        #expect(s.problem() == "100000 bars of 86400 s from 2020-01-01T00:00:00Z would end after the year 2250: use fewer bars or a shorter interval")
    }
}

#if canImport(Glibc)
import Glibc
#endif
