import Foundation
import Testing
@testable import Agents
import Bus

/// The journal's rephraser over a real HTTP server of our own: what it sends, what it keeps,
/// and that every failure is an error (so the report keeps its template text).
@Suite struct LLMReportRephraserTests {
    static let items = [
        RephraseItem(id: "summary", text: "12 trades, win rate 58.3%.", facts: [("trades", "12"), ("win rate", "58.3%")]),
        RephraseItem(id: "behavioural_patterns.tilt", text: "After 3 losses in a row you doubled your size.", facts: [("losses", "3")]),
    ]

    static func rephraser(_ server: LoopbackHTTPServer) throws -> LLMReportRephraser {
        try LLMReportRephraser(config: LLMConfig(baseURL: server.baseURL, model: "m", timeoutSeconds: 30, maxRetries: 0, backoffSeconds: 0.01, maxBackoffSeconds: 0.05))
    }

    @Test func sendsEverySentenceWithItsFactsAndReturnsTheRewordings() async throws {
        let server = try LoopbackHTTPServer { _, _ in
            .http(status: 200, body: LoopbackHTTPServer.completion(#"{"sentences":["Twelve… no: 12 trades, 58.3% won.","3 straight losses, then double size."]}"#))
        }
        defer { server.stop() }
        let out = try await Self.rephraser(server).rephrase(Self.items)
        #expect(out == ["Twelve… no: 12 trades, 58.3% won.", "3 straight losses, then double size."])
        let sent = try #require(server.requests.first).body
        #expect(sent.contains("12 trades, win rate 58.3%.") && sent.contains("win rate = 58.3%"))
        #expect(sent.contains("After 3 losses in a row you doubled your size.") && sent.contains("losses = 3"))
        #expect(sent.contains("rephrased_report"))
    }

    @Test func aWrongNumberOfSentencesIsAnError() async throws {
        let server = try LoopbackHTTPServer { _, _ in
            .http(status: 200, body: LoopbackHTTPServer.completion(#"{"sentences":["only one"]}"#))
        }
        defer { server.stop() }
        await #expect(throws: LLMFailure.self) { try await Self.rephraser(server).rephrase(Self.items) }
    }

    @Test func aServerErrorIsAnError() async throws {
        let server = try LoopbackHTTPServer { _, _ in .http(status: 500, body: "boom") }
        defer { server.stop() }
        await #expect(throws: LLMFailure.self) { try await Self.rephraser(server).rephrase(Self.items) }
    }
}
