import Bus

/// A rule strategy: turns one symbol's bars, one at a time, into a vote component
/// (action, score in [-1, 1], confidence in [0, 1], a short reason). Pure values: the
/// state is the indicators they hold.
///
/// A strategy with nothing to say (warming up, no signal) returns a hold with confidence
/// 0, which the combination ignores (``VoteCombiner``).
public protocol Strategy: Sendable {
    /// The component name in votes (`rsi`, `ma_cross`, `macd`, `bollinger`).
    var name: String { get }
    /// Bars needed before the strategy can have an opinion.
    var warmUpBars: Int { get }
    /// True once the strategy has seen `warmUpBars` bars.
    var isReady: Bool { get }
    mutating func update(_ bar: Bar) -> VoteComponent
}

extension VoteComponent {
    /// A hold with confidence 0: no opinion.
    public static func none(_ name: String, _ reason: String) -> VoteComponent {
        VoteComponent(name: name, action: .hold, score: 0, confidence: 0, reason: reason)
    }

    static func warmingUp(_ name: String, have: Int, need: Int) -> VoteComponent {
        .none(name, "warming up (\(have)/\(need) bars)")
    }
}

/// Numbers in reasons: at most 2 decimals, no trailing zeros (27.4, 0.42, 185).
enum ReasonFormat {
    static func number(_ v: Double, decimals: Int = 2) -> String {
        if v.isFinite && decimals >= 0 && decimals <= 4 {
            let k = (v * Fmt.pow10[decimals]).rounded()
            // Below 1e15 a decimal of at most 15 digits is exactly what `String(Double)`
            // prints for it (without an exponent up to 4 decimals): same text, no allocation.
            if k.magnitude < 1e15 { return Fmt.decimal(Int64(k), negative: k < 0, decimals: decimals, trimZeros: true) }
        }
        return numberReference(v, decimals: decimals)
    }

    /// The original `number`, for what the fast path does not cover (and as its test reference).
    static func numberReference(_ v: Double, decimals: Int = 2) -> String {
        guard v.isFinite else { return String(v) }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let r = (v * scale).rounded() / scale
        if r == r.rounded(), abs(r) < 1e15 { return String(Int64(r)) }
        var s = String(r)
        if s.utf8.contains(UInt8(ascii: "e")) { return s }
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }

    static func rsi(_ v: Double) -> String { number(v, decimals: 1) }

    /// A price in a reason: as `number` from 1 up; below, with the decimals of `Fmt.price`
    /// (0.0001234, not 0).
    static func price(_ v: Double) -> String {
        let d = Fmt.priceDecimals(v)
        if d == 2 { return number(v, decimals: 2) }
        let k = (v * Fmt.pow10[d]).rounded()
        return Fmt.decimal(Int64(k), negative: k < 0, decimals: d, trimZeros: true)
    }
}

func clamp(_ x: Double, _ lo: Double, _ hi: Double) -> Double { min(max(x, lo), hi) }
