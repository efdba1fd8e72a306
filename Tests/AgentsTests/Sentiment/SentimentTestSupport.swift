import Foundation
@testable import Agents
import Bus

/// Paths of the shared test fixtures (`Tests/Fixtures`), found from this file's location.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static let vaderLexicon = root + "/sentiment/vader/vader_lexicon.txt"
    static let vaderParity = root + "/sentiment/vader/parity.jsonl"

    /// VADER's scorer: its published lexicon with its rules (loaded once).
    static let vader: SentimentScorer = {
        do { return SentimentScorer(lexicon: try Lexicon.loadVADER(path: vaderLexicon), rules: .vader) } catch {
            fatalError("cannot load the VADER fixture: \(error)")
        }
    }()
}

/// A temporary directory removed when the value is released.
final class TempDir: @unchecked Sendable {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "agora-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to a file in the directory and returns its path.
    func file(_ name: String, _ text: String) -> String {
        let p = path + "/" + name
        try! text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }
}
