import Testing
@testable import Agents

/// The shared streaming readers under the bar reader: line endings, BOM, quoting, chunking.
@Suite struct CSVReaderTests {
    func records(_ text: String) throws -> [(Int, [String])] {
        let r = try CSVReader(path: try MarketTestKit.file("t.csv", text))
        var out: [(Int, [String])] = []
        while let rec = try r.next() { out.append((rec.line, rec.fields)) }
        return out
    }

    @Test func quotedFieldsWithCommasAndDoubledQuotes() throws {
        let got = try records("a,\"b,c\",\"say \"\"hi\"\"\",\"\"\n")
        #expect(got.count == 1)
        #expect(got[0].1 == ["a", "b,c", "say \"hi\"", ""])
    }

    @Test func crlfEndingsAreRemoved() throws {
        let got = try records("h1,h2\r\n1,2\r\n3,4\r\n")
        #expect(got.map(\.1) == [["h1", "h2"], ["1", "2"], ["3", "4"]])
        #expect(got.map(\.0) == [1, 2, 3])
    }

    @Test func byteOrderMarkIsSkippedOnTheFirstLineOnly() throws {
        let path = try MarketTestKit.file("bom.csv", bytes: [0xEF, 0xBB, 0xBF] + Array("time,x\n\u{FEFF}1,2\n".utf8))
        let r = try CSVReader(path: path)
        #expect(try r.next()?.fields == ["time", "x"])
        #expect(try r.next()?.fields == ["\u{FEFF}1", "2"])
    }

    @Test func blankLinesAreSkippedButCounted() throws {
        let got = try records("a\n\n   \n\t\nb\n\n")
        #expect(got.map(\.1) == [["a"], ["b"]])
        #expect(got.map(\.0) == [1, 5])
    }

    @Test func lastLineWithoutNewline() throws {
        #expect(try records("a,b\nc,d").map(\.1) == [["a", "b"], ["c", "d"]])
        #expect(try records("a,b\r\nc,d\r").map(\.1) == [["a", "b"], ["c", "d"]])
    }

    @Test func trailingSeparatorMeansAnEmptyLastField() throws {
        #expect(try records("a,b,\n,\n").map(\.1) == [["a", "b", ""], ["", ""]])
    }

    @Test func unterminatedQuoteNamesTheLine() throws {
        let r = try CSVReader(path: try MarketTestKit.file("q.csv", "ok\n\"open,x\nnext\n"))
        _ = try r.next()
        #expect(throws: InputError(file: r.path, line: 2, "unterminated quoted field")) { try r.next() }
        // The reader carries on with the next line.
        #expect(try r.next()?.fields == ["next"])
    }

    @Test func textAfterAClosingQuoteIsAnError() throws {
        let r = try CSVReader(path: try MarketTestKit.file("q.csv", "\"a\"b,c\n"))
        #expect(throws: InputError(file: r.path, line: 1, "unexpected character after a quoted field")) { try r.next() }
    }

    @Test func missingFileNamesTheReason() throws {
        #expect(throws: InputError(file: "/nonexistent/x.csv", "cannot open: No such file or directory")) {
            try CSVReader(path: "/nonexistent/x.csv")
        }
    }

    @Test func linesAcrossChunkBoundariesAndLongerThanAChunk() throws {
        // 70,000 numbered lines (several 64 KiB chunks) and one line of 200 KiB.
        var text = ""
        for i in 1...70_000 { text += "\(i),\(i * 7)\n" }
        let long = String(repeating: "x", count: 200_000)
        text += long + ",end\n"
        let lines = try LineReader(path: try MarketTestKit.file("big.csv", text))
        var n = 0
        while let line = try lines.nextLine() {
            n += 1
            #expect(lines.lineNumber == n)
            if n <= 70_000 {
                if line != "\(n),\(n * 7)" {
                    Issue.record("line \(n) read as \(line)")
                    break
                }
            } else {
                #expect(line == long + ",end")
            }
        }
        #expect(n == 70_001)
    }

    @Test func emptyFileHasNoLines() throws {
        let lines = try LineReader(path: try MarketTestKit.file("e.csv", ""))
        #expect(try lines.nextLine() == nil)
        #expect(lines.lineNumber == 0)
    }
}
