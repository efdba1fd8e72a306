import Bus

/// The parameters of a synthetic bar series: geometric Brownian motion, seeded, so the
/// same parameters always give the same bars (on every platform with IEEE doubles and
/// the same libm).
public struct SyntheticSeries: Sendable, Equatable, Codable {
    public var symbol = "SYN"
    public var bars = 1000
    public var seed: UInt64 = 1
    /// Start of the first bar.
    public var start = Timestamp(seconds: 1_577_836_800) // 2020-01-01T00:00:00Z
    /// Bar length in seconds (86400 for daily bars).
    public var intervalSeconds: Int64 = 86_400
    /// The first open.
    public var price = 100.0
    /// Expected log-return per year, before the −σ²/2 correction (μ of the GBM).
    public var drift = 0.05
    /// Annualised volatility σ.
    public var volatility = 0.2
    /// The median volume of a bar.
    public var volume = 1_000_000.0
    /// Prices are rounded to this many decimals (nil: full precision).
    public var decimals: Int? = 2

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case symbol, bars, seed, start, intervalSeconds, price, drift, volatility, volume, decimals
    }

    /// Every key is optional (the defaults above); unknown keys and bad values are refused.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue), in: "synthetic series")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SyntheticSeries()
        symbol = try c.value(.symbol, or: d.symbol)
        bars = try c.value(.bars, or: d.bars)
        seed = try c.value(.seed, or: d.seed)
        start = try c.value(.start, or: d.start)
        intervalSeconds = try c.value(.intervalSeconds, or: d.intervalSeconds)
        price = try c.value(.price, or: d.price)
        drift = try c.value(.drift, or: d.drift)
        volatility = try c.value(.volatility, or: d.volatility)
        volume = try c.value(.volume, or: d.volume)
        decimals = c.contains(.decimals) ? try c.decodeIfPresent(Int.self, forKey: .decimals) : d.decimals
        if let p = problem() {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: p))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(symbol, forKey: .symbol)
        try c.encode(bars, forKey: .bars)
        try c.encode(seed, forKey: .seed)
        try c.encode(start, forKey: .start)
        try c.encode(intervalSeconds, forKey: .intervalSeconds)
        try c.encode(price, forKey: .price)
        try c.encode(drift, forKey: .drift)
        try c.encode(volatility, forKey: .volatility)
        try c.encode(volume, forKey: .volume)
        // null (full precision) is written out: absent would mean the default, 2.
        if let decimals { try c.encode(decimals, forKey: .decimals) } else { try c.encodeNil(forKey: .decimals) }
    }

    /// A year, for annualised drift and volatility: 365.25 days of calendar time.
    public static let secondsPerYear = 365.25 * 86_400
    /// Timestamps are Int64 nanoseconds (up to 2262); series end before 2250-01-01.
    static let lastSecond: Int64 = 8_835_955_200

    public func problem() -> String? {
        if bars < 0 { return "bars must not be negative, got \(bars)" }
        if intervalSeconds <= 0 { return "interval must be positive" }
        if !(price.isFinite && price > 0) { return "price must be a positive number, got \(price)" }
        if !drift.isFinite { return "drift must be a finite number" }
        if !(volatility.isFinite && volatility >= 0) { return "volatility must be a non-negative number, got \(volatility)" }
        if !(volume.isFinite && volume >= 0) { return "volume must be a non-negative number, got \(volume)" }
        if let d = decimals, !(0...8).contains(d) { return "decimals must be in 0…8, got \(d)" }
        if let p = SymbolCheck.problem(symbol) { return p }
        let (span, overflow) = intervalSeconds.multipliedReportingOverflow(by: Int64(Swift.max(bars, 1)))
        if overflow || start.wholeSeconds > SyntheticSeries.lastSecond - span {
            return "\(bars) bars of \(intervalSeconds) s from \(start) would end after the year 2250: use fewer bars or a shorter interval"
        }
        return nil
    }
}

/// Generates the bars of a ``SyntheticSeries``, one at a time.
///
/// Each bar opens at the previous close. The close follows GBM over one interval:
/// `ln C = ln O + (μ − σ²/2)·dt + σ·√dt·Z`. The high and the low are drawn from the exact
/// distributions of the maximum and minimum of the Brownian bridge between ln O and ln C,
/// so high ≥ max(open, close) ≥ min(open, close) ≥ low always holds (also after rounding,
/// which rounds the high up and the low down as needed). Volume is log-normal around the
/// median with σ = 0.4.
public struct SyntheticBarGenerator: Sendable {
    public let series: SyntheticSeries
    private var rng: SplitMix64
    private var index = 0
    private var lastClose: Double
    private let dt: Double
    private let scale: Double?
    private let tick: Double

    public init(_ series: SyntheticSeries) {
        self.series = series
        rng = SplitMix64(seed: series.seed)
        dt = Double(series.intervalSeconds) / SyntheticSeries.secondsPerYear
        if let d = series.decimals {
            var s = 1.0
            for _ in 0..<d { s *= 10 }
            scale = s
            tick = 1 / s
        } else {
            scale = nil
            tick = .leastNormalMagnitude
        }
        lastClose = series.price
        if let scale { lastClose = max((series.price * scale).rounded() / scale, tick) }
    }

    public mutating func next() -> Bar? {
        guard index < series.bars else { return nil }
        let time = series.start + .seconds(series.intervalSeconds * Int64(index))
        index += 1
        let sigma = series.volatility
        let s2 = sigma * sigma * dt
        let open = lastClose
        let a = log(open)
        let b = a + (series.drift - sigma * sigma / 2) * dt + s2.squareRoot() * rng.nextGaussian()
        let diff2 = (b - a) * (b - a)
        let hiLog = (a + b + (diff2 - 2 * s2 * log(1 - rng.nextUnit())).squareRoot()) / 2
        let loLog = (a + b - (diff2 - 2 * s2 * log(1 - rng.nextUnit())).squareRoot()) / 2
        var close = exp(b)
        var high = exp(hiLog)
        var low = exp(loLog)
        if let scale {
            close = max((close * scale).rounded() / scale, tick)
            high = (high * scale).rounded(.up) / scale
            low = max((low * scale).rounded(.down) / scale, tick)
        }
        high = max(high, open, close)
        low = min(low, open, close)
        let volume = (series.volume * exp(0.4 * rng.nextGaussian() - 0.08)).rounded()
        lastClose = close
        return Bar(symbol: series.symbol, time: time, open: open, high: high, low: low, close: close, volume: volume)
    }
}

/// A ``BarSource`` over a generated series.
public final class SyntheticBarSource: BarSource {
    private var generator: SyntheticBarGenerator
    public let name: String

    public init(_ series: SyntheticSeries) {
        generator = SyntheticBarGenerator(series)
        name = "synthetic \(series.symbol) (seed \(series.seed))"
    }

    public func next() throws(InputError) -> BarRecord? {
        generator.next().map { BarRecord(bar: $0, source: name) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
