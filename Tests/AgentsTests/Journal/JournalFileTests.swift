import Foundation
import Testing
@testable import Agents
import Bus

/// Reading CSV journals and execution exports: good rows, every bad row with its exact
/// message, headers, and first-in-first-out pairing of fills into round trips.
@Suite struct JournalFileTests {
    static let header = "id,symbol,side,quantity,entry_time,entry_price,exit_time,exit_price,fees,stop_price,tags,notes"

    @Test func readsAJournal() throws {
        let path = journalWriteFile("good.csv", """
            \(Self.header)
            1,AAPL,long,100,2024-01-08T10:00:00Z,10,2024-01-08T10:30:00Z,11,1,9.5,breakout; #FOMO,"chased, then held"
            2,MSFT,Sell,50,2024-01-08 11:00,20,2024-01-08T12:00:00+01:00,19.5,0,,,
            3, TSLA , buy ,10,2024-01-09,200,2024-01-10,210,0.5,,,

            """)
        let loaded = try JournalFile.load(path: path)
        #expect(loaded.format == .journal)
        #expect(loaded.badRows.isEmpty)
        #expect(loaded.rows == 3)
        let t = loaded.trades
        #expect(t.map(\.id) == ["1", "2", "3"])
        #expect(t[0].tags == ["breakout", "fomo"])
        #expect(t[0].notes == "chased, then held")
        #expect(t[0].stopPrice == 9.5)
        #expect(t[0].pnl == 99)
        #expect(t[1].side == .short)
        // No zone: UTC. "+01:00": an hour earlier in UTC.
        #expect(t[1].entryTime == (try ISO8601.parse("2024-01-08T11:00:00Z")))
        #expect(t[1].exitTime == (try ISO8601.parse("2024-01-08T11:00:00Z")))
        #expect(t[1].pnl == 25)
        #expect(t[2].symbol == "TSLA")
        #expect(t[2].side == .long)
        #expect(t[2].holdingSeconds == 86_400)
    }

    @Test func columnsInAnyOrderWithAliasesAndOptionalColumnsLeftOut() throws {
        let path = journalWriteFile("reordered.csv", """
            Symbol,ID,Qty,Side,Entry Time,Entry_Price,Exit_Time,Exit_Price,Fee
            AAPL,x1,5,short,2024-01-08T10:00:00Z,10,2024-01-08T11:00:00Z,9,0
            """)
        let t = try JournalFile.load(path: path).trades
        #expect(t.count == 1)
        #expect(t[0].id == "x1")
        #expect(t[0].pnl == 5)
        #expect(t[0].stopPrice == nil)
    }

