import Bus
#if canImport(Glibc)
import Glibc
#endif

/// One `agora` subcommand.
protocol AgoraCommand: Sendable {
    static var spec: CommandSpec { get }
    /// Runs the command; returns the process exit code.
    static func run(_ args: Arguments) async throws -> Int32
}

/// Every subcommand, in the order `agora --help` lists them.
enum CommandRegistry {
    static let all: [any AgoraCommand.Type] = [
        RunCommand.self,
        NodeCommand.self,
        CheckCommand.self,
        TapCommand.self,
        ReplayCommand.self,
        ExplainCommand.self,
        BacktestCommand.self,
        JournalAnalyzeCommand.self,
        JournalAddCommand.self,
        JournalGenerateCommand.self,
        BenchBusCommand.self,
        BenchBusPeerCommand.self,
        BenchCodecCommand.self,
        BenchIndicatorsCommand.self,
        BenchSentimentCommand.self,
        BenchJournalCommand.self,
        BenchBacktestCommand.self,
        IndicatorsCommand.self,
        DataSynthCommand.self,
        WireExamplesCommand.self,
        SentimentCommand.self,
    ]

    static let overview = """
        agora — an explainable multi-agent paper trader.

        Usage: agora COMMAND [options]

        """

    static func topHelp() -> String {
        var out = overview + "Commands:\n"
        for c in all where !c.spec.hidden {
            let p = c.spec.path
            out += "  " + p + String(repeating: " ", count: max(2, 22 - p.count)) + c.spec.summary + "\n"
        }
        out += "\nRun 'agora COMMAND --help' for a command's options.\n"
        return out
    }

    /// Finds the command whose path is the longest prefix of `argv`.
    static func resolve(_ argv: [String]) -> (any AgoraCommand.Type, Int)? {
        var best: (any AgoraCommand.Type, Int)?
        for c in all {
            let words = c.spec.path.split(separator: " ").map(String.init)
            if argv.count >= words.count, Array(argv.prefix(words.count)) == words {
                if best == nil || words.count > best!.1 { best = (c, words.count) }
            }
        }
        return best
    }

    /// Commands under a group word such as `bench`.
    static func group(_ word: String) -> [any AgoraCommand.Type] {
        all.filter { $0.spec.path.hasPrefix(word + " ") && !$0.spec.hidden }
    }

    static func main(_ argv: [String]) async -> Int32 {
        if argv.isEmpty || argv == ["--help"] || argv == ["-h"] || argv == ["help"] {
            Console.out(topHelp())
            return argv.isEmpty ? 64 : 0
        }
        if argv == ["--version"] || argv == ["version"] {
            Console.out("agora \(AgoraVersion.string)\n")
            return 0
        }
        guard let (command, used) = resolve(argv) else {
            let group = group(argv[0])
            if !group.isEmpty {
                let wantsHelp = argv.count == 1 || argv.dropFirst().allSatisfy { $0 == "--help" || $0 == "-h" }
                var text = "Subcommands of 'agora \(argv[0])':\n"
                for c in group { text += "  agora \(c.spec.path)" + String(repeating: " ", count: max(2, 24 - c.spec.path.count)) + c.spec.summary + "\n" }
                if wantsHelp {
                    Console.out(text)
                    return argv.count == 1 ? 64 : 0
                }
                Console.err("agora: unknown subcommand '\(argv[0]) \(argv[1])'\n" + text)
                return 64
            }
            let names = Set(all.map { String($0.spec.path.split(separator: " ")[0]) })
            let hint = Arguments.closest(argv[0], among: Array(names)).map { " (did you mean '\($0)'?)" } ?? ""
            Console.err("agora: unknown command '\(argv[0])'\(hint); run 'agora --help' for the list\n")
            return 64
        }
        do {
            let args = try Arguments(Array(argv.dropFirst(used)), spec: command.spec)
            if args.helpRequested {
                Console.out(command.spec.help)
                return 0
            }
            return try await command.run(args)
        } catch let e as UsageError {
            Console.err(e.message + "\n")
            return 64
        } catch let e as CommandError {
            Console.err("agora \(command.spec.path): \(e.message)\n")
            return e.exitCode
        } catch {
            Console.err("agora \(command.spec.path): \(error)\n")
            return 1
        }
    }
}

enum AgoraVersion {
    static let string = "0.1.0"
}
