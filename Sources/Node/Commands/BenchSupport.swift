import Agents
import Bus

/// Shared helpers for `agora bench …`: percentiles, figure formatting and the JSON form.
struct LatencySummary {
    var count: Int
    var p50: Double
    var p99: Double
    var max: Double

    init(_ samples: inout [UInt64]) {
        count = samples.count
        guard !samples.isEmpty else {
            p50 = 0; p99 = 0; max = 0
            return
        }
        samples.sort()
        func q(_ f: Double) -> Double { Double(samples[min(samples.count - 1, Int(Double(samples.count) * f))]) }
        p50 = q(0.5)
        p99 = q(0.99)
        max = Double(samples.last!)
    }
}

/// Builds the `--json` object of a benchmark: figures in plain units.
struct BenchJSON {
    var w = JSONWriter(capacity: 1024)
    init(bench: String) {
        w.beginObject()
        w.field("bench", bench)
        w.field("version", AgoraVersion.string)
    }
    mutating func finish() -> String {
        w.endObject()
        return w.string + "\n"
    }
}

func rateString(_ perSecond: Double) -> String {
    if perSecond >= 1e6 { return Fmt.fixed(perSecond / 1e6, 2) + "M" }
    if perSecond >= 1e3 { return Fmt.fixed(perSecond / 1e3, 1) + "k" }
    return Fmt.fixed(perSecond, 0)
}

func verdict(_ met: Bool) -> String { met ? "met" : "NOT met" }

/// Warns when a benchmark runs from a debug build, whose figures mean little.
func warnIfDebug() {
    #if DEBUG
    Console.err("note: this is a debug build; benchmark figures need `swift build -c release`\n")
    #endif
}