    @Test func everyBadRowIsReportedWithFileLineAndField() throws {
        let path = journalWriteFile("bad.csv", """
            \(Self.header)
            1,AAPL,long,100,2024-01-08T10:00:00Z,10,2024-01-08T10:30:00Z,11,1,9.5,,
            2,AAPL,lng,100,2024-01-08T10:00:00Z,10,2024-01-08T10:30:00Z,11,1,,,
            3,AAPL,long,abc,2024-01-08T10:00:00Z,10,2024-01-08T10:30:00Z,11,1,,,
            4,AAPL,long,100,yesterday,10,2024-01-08T10:30:00Z,11,1,,,
            5,AAPL,long,100,2024-01-08T10:00:00Z,10,2024-01-08T09:00:00Z,11,0,,,
            1,MSFT,long,100,2024-01-08T10:00:00Z,10,2024-01-08T10:30:00Z,11,1,,,
            6,AAPL,long,100,2024-01-08T10:00:00Z,10,2024-01-08T10:30:00Z,11,,,,
            7,AAPL,long,100,2024-01-08T10:00:00Z,10,2024-01-08T10:30:00Z,11,0,10.5,,
            8,AAPL,long
            9,"AAPL,long,100,2024-01-08T10:00:00Z,10,2024-01-08T10:30:00Z,11,0,,,
            10,AAPL,short,100,2024-01-08T10:00:00Z,10,2024-01-08T10:30:00Z,-11,0,,,
            11,,long,100,2024-01-08T10:00:00Z,10,2024-01-08T10:30:00Z,11,0,,,
            12,AAPL,short,0,2024-01-08T10:00:00Z,10,2024-01-08T10:30:00Z,11,-1,,,
            13,AAPL,short,5,2024-01-08T10:00:00Z,10,2024-01-08T10:30:00Z,11,1,9,,
            15,AAPL,long,1e200,2024-01-08T10:00:00Z,1e200,2024-01-08T10:30:00Z,2e200,0,,,
            14,AAPL,long,100,2024-01-08T10:00:00Z,10,2024-01-08T10:30:00Z,11,1,,,
            """)
        let loaded = try JournalFile.load(path: path)
        #expect(loaded.badRows.map(\.description) == [
            "\(path):3: side: expected long, short, buy or sell, got \"lng\"",
            "\(path):4: quantity: not a number: \"abc\"",
            "\(path):5: entry_time: not an ISO 8601 date or date-time: \"yesterday\"",
            "\(path):6: exit_time: is before entry_time (2024-01-08T09:00:00Z < 2024-01-08T10:00:00Z)",
            "\(path):7: id: \"1\" was already used on line 2",
            "\(path):8: fees: is empty (write 0 for none)",
            "\(path):9: stop_price: 10.5 is not below the entry price 10 of a long trade",
            "\(path):10: expected 12 fields as in the header, got 3",
            "\(path):11: unterminated quoted field",
            "\(path):12: exit_price: must be greater than 0, got -11",
            "\(path):13: symbol: is empty",
            "\(path):14: quantity: must be greater than 0, got 0",
            "\(path):15: stop_price: 9 is not above the entry price 10 of a short trade",
            "\(path):16: quantity: 1e+200 at 2e+200 is too large to value",
        ])
        #expect(loaded.trades.map(\.id) == ["1", "14"])
        #expect(loaded.rows == 16)
    }

    @Test(arguments: [
        ("id,symbol,side,quantity,entry_time,entry_price,exit_time,exit_price", ":1: header: missing column \"fees\" (a journal needs id, symbol, side, quantity, entry_time, entry_price, exit_time, exit_price, fees)"),
        ("id,symbol,side,quantity,entry_time,entry_price,exit_time,exit_price,fees,stop_prise", ":1: header: unknown column \"stop_prise\" (did you mean \"stop_price\"?); journal columns are: id, symbol, side, quantity, entry_time, entry_price, exit_time, exit_price, fees, stop_price, tags, notes"),
        ("id,symbol,side,quantity,entry_time,entry_price,exit_time,exit_price,fees,id", ":1: header: column \"id\" appears twice"),
        ("a,b,c", ":1: header: neither a journal (id, symbol, side, quantity, entry_time, entry_price, exit_time, exit_price, fees, …) nor an execution export (time, symbol, side, quantity, price, fee)"),
        ("time,symbol,side,price", ":1: header: missing column \"quantity\" (an execution export needs time, symbol, side, quantity, price)"),
    ])
    func headerProblemsRefuseTheFile(header: String, message: String) {
        let path = journalWriteFile("header.csv", header + "\n")
        #expect(throws: InputError.self) { try JournalFile.load(path: path) }
        do {
            _ = try JournalFile.load(path: path)
        } catch {
            #expect(error.description == path + message)
        }
    }

    @Test func emptyAndMissingFiles() {
        let empty = journalWriteFile("empty.csv", "\n  \n")
        do { _ = try JournalFile.load(path: empty) } catch { #expect(error.description == "\(empty): empty file: expected a header line") }
        do { _ = try JournalFile.load(path: "/nonexistent/j.csv") } catch { #expect(error.description == "/nonexistent/j.csv: cannot open: No such file or directory") }
    }

    @Test func writtenJournalsReadBackExactly() throws {
        var trades = SyntheticJournal.generate(.init(trades: 300, seed: 5, inject: Set(PatternKind.allCases)))
        trades[0].notes = "said \"wait\", then, went in"
        trades[1].tags = ["a", "b-c"]
        let path = journalTempPath("roundtrip.csv")
        try JournalFile.write(trades, to: path)
        let back = try JournalFile.load(path: path)
        #expect(back.badRows.isEmpty)
        #expect(back.trades == trades)
    }

    @Test func parseDecimalIsExact() {
        func p(_ s: String) -> Double? { var s = s; return s.withUTF8 { journalParseDecimal($0) } }
        for s in ["0", "187.2", "-12.5", "+3", ".5", "5.", "1e-3", "2.5E2", "0.1", "123456789.123456789", "9007199254740993", "1.7976931348623157e308"] {
            #expect(p(s) == Double(s.hasSuffix(".") ? s + "0" : s), "\(s)")
        }
        for s in ["", "-", ".", "1,5", "$12", "1e", "12a", "nan", "inf", "1.2.3", "1e999"] { #expect(p(s) == nil, "\(s)") }
    }

    // MARK: execution exports

    static func fill(_ minute: Int, _ side: Side, _ qty: Double, _ price: Double, fee: Double = 0, symbol: String = "AAPL", line: Int) -> ExecutionPairing.Fill {
        .init(time: Timestamp(seconds: 1_704_708_000 + Int64(minute * 60)), symbol: symbol, side: side, quantity: qty, price: price, fee: fee, line: line)
    }

    @Test func partialFillsAndPartialExitsMakeOneRoundTrip() {
        let (trades, open) = ExecutionPairing.pair([
            Self.fill(0, .buy, 100, 10, fee: 1, line: 2),
            Self.fill(1, .buy, 50, 10.5, fee: 0.5, line: 3),   // a partial fill of the entry
            Self.fill(30, .sell, 80, 11, fee: 0.8, line: 4),   // partial exit: closes 80 of the first lot
            Self.fill(60, .sell, 70, 11.5, fee: 0.7, line: 5), // 20 of the first lot, then the 50 lot
        ])
        #expect(open.isEmpty)
        #expect(trades.count == 1)
        let t = trades[0]
        #expect(t.id == "L2")
        #expect(t.side == .long)
        #expect(t.quantity == 150)
        #expect(abs(t.entryPrice - 1525.0 / 150) < 1e-12)
        #expect(abs(t.exitPrice - 1685.0 / 150) < 1e-12)
        #expect(abs(t.fees - 3) < 1e-12)
        #expect(abs(t.pnl - 157) < 1e-9) // FIFO: 80 × 1 + 20 × 1.5 + 50 × 1 − 3 in fees
        #expect(t.entryTime == Self.fill(0, .buy, 1, 1, line: 0).time)
        #expect(t.exitTime == Self.fill(60, .buy, 1, 1, line: 0).time)
    }

    @Test func aReversingFillClosesAndOpensWithItsFeeSplit() {
        let (trades, open) = ExecutionPairing.pair([
            Self.fill(0, .buy, 100, 10, fee: 1, line: 2),
            Self.fill(10, .sell, 150, 12, fee: 1.5, line: 3), // closes 100, opens a 50 short
            Self.fill(20, .buy, 50, 11, fee: 0.5, line: 4),
        ])
        #expect(open.isEmpty)
        #expect(trades.map(\.id) == ["L2", "L3"])
        #expect(trades[0].side == .long)
        #expect(trades[0].quantity == 100)
        #expect(abs(trades[0].pnl - 198) < 1e-9) // 200 − 1 − 1.5 × 100/150
        #expect(trades[1].side == .short)
        #expect(trades[1].quantity == 50)
        #expect(trades[1].entryPrice == 12)
        #expect(abs(trades[1].pnl - 49) < 1e-9) // 50 − 0.5 − 0.5
    }

    @Test func fillsAreTakenInTimeOrderPerSymbolAndOpenPositionsAreReported() {
        let (trades, open) = ExecutionPairing.pair([
            Self.fill(5, .sell, 10, 21, symbol: "MSFT", line: 2),
            Self.fill(0, .buy, 10, 20, symbol: "MSFT", line: 3),  // earlier in time, later in the file
            Self.fill(1, .sell, 7, 30, symbol: "TSLA", line: 4),
            Self.fill(2, .buy, 3, 29, symbol: "TSLA", line: 5),
        ])
        #expect(trades.count == 1)
        #expect(trades[0].symbol == "MSFT")
        #expect(trades[0].id == "L3")
        #expect(trades[0].pnl == 10)
        #expect(open == [ExecutionPairing.OpenPosition(symbol: "TSLA", side: .short, quantity: 4, averagePrice: 30, since: Self.fill(1, .buy, 1, 1, line: 0).time, line: 4)])
    }

    @Test func exportsReadFromFilesWithBadRows() throws {
        let path = journalWriteFile("fills.csv", """
            time,symbol,side,quantity,price,fee
            2024-01-08T10:00:00Z,AAPL,BUY,100,10,1
            2024-01-08T10:05:00Z,AAPL,long,100,10,1
            2024-01-08T10:30:00Z,AAPL,sell,100,11,
            2024-01-08T10:40:00Z,AAPL,sell,x,11,0
            """)
        let loaded = try JournalFile.load(path: path)
        #expect(loaded.format == .executions)
        #expect(loaded.badRows.map(\.description) == [
            "\(path):3: side: expected buy or sell, got \"long\"",
            "\(path):5: quantity: not a number: \"x\"",
        ])
        #expect(loaded.trades.count == 1)
        #expect(loaded.trades[0].pnl == 99)
    }

    @Test func syntheticTradesSurviveTheExportAndPairingRoundTrip() throws {
        let trades = SyntheticJournal.generate(.init(trades: 500, seed: 8, inject: [.revengeTrading, .tilt, .stopDiscipline]))
        let path = journalTempPath("export.csv")
        try JournalFile.writeExecutions(trades, to: path, splitEntries: true)
        let loaded = try JournalFile.load(path: path)
        #expect(loaded.badRows.isEmpty)
        #expect(loaded.openPositions.isEmpty)
        #expect(loaded.rows > 1000) // entries split into partial fills
        #expect(loaded.trades.count == trades.count)
        let byEntry = trades.sorted { $0.entryTime != $1.entryTime ? $0.entryTime < $1.entryTime : Int($0.id)! < Int($1.id)! }
        for (a, b) in zip(byEntry, loaded.trades) {
            #expect(a.symbol == b.symbol && a.side == b.side && a.quantity == b.quantity)
            #expect(a.entryTime == b.entryTime && a.exitTime == b.exitTime)
            #expect(abs(a.entryPrice - b.entryPrice) < 1e-9 && abs(a.exitPrice - b.exitPrice) < 1e-9)
            #expect(abs(a.pnl - b.pnl) < 1e-6, "\(a.id): \(a.pnl) vs \(b.pnl)")
        }
    }
}

