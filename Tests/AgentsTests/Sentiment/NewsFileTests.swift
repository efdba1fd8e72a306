import Foundation
import Testing
@testable import Agents
import Bus

@Suite struct NewsFileTests {
    @Test func readsItemsInTimeOrderWithDefaults() throws {
        let dir = TempDir()
        let path = dir.file("news.jsonl", """
            {"id":"n2","time":"2024-01-03T14:30:00Z","symbols":["AAPL","MSFT"],"headline":"Apple beats; Microsoft guidance cut","source":"wire","url":"https://example.com/2","body":"Text.","extra":{"x":1}}

            {"time":"2024-01-02T21:00:00Z","symbols":["AAPL"],"headline":"Apple recall widens","body":null,"url":null}
            {"id":"n3","time":1704205800,"symbols":[" TSLA "],"headline":"Tesla soars"}
            {"id":"n4","time":"2024-01-03T14:30:00Z","symbols":["AAPL","AAPL"],"headline":"Same time as n2, later in the file"}

            """)
        let items = try NewsFile.read(path: path)
        #expect(items.map(\.id) == ["n3", "news.jsonl:3", "n2", "n4"])
        #expect(items[1].source == "file" && items[1].body == nil && items[1].url == nil)
        #expect(items[1].time == (try ISO8601.parse("2024-01-02T21:00:00Z")))
        #expect(items[0].time == Timestamp(seconds: 1_704_205_800))
        #expect(items[0].symbols == ["TSLA"])
        #expect(items[2] == NewsItem(
            id: "n2", time: try ISO8601.parse("2024-01-03T14:30:00Z"), symbols: ["AAPL", "MSFT"],
            headline: "Apple beats; Microsoft guidance cut", body: "Text.", source: "wire", url: "https://example.com/2"))
        #expect(items[3].symbols == ["AAPL"])
    }

    @Test(arguments: [
        (#"{"time":"2024-01-02","symbols":["A"],"headline":"x""#, #"1: invalid JSON: unterminated object (at byte 51)"#),
        (#"not json"#, #"1: invalid JSON: invalid literal (at byte 0)"#),
        (#"["a"]"#, "1: expected a JSON object, found an array"),
        (#"{"time":"2024-01-02","symbols":["A"]}"#, "1: headline: missing"),
        (#"{"time":"2024-01-02","symbols":["A"],"headline":"  "}"#, "1: headline: empty"),
        (#"{"time":"2024-01-02","symbols":["A"],"headline":7}"#, "1: headline: expected a string, found a number"),
        (#"{"symbols":["A"],"headline":"x"}"#, "1: time: missing"),
        (#"{"time":"yesterday","symbols":["A"],"headline":"x"}"#, #"1: time: not an RFC 3339 time: "yesterday""#),
        (#"{"time":[2024],"symbols":["A"],"headline":"x"}"#, "1: time: expected an RFC 3339 string or seconds since the epoch, found an array"),
        (#"{"time":"2024-01-02","headline":"x"}"#, "1: symbols: missing (an array of at least one symbol)"),
        (#"{"time":"2024-01-02","symbols":"AAPL","headline":"x"}"#, "1: symbols: expected an array of strings, found a string"),
        (#"{"time":"2024-01-02","symbols":["A",3],"headline":"x"}"#, "1: symbols[1]: expected a string, found a number"),
        (#"{"time":"2024-01-02","symbols":[],"headline":"x"}"#, "1: symbols: empty (at least one symbol needed)"),
        (#"{"time":"2024-01-02","symbols":["A*"],"headline":"x"}"#, #"1: symbols[0]: symbol "A*" contains a glob character (* ? [ ] \)"#),
        (#"{"time":"2024-01-02","symbols":["S]"],"headline":"x"}"#, #"1: symbols[0]: symbol "S]" contains a glob character (* ? [ ] \)"#),
        (#"{"time":"2024-01-02","symbols":["A\\B"],"headline":"x"}"#, #"1: symbols[0]: symbol "A\B" contains a glob character (* ? [ ] \)"#),
        (#"{"time":"2024-01-02","symbols":["A"],"headline":"x","body":false}"#, "1: body: expected a string, found a boolean"),
        (#"{"time":"2024-01-02","symbols":["A"],"headline":"x","url":{}}"#, "1: url: expected a string, found an object"),
        (#"{"time":"2024-01-02","symbols":["A"],"headline":"x","id":1}"#, "1: id: expected a string, found a number"),
        (#"{"time":"2024-01-02","symbols":["A"],"headline":"GOOG soars","headline":"GOOG crashes"}"#, "1: headline: given twice"),
        (#"{"time":"2024-01-02","symbols":["A"],"headline":"x","extra":null,"extra":1}"#, "1: extra: given twice"),
    ])
    func badLinesNameFileLineAndField(line: String, expected: String) throws {
        let dir = TempDir()
        let path = dir.file("news.jsonl", line + "\n")
        let error = #expect(throws: InputError.self) { try NewsFile.read(path: path) }
        #expect(error?.description == "\(path):\(expected)")
    }

    @Test func errorsReportTheRightLineAndDuplicateIDs() throws {
        let dir = TempDir()
        let good = #"{"id":"a","time":"2024-01-02","symbols":["A"],"headline":"x"}"#
        let path = dir.file("news.jsonl", good + "\n\n" + good.replacingOccurrences(of: "\"a\"", with: "\"b\"") + "\n" + good + "\n")
        #expect(throws: InputError(file: path, line: 4, field: "id", "\"a\" already used on line 1")) {
            try NewsFile.read(path: path)
        }
        let path2 = dir.file("news2.jsonl", good + "\n" + #"{"id":"z","time":"2024-01-02","symbols":["A"]}"# + "\n")
        #expect(throws: InputError(file: path2, line: 2, field: "headline", "missing")) { try NewsFile.read(path: path2) }
        // A default id (file name:line) meeting a given one: the message says which is which.
        let bare = #"{"time":"2024-01-02","symbols":["A"],"headline":"x"}"#
        let path4 = dir.file("n4.jsonl", bare + "\n" + good.replacingOccurrences(of: "\"a\"", with: "\"n4.jsonl:1\"") + "\n")
        #expect(throws: InputError(file: path4, line: 2, field: "id", "\"n4.jsonl:1\" already used on line 1 (the default id of that line, which gives none)")) {
            try NewsFile.read(path: path4)
        }
        let path5 = dir.file("n5.jsonl", good.replacingOccurrences(of: "\"a\"", with: "\"n5.jsonl:2\"") + "\n" + bare + "\n")
        #expect(throws: InputError(file: path5, line: 2, field: "id", "none given, and the default \"n5.jsonl:2\" (file name:line) is already used on line 1: give this item an id")) {
            try NewsFile.read(path: path5)
        }
        // Blank in another script is blank too.
        let path3 = dir.file("news3.jsonl", #"{"id":"z","time":"2024-01-02","symbols":["A"],"headline":"\u00a0\u3000 "}"# + "\n")
        #expect(throws: InputError.self) { try NewsFile.read(path: path3) }
    }
}
