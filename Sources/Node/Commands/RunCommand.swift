import Bus

/// `agora run`: the main job.
enum RunCommand: AgoraCommand {
    static let spec = CommandSpec("run", summary: "Run the whole agent society in one process on the sample data.")
        .option("events", "N", "Demo events to publish (default 10).")

    static func run(_ args: Arguments) async throws -> Int32 {
        let n = try args.int("events", default: 10, range: 1...1_000_000)
        let bus = InMemoryBus()
        let tap = try await bus.subscribe(["*"], options: SubscriptionOptions(name: "tap"))
        let publisher = Publisher(bus: bus, source: "main/demo")
        let printer = Task {
            for await e in tap {
                Console.out("\(e.time.iso8601)  \(e.topic)  \(e.source)#\(e.seq)  \(e.type)\n")
            }
        }
        for i in 0..<n {
            let t = Timestamp(seconds: Int64(1_704_153_600 + 86_400 * i))
            let bar = Bar(symbol: "DEMO", time: t, open: 100, high: 101, low: 99, close: 100.5, volume: 1000)
            try await publisher.publish(bar, correlation: Envelope.cycleID(symbol: "DEMO", time: t))
        }
        await bus.shutdown()
        await printer.value
        return 0
    }
}
