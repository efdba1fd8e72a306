import Foundation
import Testing
@testable import Node

/// docs/wire-format.md embeds `agora wire-examples`; this keeps the page true.
@Suite struct WireFormatDocTests {
    @Test func documentedExamplesMatchTheCodec() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/wire-format.md"), encoding: .utf8)
        let examples = WireExamplesCommand.markdown()
        #expect(doc.hasSuffix(examples), "docs/wire-format.md is out of date: regenerate its examples with `agora wire-examples`")
    }
}
