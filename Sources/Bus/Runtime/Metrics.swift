import Foundation
import Synchronization

/// Counters, gauges and histograms, rendered in the Prometheus text format (0.0.4).
/// Optional everywhere: code that has no `Metrics` pays nothing.
public final class Metrics: Sendable {
    public enum Kind: String, Sendable { case counter, gauge, histogram }

    struct Key: Hashable {
        let name: String
        let labels: String
    }

    struct Histogram {
        var buckets: [UInt64]
        var count: UInt64 = 0
        var sum: Double = 0
    }

    struct State {
        var values: [Key: Double] = [:]
        var histograms: [Key: Histogram] = [:]
        var kinds: [String: Kind] = [:]
        var help: [String: String] = [:]
    }

    /// Histogram bucket upper bounds, in seconds (handler latencies: 1 µs … 1 s).
    public static let latencyBuckets: [Double] = [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 1e-2, 0.1, 1]

    private let state = Mutex(State())

    public init() {}

    public func describe(_ name: String, _ kind: Kind, _ help: String) {
        state.withLock {
            $0.kinds[name] = kind
            $0.help[name] = help
        }
    }

    public func increment(_ name: String, _ labels: KeyValuePairs<String, String> = [:], by v: Double = 1) {
        let k = Key(name: name, labels: Metrics.render(labels))
        state.withLock { $0.values[k, default: 0] += v }
    }

    public func set(_ name: String, _ labels: KeyValuePairs<String, String> = [:], _ v: Double) {
        let k = Key(name: name, labels: Metrics.render(labels))
        state.withLock { $0.values[k] = v }
    }

    public func observe(_ name: String, _ labels: KeyValuePairs<String, String> = [:], seconds: Double) {
        let k = Key(name: name, labels: Metrics.render(labels))
        state.withLock { s in
            var h = s.histograms[k] ?? Histogram(buckets: Array(repeating: 0, count: Metrics.latencyBuckets.count))
            for (i, b) in Metrics.latencyBuckets.enumerated() where seconds <= b { h.buckets[i] += 1 }
            h.count += 1
            h.sum += seconds
            s.histograms[k] = h
        }
    }

    /// The value of a counter or gauge (for tests and heartbeats).
    public func value(_ name: String, _ labels: KeyValuePairs<String, String> = [:]) -> Double? {
        let k = Key(name: name, labels: Metrics.render(labels))
        return state.withLock { $0.values[k] }
    }

    /// The Prometheus text exposition of every metric, sorted by name and labels.
    public func render() -> String {
        let s = state.withLock { $0 }
        var names = Set(s.values.keys.map(\.name))
        names.formUnion(s.histograms.keys.map(\.name))
        var out = ""
        for name in names.sorted() {
            // Undescribed: a histogram if observed, a counter if named `…_total` (the
            // Prometheus convention, also for counts copied from elsewhere), else a gauge.
            let kind = s.kinds[name] ?? (s.histograms.keys.contains { $0.name == name } ? .histogram : name.hasSuffix("_total") ? .counter : .gauge)
            if let help = s.help[name] { out += "# HELP \(name) \(help.replacingOccurrences(of: "\n", with: " "))\n" }
            out += "# TYPE \(name) \(kind.rawValue)\n"
            if kind == .histogram {
                for (k, h) in s.histograms.filter({ $0.key.name == name }).sorted(by: { $0.key.labels < $1.key.labels }) {
                    let base = k.labels.isEmpty ? "" : k.labels + ","
                    for (i, b) in Metrics.latencyBuckets.enumerated() {
                        out += "\(name)_bucket{\(base)le=\"\(number(b))\"} \(h.buckets[i])\n"
                    }
                    out += "\(name)_bucket{\(base)le=\"+Inf\"} \(h.count)\n"
                    out += "\(name)_sum\(k.labels.isEmpty ? "" : "{\(k.labels)}") \(number(h.sum))\n"
                    out += "\(name)_count\(k.labels.isEmpty ? "" : "{\(k.labels)}") \(h.count)\n"
                }
            } else {
                for (k, v) in s.values.filter({ $0.key.name == name }).sorted(by: { $0.key.labels < $1.key.labels }) {
                    out += "\(name)\(k.labels.isEmpty ? "" : "{\(k.labels)}") \(number(v))\n"
                }
            }
        }
        return out
    }

    static func render(_ labels: KeyValuePairs<String, String>) -> String {
        guard labels.count > 0 else { return "" }
        return labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(escape($0.value))\"" }.joined(separator: ",")
    }

    static func escape(_ v: String) -> String {
        v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        var w = JSONWriter(capacity: 32)
        w.appendDouble(v)
        return w.string
    }
}

