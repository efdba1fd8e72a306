import Agents
import Bus
import Foundation

/// `agora bench codec`: Agora's JSON codec against Foundation's coders, same events, same run.
enum BenchCodecCommand: AgoraCommand {
    static let spec = CommandSpec("bench codec", summary: "Measure the wire codec against Foundation's JSON coders.")
        .option("iterations", "N", "Round trips for Agora's codec (default 2M; Foundation runs a 20th).")
        .option("repeat", "N", "Time Agora's codec N times and report the best run, all runs listed (default 1; for noisy machines).")
        .option("events", "FILE", "Round-trip the events of a recorded run (JSON Lines from --record) instead of the catalogue's samples.")
        .flag("per-type", "Also time each event type on its own.")
        .flag("json", "Print one JSON object instead of a table.")
        .detail("""
            One round trip = encode an envelope to JSON bytes, then decode it back. The events
            cycle through every type of the catalogue (bars and votes weighted up, as in a
            backtest), or through a recorded run's events with --events: those carry computed
            numbers of up to 17 digits where the samples have short ones. Goal: ≥1M round
            trips/s on one core, and ≥15× Foundation's JSONEncoder/JSONDecoder.
            """)

    /// One round trip of an envelope the caller lends (as a publisher lends its own to the
    /// encoder), decoded as the Redis reader decodes. Returns the decoded sequence number.
    @inline(never)
    static func roundTrip(_ e: borrowing Envelope, _ w: inout JSONWriter, _ cache: DecodeCache) throws -> UInt64 {
        w.reset()
        EventCodec.encode(e, into: &w)
        return try w.withBytes { try EventCodec.decode($0, cache: cache) }.seq
    }

