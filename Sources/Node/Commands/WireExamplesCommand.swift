import Bus

/// `agora wire-examples`: prints one example of every event type in the wire format, as
/// Markdown. docs/wire-format.md embeds this output; a test keeps the two in step.
enum WireExamplesCommand: AgoraCommand {
    static let spec = CommandSpec("wire-examples", summary: "Print an example of every event type in the wire format.")

    static func run(_ args: Arguments) async throws -> Int32 {
        Console.out(markdown())
        return 0
    }

    static func markdown() -> String {
        var out = ""
        for type in EventType.allCases {
            let e = EventSamples.envelope(type)
            out += "### `\(type.rawValue)` on `\(e.topic)`\n\n```json\n\(EventCodec.encodeString(e))\n```\n\n"
        }
        return out
    }
}
