import Foundation
import Testing
@testable import Agents
import Bus

/// The free-text capture: a table of sentences and what they must mean, and a table of
/// sentences it must refuse with the exact message.
@Suite struct TradeCaptureTests {
    /// 2024-05-02 15:04:05 UTC, a Thursday.
    static let now = try! ISO8601.parse("2024-05-02T15:04:05Z")

    struct Expected: Sendable, CustomTestStringConvertible {
        var sentence: String
        var side: PositionSide
        var quantity: Double
        var symbol: String
        var entry: Double
        var exit: Double
        var stop: Double? = nil
        var fees: Double = 0
        var entryTime = "2024-05-02T15:04:05Z"
        var exitTime = "2024-05-02T15:04:05Z"
        var tags: [String] = []
        var note = ""
        var testDescription: String { sentence }
    }

    static let understood: [Expected] = [
        Expected(sentence: "Long 200 AAPL @ 187.20, out 190.55 stop 185, chased the open #fomo",
                 side: .long, quantity: 200, symbol: "AAPL", entry: 187.2, exit: 190.55, stop: 185, tags: ["fomo"], note: "chased the open"),
        Expected(sentence: "short 50 tsla at 250 09:45, covered at 245.5 10:30, sl 255, #plan #News news fade",
                 side: .short, quantity: 50, symbol: "TSLA", entry: 250, exit: 245.5, stop: 255,
                 entryTime: "2024-05-02T09:45:00Z", exitTime: "2024-05-02T10:30:00Z", tags: ["plan", "news"], note: "news fade"),
        Expected(sentence: "Bought 100 shares of NVDA @480.10 out @ 482 fees 1.2 on 2024-03-05",
                 side: .long, quantity: 100, symbol: "NVDA", entry: 480.1, exit: 482, fees: 1.2,
                 entryTime: "2024-03-05T00:00:00Z", exitTime: "2024-03-05T00:00:00Z"),
        Expected(sentence: "yesterday sold 1,000 sh $SPY at $500.25 at 14:00, exit 499 at 14:30:15 stop loss at 501",
                 side: .short, quantity: 1000, symbol: "SPY", entry: 500.25, exit: 499, stop: 501,
                 entryTime: "2024-05-01T14:00:00Z", exitTime: "2024-05-01T14:30:15Z"),
        Expected(sentence: "buy 10 BRK.B @ 400 10:00 closed 404, today was choppy",
                 side: .long, quantity: 10, symbol: "BRK.B", entry: 400, exit: 404,
                 entryTime: "2024-05-02T10:00:00Z", exitTime: "2024-05-02T15:04:05Z", note: "today was choppy"),
        Expected(sentence: "Long 3 MSFT @ 410 out 405 at 11:15",
                 side: .long, quantity: 3, symbol: "MSFT", entry: 410, exit: 405,
                 entryTime: "2024-05-02T11:15:00Z", exitTime: "2024-05-02T11:15:00Z"),
        Expected(sentence: "  LONG 0.5 BTC-USD @ 60000 exited 61000 fee 12, #crypto ",
                 side: .long, quantity: 0.5, symbol: "BTC-USD", entry: 60000, exit: 61000, fees: 12, tags: ["crypto"]),
        Expected(sentence: "shorted 20 AMD @ 150, out 148, 2024-04-30, fees 0.4",
                 side: .short, quantity: 20, symbol: "AMD", entry: 150, exit: 148, fees: 0.4,
                 entryTime: "2024-04-30T00:00:00Z", exitTime: "2024-04-30T00:00:00Z"),
        Expected(sentence: "Long 200 AAPL @ 187.2 16:00 out 190", // an entry time later than now: the exit takes it
                 side: .long, quantity: 200, symbol: "AAPL", entry: 187.2, exit: 190,
                 entryTime: "2024-05-02T16:00:00Z", exitTime: "2024-05-02T16:00:00Z"),
    ]

    @Test(arguments: understood)
    func understands(_ e: Expected) throws {
        let c = try TradeCapture.parse(e.sentence, now: Self.now)
        let t = c.trade
        #expect(t.side == e.side)
        #expect(t.quantity == e.quantity)
        #expect(t.symbol == e.symbol)
        #expect(t.entryPrice == e.entry)
        #expect(t.exitPrice == e.exit)
        #expect(t.stopPrice == e.stop)
        #expect(t.fees == e.fees)
        #expect(t.entryTime.iso8601 == e.entryTime)
        #expect(t.exitTime.iso8601 == e.exitTime)
        #expect(t.tags == e.tags)
        #expect(t.notes == e.note)
        #expect(t.id == "")
    }

