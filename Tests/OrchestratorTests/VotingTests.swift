import Testing
@testable import Agents
import Bus
@testable import Orchestrator

func vote(_ agent: String, _ score: Double, _ confidence: Double, veto: String? = nil, exit: String? = nil) -> Vote {
    Vote(agent: agent, symbol: "AAPL", time: .epoch, action: score > 0 ? .buy : score < 0 ? .sell : .hold,
         score: score, confidence: confidence, reason: "\(agent) says \(score)", veto: veto, exit: exit)
}

@Suite struct VotingTests {
    let weights = VotingConfig.defaultWeights

    @Test func allVotersActiveUseConfiguredWeights() {
        let (score, c) = Voting.combine([
            VoterInput(agent: "risk", vote: vote("risk", -0.5, 1)),
            VoterInput(agent: "sentiment", vote: vote("sentiment", 0.5, 0.5)),
            VoterInput(agent: "technical", vote: vote("technical", 1, 1)),
        ], weights: weights)
        // 0.3×1×(−0.5) + 0.3×0.5×0.5 + 0.4×1×1 = −0.15 + 0.075 + 0.4
        #expect(abs(score - 0.325) < 1e-12)
        #expect(c.map(\.effectiveWeight) == [0.3, 0.3, 0.4])
        #expect(abs(c[1].contribution - 0.075) < 1e-12)
    }

    @Test func abstainingVotersShareTheirWeightProportionally() {
        let (score, c) = Voting.combine([
            VoterInput(agent: "risk", vote: vote("risk", 0, 0)),
            VoterInput(agent: "sentiment", vote: vote("sentiment", -1, 1)),
            VoterInput(agent: "technical", vote: vote("technical", 1, 1)),
        ], weights: weights)
        // risk's 0.3 goes to the others in proportion 0.3 : 0.4 → 3/7 and 4/7.
        #expect(abs(c[1].effectiveWeight - 3.0 / 7.0) < 1e-12)
        #expect(abs(c[2].effectiveWeight - 4.0 / 7.0) < 1e-12)
        #expect(c[0].effectiveWeight == 0)
        #expect(abs(score - 1.0 / 7.0) < 1e-12)
        #expect(abs(c.map(\.effectiveWeight).reduce(0, +) - 1) < 1e-12)
    }

    @Test func missingVotesAreRecordedAndShareTheirWeight() {
        let out = Voting.decide([
            VoterInput(agent: "risk", vote: nil),
            VoterInput(agent: "sentiment", vote: nil),
            VoterInput(agent: "technical", vote: vote("technical", 0.8, 1)),
        ], config: VotingConfig(), position: 0)
        #expect(out.missing == ["risk", "sentiment"])
        #expect(abs(out.score - 0.8) < 1e-12)
        #expect(out.action == .buy)
        #expect(out.contributions[0].missing)
        #expect(out.reason.hasSuffix("missing votes: risk, sentiment"))
    }

    @Test func nobodyActiveMeansHold() {
        let out = Voting.decide([VoterInput(agent: "technical", vote: vote("technical", 1, 0))], config: VotingConfig(), position: 0)
        #expect(out.score == 0)
        #expect(out.action == .hold)
    }

    @Test(arguments: [
        // (score, position, allowShort, expected)
        (0.30, 0.0, false, Action.buy), (0.29, 0.0, false, .hold), (-0.5, 0.0, false, .hold), (-0.5, 0.0, true, .sell),
        (0.9, 10.0, false, .hold), (-0.29, 10.0, false, .hold), (-0.3, 10.0, false, .sell),
        (0.3, -10.0, true, .buy), (-0.9, -10.0, true, .hold),
    ])
    func thresholdsDependOnThePosition(_ score: Double, _ position: Double, _ allowShort: Bool, _ expected: Action) {
        let config = VotingConfig(weights: ["technical": 1], entryThreshold: 0.3, exitThreshold: 0.3, allowShort: allowShort)
        let out = Voting.decide([VoterInput(agent: "technical", vote: vote("technical", score, 1))], config: config, position: position)
        #expect(out.action == expected, "score \(score), position \(position): \(out.reason)")
    }

    @Test func vetoBlocksEntriesButNeverExits() {
        let config = VotingConfig(weights: ["risk": 0.5, "technical": 0.5])
        let halted = vote("risk", 0, 0, veto: "drawdown 21% ≥ 20%")
        let entry = Voting.decide([VoterInput(agent: "risk", vote: halted), VoterInput(agent: "technical", vote: vote("technical", 1, 1))], config: config, position: 0)
        #expect(entry.action == .hold)
        #expect(entry.veto == "drawdown 21% ≥ 20%")
        #expect(entry.reason.hasPrefix("vetoed by risk"))
        let exit = Voting.decide([VoterInput(agent: "risk", vote: halted), VoterInput(agent: "technical", vote: vote("technical", -1, 1))], config: config, position: 100)
        #expect(exit.action == .sell)
        #expect(exit.veto == nil)
    }

