import Foundation
import Testing
@testable import Agents
import Bus

/// docs/journal.md shows the configuration defaults and the capture's error messages;
/// these tests keep the page true.
@Suite struct JournalDocsTests {
    static func doc() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("docs/journal.md"), encoding: .utf8)
    }

    @Test func documentedDefaultsAreTheDefaults() throws {
        let doc = try Self.doc()
        let start = try #require(doc.range(of: "<!-- journal-config-defaults -->\n```json\n"))
        let end = try #require(doc.range(of: "```\n<!-- /journal-config-defaults -->"))
        let json = String(doc[start.upperBound..<end.lowerBound])
        let decoded = try JSONDecoder().decode(JournalConfig.self, from: Data(json.utf8))
        #expect(decoded == JournalConfig())
        // Every field is documented: the documented keys are exactly the encoded ones.
        func keys(_ v: JSONValue, _ prefix: String = "") -> Set<String> {
            guard let members = v.objectValue else { return [] }
            var out = Set<String>()
            for m in members {
                out.insert(prefix + m.key)
                out.formUnion(keys(m.value, prefix + m.key + "."))
            }
            return out
        }
        let encoded = try JSONValue(parsing: String(decoding: JSONEncoder().encode(JournalConfig()), as: UTF8.self))
        #expect(keys(try JSONValue(parsing: json)) == keys(encoded))
    }

    @Test func documentedCaptureErrorsAreTheParsersMessages() throws {
        let doc = try Self.doc()
        let section = try #require(doc.range(of: "A sentence it cannot read"))
        var checked = 0
        for line in doc[section.upperBound...].split(separator: "\n") {
            guard line.hasPrefix("| `") else {
                if checked > 0 { break }
                continue
            }
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 2 else { continue }
            let sentence = String(cells[0].dropFirst().dropLast())
            let message = String(cells[1].dropFirst().dropLast())
            #expect(throws: CaptureError(message)) { try TradeCapture.parse(sentence, now: TradeCaptureTests.now) }
            checked += 1
        }
        #expect(checked == 10)
    }
}
