import Bus

/// Combines strategy components into one vote. The rule (docs/market-data.md):
///
/// - a component takes part when its confidence cᵢ > 0 and its weight wᵢ > 0; the others
///   (holds with confidence 0: no opinion, warming up) do not dilute anything;
/// - score = Σ wᵢcᵢsᵢ / Σ wᵢcᵢ — the weight- and confidence-weighted mean score;
/// - confidence = (Σ wᵢcᵢ·cᵢ / Σ wᵢcᵢ) × agreement, where agreement =
///   |Σ wᵢcᵢsᵢ| / Σ wᵢcᵢ|sᵢ| is 1 when all participants point the same way and falls
///   towards 0 as they cancel out;
/// - action = buy when score > `minScore`, sell when score < −`minScore`, else hold;
/// - reason = the participants' reasons, strongest contribution first, joined by "; ".
///
/// No participant at all: hold, score 0, confidence 0, with the components' reasons.
public struct VoteCombiner: Sendable, Equatable {
    public var minScore: Double

    public init(minScore: Double = 0) { self.minScore = minScore }

    public struct Result: Sendable, Equatable {
        public var action: Action
        public var score: Double
        public var confidence: Double
        public var reason: String
    }

    public func combine(_ parts: [(component: VoteComponent, weight: Double)]) -> Result {
        combine(parts.map(\.component), weights: parts.map(\.weight))
    }

    /// The same, with the components and their weights side by side (what the analyzer
    /// holds: no array of pairs built per bar).
    public func combine(_ components: [VoteComponent], weights: [Double]) -> Result {
        precondition(components.count == weights.count, "one weight per component")
        var sumW = 0.0, sumWS = 0.0, sumWC = 0.0, sumWAbsS = 0.0
        var active: [(Double, Int, String)] = []
        active.reserveCapacity(components.count)
        for i in components.indices {
            let c = clamp(components[i].confidence, 0, 1)
            let s = clamp(components[i].score, -1, 1)
            let weight = weights[i]
            guard c > 0, weight > 0 else { continue }
            let w = weight * c
            sumW += w
            sumWS += w * s
            sumWC += w * c
            sumWAbsS += w * Swift.abs(s)
            active.append((Swift.abs(w * s), i, components[i].reason))
        }
        guard sumW > 0 else {
            // The usual bar: no participant. The reasons joined in one string, no arrays.
            var reason = "no signal"
            var first = true
            for c in components where !c.reason.isEmpty {
                reason += first ? ": " : "; "
                reason += c.reason
                first = false
            }
            return Result(action: .hold, score: 0, confidence: 0, reason: reason)
        }
        let score = clamp(sumWS / sumW, -1, 1)
        let agreement = sumWAbsS > 0 ? Swift.abs(sumWS) / sumWAbsS : 1
        let confidence = clamp(sumWC / sumW * agreement, 0, 1)
        let action: Action = score > minScore ? .buy : score < -minScore ? .sell : .hold
        active.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
        return Result(action: action, score: score, confidence: confidence, reason: active.map(\.2).joined(separator: "; "))
    }
}