extension JournalFileTests {
    @Test func repeatedIDsAreFoundEvenWhenHashesCollide() {
        let trades = ["a", "b", "a", "c", "a"].enumerated().map { pnlTrade($0.offset, pnl: 1, minute: 600) }.enumerated().map { k, t in
            var t = t
            t.id = ["a", "b", "a", "c", "a"][k]
            return t
        }
        // Every key has the same hash: only the strings tell the ids apart.
        var keys = (0..<5).map { JournalDuplicateIDs.Key(hash: 42, line: Int32(10 + $0), trade: Int32($0)) }.reversed().map { $0 }
        let repeats = JournalDuplicateIDs.find(&keys, trades).sorted { $0.line < $1.line }
        #expect(repeats.map(\.line) == [12, 14])
        #expect(repeats.map(\.firstLine) == [10, 10])
        #expect(repeats.map(\.trade) == [2, 4])
    }

    @Test func aRepeatedIDKeepsTheFirstRowAndReportsTheOthersInLineOrder() throws {
        let path = journalWriteFile("dups.csv", """
            \(Self.header)
            x,AAPL,long,1,2024-01-08T10:00:00Z,10,2024-01-08T10:30:00Z,11,0,,,
            y,AAPL,long,1,2024-01-08T10:00:00Z,10,2024-01-08T10:30:00Z,11,0,,,
            x,AAPL,long,1,2024-01-08T10:00:00Z,10,2024-01-08T10:30:00Z,12,0,,,
            z,AAPL,lung,1,2024-01-08T10:00:00Z,10,2024-01-08T10:30:00Z,11,0,,,
            x,AAPL,long,1,2024-01-08T10:00:00Z,10,2024-01-08T10:30:00Z,13,0,,,
            """)
        let loaded = try JournalFile.load(path: path)
        #expect(loaded.badRows.map(\.description) == [
            "\(path):4: id: \"x\" was already used on line 2",
            "\(path):5: side: expected long, short, buy or sell, got \"lung\"",
            "\(path):6: id: \"x\" was already used on line 2",
        ])
        #expect(loaded.trades.map(\.id) == ["x", "y"])
        #expect(loaded.trades[0].exitPrice == 11)
    }
}