    @Test func forcedExitOverridesTheScore() {
        let config = VotingConfig(weights: ["risk": 0.3, "technical": 0.7])
        let out = Voting.decide([
            VoterInput(agent: "risk", vote: vote("risk", 0, 0, exit: "stop-loss")),
            VoterInput(agent: "technical", vote: vote("technical", 1, 1)),
        ], config: config, position: 50)
        #expect(out.action == .sell)
        #expect(out.exit == "stop-loss")
        let flat = Voting.decide([
            VoterInput(agent: "risk", vote: vote("risk", 0, 0, exit: "stop-loss")),
            VoterInput(agent: "technical", vote: vote("technical", 1, 1)),
        ], config: config, position: 0)
        #expect(flat.exit == nil)
        #expect(flat.action == .buy)
    }

    @Test func configProblemsAreNamed() {
        #expect(VotingConfig(weights: ["technical": -1, "risk": 0]).problems().contains(.init(field: "weights.technical", message: "weight of \"technical\" is -1.0: weights must be finite and ≥ 0")))
        #expect(VotingConfig(weights: ["technical": 0]).problems() == [.init(field: "weights", message: "weights must sum to a positive number")])
        #expect(VotingConfig().problems().isEmpty)
    }
}

@Suite struct VotingFormatTests {
    @Test(arguments: [
        (0.0, "0.00"), (-0.0, "-0.00"), (-0.001, "-0.00"), (0.004, "0.00"), (0.5, "0.50"), (1, "1.00"),
        (-0.256, "-0.26"), (0.125, "0.13"), (12345.678, "12345.68"), (1e20, "1e+20"),
    ])
    func goldens(_ x: Double, _ expected: String) {
        #expect(Voting.format(x) == expected)
        #expect(Voting.formatReference(x) == expected)
    }

    @Test func fastPathAgreesWithTheReference() {
        var rng = SplitMix64(seed: 11)
        for i in 0..<50_000 {
            let scale = [1e-3, 1, 100, 1e6, 1e12, 1e14][i % 6]
            var x = Double(rng.next() % 2_000_001) / 1_000_000 * scale
            if i % 5 == 0 { x = (x * 100).rounded() / 100 + 0.005 }
            if rng.next() % 2 == 0 { x = -x }
            #expect(Voting.format(x) == Voting.formatReference(x), "format(\(x))")
        }
    }
}

/// The orchestrator's memory of decided cycles answers exactly like a plain set of the
/// last `capacity` keys inserted, also when keys share a digest (here forced: a digest of
/// three values) and once it is full and evicting.
@Suite struct RecentKeysTests {
    struct Reference {
        var set: Set<String> = []
        var order: [String] = []
        let capacity: Int
        mutating func insert(_ k: String) {
            guard set.insert(k).inserted else { return }
            order.append(k)
            if order.count > capacity { set.remove(order.removeFirst()) }
        }
    }

    @Test(arguments: [1, 2, 7, 64])
    func answersLikeASetOfTheLastKeysInserted(capacity: Int) {
        let digests: [(String, @Sendable (String) -> UInt64)] = [
            ("fnv1a", RecentKeys.fnv1a),
            ("three values", { UInt64($0.utf8.count % 3) }),
        ]
        for (name, digest) in digests {
            var rng = SplitMix64(seed: UInt64(capacity))
            var keys = RecentKeys(capacity: capacity, digest: digest)
            var reference = Reference(capacity: capacity)
            for step in 0..<3_000 {
                let key = "S\(rng.next() % 5)@\(rng.next() % UInt64(2 * capacity + 3))"
                if rng.next() % 2 == 0 {
                    keys.insert(key)
                    reference.insert(key)
                } else {
                    #expect(keys.contains(key) == reference.set.contains(key), "\(name), step \(step): \(key)")
                }
                #expect(keys.count == reference.order.count, "\(name), step \(step)")
            }
            for k in reference.order { #expect(keys.contains(k), "\(name): \(k) remembered") }
        }
    }

    @Test func theDigestIsTheSameInEveryProcess() {
        #expect(RecentKeys.fnv1a("") == 0xcbf2_9ce4_8422_2325)
        #expect(RecentKeys.fnv1a("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(RecentKeys.fnv1a("AAPL@2024-01-02T00:00:00Z") != RecentKeys.fnv1a("AAPL@2024-01-03T00:00:00Z"))
    }
}
