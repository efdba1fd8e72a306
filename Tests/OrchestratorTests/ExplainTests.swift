import Testing
import Bus
@testable import Orchestrator

/// The decision block of `agora explain`: each voter's note says why its effective weight
/// is what it is, and a forced exit's reason is printed once.
@Suite struct ExplainTests {
    static func contribution(_ agent: String, weight: Double, effective: Double, confidence: Double, missing: Bool = false) -> VoterContribution {
        VoterContribution(agent: agent, action: .hold, score: 0.2, confidence: confidence, weight: weight, effectiveWeight: effective,
                          contribution: effective * confidence * 0.2, reason: "r", missing: missing)
    }

    static func render(_ d: Decision) -> String {
        let e = Envelope(d, source: "n/orchestrator", seq: 1, published: .epoch, correlation: "AAPL@x")
        return Explain.render(cycle: "AAPL@x", events: [e])
    }

    @Test func eachVoterNoteSaysWhyItsWeightIsWhatItIs() {
        let d = Decision(symbol: "AAPL", time: .epoch, action: .hold, score: 0.1, reason: "flat; hold", votes: [
            Self.contribution("risk", weight: 0, effective: 0, confidence: 0.17),
            Self.contribution("sentiment", weight: 0.3, effective: 0, confidence: 0),
            Self.contribution("technical", weight: 0.4, effective: 1, confidence: 1),
            Self.contribution("x", weight: 0.3, effective: 0, confidence: 0, missing: true),
        ])
        let lines = Self.render(d).split(separator: "\n").map(String.init)
        func line(_ agent: String) -> String { lines.first { $0.trimmingPrefixSpaces.hasPrefix(agent + " ") } ?? "" }
        #expect(line("risk").hasSuffix("(weight 0: no say)"), "\(line("risk"))")
        #expect(line("sentiment").hasSuffix("(no opinion: weight shared out)"))
        #expect(!line("technical").contains("("))
        #expect(line("x").hasSuffix("(missing)"))
    }

    @Test func aForcedExitIsExplainedOnce() {
        let exit = "stop-loss: close 95 is 5.2% against the average cost 100.2 (limit 5%)"
        let d = Decision(symbol: "AAPL", time: .epoch, action: .sell, score: 0, reason: "forced exit: \(exit)", exit: exit)
        let text = Self.render(d)
        #expect(text.components(separatedBy: exit).count == 2, "\(text)")
    }
}

extension String {
    var trimmingPrefixSpaces: Substring { drop { $0 == " " } }
}