    static let refused: [(String, String)] = [
        ("", "empty sentence: write for example \"Long 200 AAPL @ 187.20, out 190.55 stop 185\""),
        ("#fomo", "empty sentence: write for example \"Long 200 AAPL @ 187.20, out 190.55 stop 185\""),
        ("Hold 200 AAPL @ 187.20 out 190", "could not read \"Hold\": expected long, short, buy or sell"),
        ("Long two AAPL @ 187.20 out 190", "could not read \"two\": expected a quantity (a number)"),
        ("Long 0 AAPL @ 187.20 out 190", "could not read \"0\": the quantity must be greater than 0"),
        ("Long 200", "missing the symbol after the quantity"),
        ("Long 200 @ 187.20 out 190", "could not read \"@\": expected a symbol such as AAPL"),
        ("Long 200 AAPL 187.20 out 190", "could not read \"187.20\": expected \"@ PRICE\" or \"at PRICE\" after the symbol"),
        ("Long 200 AAPL", "missing the entry price: add \"@ PRICE\" after the symbol"),
        ("Long 200 AAPL @ abc out 190", "could not read \"abc\": expected the entry price"),
        ("Long 200 AAPL @ 187.20", "missing the exit: add \"out PRICE\""),
        ("Long 200 AAPL @ 187.20, stop 185", "missing the exit: add \"out PRICE\""),
        ("Long 200 AAPL @ 187.20 out", "missing the exit price after \"out\""),
        ("Long 200 AAPL @ 187.20 out x", "could not read \"x\": expected the exit price"),
        ("Long 200 AAPL @ 187.20 out 190 stop -1", "could not read \"-1\": expected the stop price"),
        ("Long 200 AAPL @ 187.20 out 190 chased the open", "could not read \"chased\": expected out PRICE, stop PRICE, fees AMOUNT, a date, or a comma before a note"),
        ("Long 200 AAPL @ 187.20 out 190 out 191", "could not read \"out\": the exit was already given"),
        ("Long 200 AAPL @ 187.20 25:00 out 190", "could not read \"25:00\": expected a time HH:MM (24-hour)"),
        ("Long 200 AAPL @ 187.20 out 190, 10:30", "could not read \"10:30\": a time must follow the entry or the exit price"),
        ("Long 200 AAPL @ 187.20 out 190 fees abc", "could not read \"abc\": expected the fees (a number)"),
        ("Long 200 AAPL @ 187.20 out 190 on 2024-02-30", "could not read \"2024-02-30\": expected a date YYYY-MM-DD"),
        ("today Long 200 AAPL @ 187.20 out 190 yesterday", "could not read \"yesterday\": the date was already given"),
        ("Long 200 AAPL @ 187.2 stop 188 out 190", "the stop 188 is not below the entry price 187.2 of a long trade"),
        ("Short 200 AAPL @ 187.2 out 180 sl 187", "the stop 187 is not above the entry price 187.2 of a short trade"),
        ("Sell 10 SPY @ 500 10:00 out 499 09:00", "the exit time 09:00 is before the entry time 10:00"),
    ]

    @Test(arguments: refused)
    func refuses(_ sentence: String, _ message: String) {
        #expect(throws: CaptureError(message)) { try TradeCapture.parse(sentence, now: Self.now) }
    }

    @Test func theTradersClockIsAppliedToDatesAndTimes() throws {
        // 15:04 UTC is 10:04 at UTC−5; "09:45" on that clock is 14:45 UTC.
        let c = try TradeCapture.parse("Long 1 X @ 10 09:45 out 11 10:00", now: Self.now, utcOffsetMinutes: -300)
        #expect(c.trade.entryTime.iso8601 == "2024-05-02T14:45:00Z")
        // At 01:00 UTC on 2024-05-03 it is still 2024-05-02 at UTC−5.
        let late = try TradeCapture.parse("Long 1 X @ 10 20:00 out 11 20:30", now: try ISO8601.parse("2024-05-03T01:00:00Z"), utcOffsetMinutes: -300)
        #expect(late.trade.entryTime.iso8601 == "2024-05-03T01:00:00Z")
    }

    @Test func describesWhatItUnderstood() throws {
        let c = try TradeCapture.parse("Long 200 AAPL @ 187.20, out 190.55 stop 185, chased the open #fomo", now: Self.now)
        #expect(TradeCapture.describe(c) == """
            long 200 AAPL @ 187.2, out 190.55, stop 185, fees 0
              entry 2024-05-02T15:04:05Z  exit 2024-05-02T15:04:05Z  (no time given: now)
              P&L +670.00 (1.52R)
              tags: #fomo
              note: chased the open
            """)
    }

    @Test func appendsToAJournalCreatingItWithAHeader() throws {
        let path = journalTempPath("capture.csv")
        let a = try TradeCapture.parse("Long 200 AAPL @ 187.20, out 190.55 stop 185, chased the open, then \"held\" #fomo", now: Self.now)
        let b = try TradeCapture.parse("Short 5 TSLA @ 250 out 251", now: Self.now)
        #expect(try JournalFile.append(a.trade, to: path) == "1")
        #expect(try JournalFile.append(b.trade, to: path) == "2")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == """
            id,symbol,side,quantity,entry_time,entry_price,exit_time,exit_price,fees,stop_price,tags,notes
            1,AAPL,long,200,2024-05-02T15:04:05Z,187.2,2024-05-02T15:04:05Z,190.55,0,185,fomo,"chased the open, then ""held\"\"\"
            2,TSLA,short,5,2024-05-02T15:04:05Z,250,2024-05-02T15:04:05Z,251,0,,,

            """)
        let loaded = try JournalFile.load(path: path)
        #expect(loaded.badRows.isEmpty)
        #expect(loaded.trades.map(\.notes) == ["chased the open, then \"held\"", ""])
    }

    @Test func appendFollowsTheFilesColumnsAndFindsAFreeID() throws {
        let path = journalWriteFile("existing.csv", """
            symbol,id,side,quantity,entry_time,entry_price,exit_time,exit_price,fees
            AAPL,2,long,1,2024-01-08T10:00:00Z,10,2024-01-08T11:00:00Z,11,0
            """) // no trailing newline
        let t = try TradeCapture.parse("Long 3 MSFT @ 410 out 405", now: Self.now).trade
        #expect(try JournalFile.append(t, to: path) == "3")
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasSuffix("11,0\nMSFT,3,long,3,2024-05-02T15:04:05Z,410,2024-05-02T15:04:05Z,405,0\n"))
        let tagged = try TradeCapture.parse("Long 3 MSFT @ 410 out 405 #late", now: Self.now).trade
        #expect(throws: InputError(file: path, line: 1, field: "header", "has no \"tags\" column for \"late\"")) {
            try JournalFile.append(tagged, to: path)
        }
    }
}