    static func run(_ args: Arguments) async throws -> Int32 {
        warnIfDebug()
        let iterations = try args.int("iterations", default: 2_000_000, range: 1...1_000_000_000)
        let repeats = try args.int("repeat", default: 1, range: 1...100)
        let eventsFile = args.string("events")
        let samples = EventType.allCases.map { EventSamples.envelope($0) }
        var mix: [Envelope] = []
        if let eventsFile {
            do { mix = try EventLog.read(eventsFile) } catch { throw CommandError("\(error)") }
            guard !mix.isEmpty else { throw CommandError("\(eventsFile): no events") }
        } else {
            // The mix a backtest produces is bar- and vote-heavy; weight the sample so.
            for e in samples {
                let weight = switch e.payload.eventType! {
                case .bar: 4
                case .vote: 3
                default: 1
                }
                for _ in 0..<weight { mix.append(e) }
            }
        }
        // --per-type: each type's sample, or the first event of each type in the file.
        var perType: [Envelope] = []
        if eventsFile != nil {
            var seen = Set<String>()
            for e in mix where seen.insert(e.type).inserted { perType.append(e) }
        } else {
            perType = samples
        }
        let described = eventsFile.map { "\(mix.count) events of \($0)" } ?? "\(EventType.allCases.count) event types"
        let avgBytes = Double(mix.map { EventCodec.encode($0).count }.reduce(0, +)) / Double(mix.count)

        if args.flag("per-type") {
            var t = TextTable(["type", "bytes", "agora ns", "encode ns", "decode ns", "foundation ns", "ratio"])
            let encoder = JSONEncoder(), decoder = JSONDecoder()
            let cache = DecodeCache()
            for e in perType {
                var w = JSONWriter(capacity: 2048)
                let n = 200_000
                let a0 = Monotonic.nanoseconds()
                for _ in 0..<n {
                    w.reset()
                    EventCodec.encode(e, into: &w)
                    _ = try w.withBytes { try EventCodec.decode($0, cache: cache) }
                }
                let ours = Double(Monotonic.nanoseconds() - a0) / Double(n)
                let e0 = Monotonic.nanoseconds()
                for _ in 0..<n {
                    w.reset()
                    EventCodec.encode(e, into: &w)
                }
                let encodeNs = Double(Monotonic.nanoseconds() - e0) / Double(n)
                let bytes = EventCodec.encode(e)
                let d0 = Monotonic.nanoseconds()
                for _ in 0..<n { _ = try bytes.withUnsafeBufferPointer { try EventCodec.decode($0, cache: cache) } }
                let decodeNs = Double(Monotonic.nanoseconds() - d0) / Double(n)
                let m = 10_000
                let b0 = Monotonic.nanoseconds()
                for _ in 0..<m { _ = try decoder.decode(Envelope.self, from: try encoder.encode(e)) }
                let theirs = Double(Monotonic.nanoseconds() - b0) / Double(m)
                t.add([e.type, String(bytes.count), Fmt.fixed(ours, 0), Fmt.fixed(encodeNs, 0), Fmt.fixed(decodeNs, 0), Fmt.fixed(theirs, 0), Fmt.fixed(theirs / ours, 1)])
            }
            Console.out(t.rendered)
            return 0
        }
        // Agora's codec.
        var checksum = 0
        var w = JSONWriter(capacity: 2048)
        for i in 0..<min(iterations, 100_000) {  // warm-up
            w.reset()
            EventCodec.encode(mix[i % mix.count], into: &w)
        }
        var runs: [Double] = []  // seconds of each run
        // Each envelope is moved out of the sample for its round trip and back after it, so
        // the encoder borrows an envelope its caller owns, as a publisher's own (reading it
        // out of an array would copy it: a retain and a release per string). Decoded as the
        // Redis reader decodes: through one DecodeCache for the strings and the second that
        // events repeat (each cycle's id comes back on every event of that cycle; events
        // published in the same second share their date and time up to the fraction).
        let cache = DecodeCache()
        let owned = UnsafeMutableBufferPointer<Envelope>.allocate(capacity: mix.count)
        _ = owned.initialize(from: mix)
        defer { owned.deinitialize().deallocate() }
        let base = owned.baseAddress!
        for _ in 0..<repeats {
            let t0 = Monotonic.nanoseconds()
            for i in 0..<iterations {
                let slot = base + i % owned.count
                let e = slot.move()
                checksum &+= Int(try roundTrip(e, &w, cache))
                slot.initialize(to: consume e)
            }
            runs.append(Double(Monotonic.nanoseconds() - t0) / 1e9)
        }
        let ours = runs.min()!
        let oursRate = Double(iterations) / ours
        let allRates = runs.map { Double(iterations) / $0 }

        // Foundation's coders on the same envelopes (Envelope's Codable conformance has the same JSON shape).
        let encoder = JSONEncoder()
        let decoder = JSONDecoder()
        let foundationIterations = max(1, iterations / 20)
        let t1 = Monotonic.nanoseconds()
        for i in 0..<foundationIterations {
            let data = try encoder.encode(mix[i % mix.count])
            let back = try decoder.decode(Envelope.self, from: data)
            checksum &+= Int(back.seq)
        }
        let theirs = Double(Monotonic.nanoseconds() - t1) / 1e9
        let theirsRate = Double(foundationIterations) / theirs
        let ratio = oursRate / theirsRate
        precondition(checksum != 0)

        if args.flag("json") {
            var j = BenchJSON(bench: "codec")
            j.w.field("event_types", Set(mix.map(\.type)).count)
            if let eventsFile { j.w.field("events_file", eventsFile) }
            j.w.field("average_bytes", avgBytes)
            j.w.field("agora_round_trips", iterations)
            j.w.field("agora_seconds", ours)
            j.w.field("agora_round_trips_per_s", oursRate)
            j.w.key("agora_runs_round_trips_per_s")
            j.w.beginArray()
            for r in allRates { j.w.value(r) }
            j.w.endArray()
            j.w.field("foundation_round_trips", foundationIterations)
            j.w.field("foundation_seconds", theirs)
            j.w.field("foundation_round_trips_per_s", theirsRate)
            j.w.field("ratio", ratio)
            j.w.field("goal_round_trips_per_s", 1e6)
            j.w.field("goal_ratio", 15)
            Console.out(j.finish())
            return 0
        }
        var t = TextTable(["coder", "round trips", "seconds", "round trips/s", "ns each"])
        t.add(["agora (EventCodec)", Fmt.grouped(Double(iterations)), Fmt.fixed(ours, 3), rateString(oursRate), Fmt.fixed(1e9 / oursRate, 0)])
        t.add(["Foundation JSONEncoder+Decoder", Fmt.grouped(Double(foundationIterations)), Fmt.fixed(theirs, 3), rateString(theirsRate), Fmt.fixed(1e9 / theirsRate, 0)])
        Console.out("Envelope encode + decode, \(described), \(Fmt.fixed(avgBytes, 0)) bytes on average, one core\n\n")
        Console.out(t.rendered)
        if repeats > 1 {
            Console.out("\nagora: best of \(repeats) runs; all: \(allRates.map { rateString($0) }.joined(separator: ", ")) round trips/s\n")
        }
        Console.out("""

            ratio: \(Fmt.fixed(ratio, 1))× Foundation
            goal  ≥1M round trips/s: \(rateString(oursRate))/s  \(verdict(oursRate >= 1e6))
            goal  ≥15× Foundation:   \(Fmt.fixed(ratio, 1))×  \(verdict(ratio >= 15))

            """)
        return 0
    }
}
