import Bus
#if canImport(Glibc)
import Glibc
#endif

/// Writes to stdout (buffered, flushed at exit and before anything goes to stderr) and
/// stderr (unbuffered), without Foundation's overhead.
enum Console {
    static let stdout = FDWriter(fd: 1)

    static func out(_ s: String) { stdout.write(s) }

    static func err(_ s: String) {
        stdout.flush()
        FDWriter.writeAll(fd: 2, clipped(s))
    }

    /// The longest line written to stderr whole. Errors quote the value they refuse, and a
    /// value can be a whole 20 kB CSV field or flag: past this, a line keeps its head (the
    /// file, line and field) and its tail (the end of the reason) around a count of what is
    /// left out.
    static let maxErrorLine = 1_000

    /// `s` with every line longer than ``maxErrorLine`` characters clipped in the middle.
    static func clipped(_ s: String) -> String {
        guard s.utf8.count > maxErrorLine else { return s }
        let lines = s.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            let n = line.count
            guard n > maxErrorLine else { return line }
            let head = line.prefix(600), tail = line.suffix(300)
            return Substring(head + " … [\(n - 900) characters not shown] … " + tail)
        }
        return lines.joined(separator: "\n")
    }

    static func flush() { stdout.flush() }

    static var stdoutIsTerminal: Bool { isatty(1) != 0 }
}

/// A small buffered writer over a file descriptor.
final class FDWriter: @unchecked Sendable {
    private let fd: Int32
    private let lock = PthreadLock()
    private var buffer: [UInt8] = []
    private let limit = 1 << 16
    /// When true, every write is flushed at once (interactive streams such as the tap).
    var autoflush = false

    init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(limit)
    }

    func write(_ s: String) {
        var s = s
        s.withUTF8 { write(bytes: $0) }
    }

    func write(bytes: UnsafeBufferPointer<UInt8>) {
        lock.withLock {
            buffer.append(contentsOf: bytes)
            if buffer.count >= limit || autoflush { flushLocked() }
        }
    }

    func flush() { lock.withLock { flushLocked() } }

    private func flushLocked() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBufferPointer { FDWriter.writeAll(fd: fd, $0) }
        buffer.removeAll(keepingCapacity: true)
    }

    static func writeAll(fd: Int32, _ s: String) {
        var s = s
        s.withUTF8 { writeAll(fd: fd, $0) }
    }

    static func writeAll(fd: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return // EPIPE etc.: the reader is gone; nothing useful to do
            }
            offset += n
        }
    }
}

/// A plain-text table with right-aligned numbers.
struct TextTable {
    var headers: [String]
    var rows: [[String]] = []

    init(_ headers: [String]) { self.headers = headers }

    mutating func add(_ row: [String]) { rows.append(row) }

    var rendered: String {
        var widths = headers.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, c) in cells.enumerated() {
                let pad = String(repeating: " ", count: max(0, widths[i] - c.count))
                let numeric = i > 0 && (c.first.map { $0.isNumber || $0 == "-" || $0 == "+" } ?? false)
                parts.append(numeric ? pad + c : c + pad)
            }
            return parts.joined(separator: "  ").replacingTrailingSpaces()
        }
        var out = line(headers) + "\n"
        out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for r in rows { out += line(r) + "\n" }
        return out
    }
}

extension String {
    func replacingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}

