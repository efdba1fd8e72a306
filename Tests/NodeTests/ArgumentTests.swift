import Foundation
import Testing
@testable import Node
import Bus

/// Flag values: numbers are decimal, and a run's tap types are this build's.
@Suite struct ArgumentTests {
    @Test(arguments: [("1", true), ("-2.5", true), ("+.5", true), ("1e-6", true), ("3.E+2", true), ("5.", true),
                      ("0x10", false), ("0x1p4", false), ("inf", false), ("nan", false), ("1e", true), ("e5", false),
                      ("--1", false), ("1-2", false), ("", false), ("1,5", false), (" 1", false), ("1.2.3", false)])
    func decimalNumbers(text: String, decimal: Bool) {
        #expect(Arguments.isDecimal(text) == decimal)
    }

    @Test(arguments: [
        (["run", "--speed", "0x10"], Int32(64)),
        (["data", "synth", "--price", "0x10", "--bars", "3"], Int32(64)),
        (["run", "--tap", "*", "--type", "bogus"], Int32(64)),
        (["run", "--tap", "*", "--type", "decison"], Int32(64)),
        (["journal", "generate", "/tmp/agora-never-written.csv", "--inject", "all,all"], Int32(64)),
        (["sentiment", "--llm-url", "ftp://x", "--llm-model", "m"], Int32(64)),
    ])
    func refusedFlagValues(argv: [String], code: Int32) async {
        #expect(await CommandRegistry.main(argv) == code)
    }

    @Test func anUnknownTapTypeIsNamedWithASuggestion() throws {
        do {
            try RunFlags.checkLocalTapTypes(TapFilter(types: ["decison"]), command: "run")
            Issue.record("accepted")
        } catch {
            #expect("\(error)" == "agora run: --type: \"decison\" is not an event type (did you mean \"decision\"?); types: "
                    + EventType.allCases.map(\.rawValue).joined(separator: ", "))
        }
        try RunFlags.checkLocalTapTypes(TapFilter(types: ["decision", "bar"]), command: "run")
    }

    /// A write that fails says why in words.
    @Test func aFailedWriteSaysWhy() throws {
        let dir = FileManager.default.temporaryDirectory.path
        #expect(RunReports.writeFailure(dir, CocoaError(.fileWriteUnknown)) == "it is a directory (give a file name)")
        #expect(RunReports.writeFailure("/nonexistent-agora/x/y.csv", CocoaError(.fileWriteUnknown))
                == "the folder /nonexistent-agora/x does not exist and could not be made")
    }
}
