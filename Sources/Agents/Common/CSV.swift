#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a text file line by line in constant memory (64 KiB chunks), tracking line numbers.
/// Accepts `\n` and `\r\n` endings and skips a UTF-8 byte-order mark.
public final class LineReader {
    public let path: String
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false
    /// The 1-based number of the line most recently returned.
    public private(set) var lineNumber = 0
    private let chunk = 1 << 16

    public init(path: String) throws(InputError) {
        self.path = path
        guard let f = fopen(path, "rb") else {
            throw InputError(file: path, "cannot open: \(String(cString: strerror(errno)))")
        }
        file = f
        buffer.reserveCapacity(chunk * 2)
    }

    deinit { fclose(file) }

    /// The next line without its terminator, or nil at the end of the file.
    public func nextLine() throws(InputError) -> String? {
        guard let bytes = try nextLineBytes() else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The next line as bytes (valid until the next call), or nil at the end of the file.
    public func nextLineBytes() throws(InputError) -> ArraySlice<UInt8>? {
        while true {
            if let nl = buffer[start...].firstIndex(of: 0x0A) {
                var end = nl
                if end > start && buffer[end - 1] == 0x0D { end -= 1 }
                let line = buffer[start..<end]
                start = nl + 1
                lineNumber += 1
                return lineNumber == 1 ? stripBOM(line) : line
            }
            if eof {
                guard start < buffer.count else { return nil }
                var end = buffer.count
                if buffer[end - 1] == 0x0D { end -= 1 }
                let line = buffer[start..<end]
                start = buffer.count
                lineNumber += 1
                return lineNumber == 1 ? stripBOM(line) : line
            }
            try fill()
        }
    }

    private func stripBOM(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        if line.count >= 3, line[line.startIndex] == 0xEF, line[line.startIndex + 1] == 0xBB, line[line.startIndex + 2] == 0xBF {
            return line.dropFirst(3)
        }
        return line
    }

    private func fill() throws(InputError) {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunk))
        let n = buffer.withUnsafeMutableBufferPointer { p in fread(p.baseAddress! + old, 1, chunk, file) }
        buffer.removeLast(chunk - n)
        if n < chunk {
            if ferror(file) != 0 { throw InputError(file: path, line: lineNumber + 1, "read error: \(String(cString: strerror(errno)))") }
            eof = true
        }
    }
}

/// Writing CSV: one field, quoted (RFC 4180, quotes doubled) when it holds a comma, a quote
/// or a line break; else as it is. Every CSV the tools write goes through it.
public enum CSVField {
    public static func quoted(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return s }
        var out = "\""
        for c in s { out += c == "\"" ? "\"\"" : String(c) }
        return out + "\""
    }
}

/// A streaming CSV reader (RFC 4180: quoted fields, doubled quotes, commas inside quotes).
/// Quoted fields may not span lines; that is reported as an error on the line.
public final class CSVReader {
    public struct Record: Sendable {
        /// 1-based line number in the file.
        public let line: Int
        public let fields: [String]
    }

    private let lines: LineReader
    public var path: String { lines.path }
    public let separator: UInt8

    public init(path: String, separator: Character = ",") throws(InputError) {
        lines = try LineReader(path: path)
        self.separator = separator.asciiValue ?? 0x2C
    }

    /// The next non-empty record, or nil at the end of the file.
    public func next() throws(InputError) -> Record? {
        while let bytes = try lines.nextLineBytes() {
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            return Record(line: lines.lineNumber, fields: try CSVReader.split(bytes, separator: separator, file: path, line: lines.lineNumber))
        }
        return nil
    }

    /// Splits one line into fields.
    public static func split(_ bytes: ArraySlice<UInt8>, separator: UInt8 = 0x2C, file: String = "<input>", line: Int = 1) throws(InputError) -> [String] {
        var fields: [String] = []
        var i = bytes.startIndex
        let end = bytes.endIndex
        while true {
            if i < end && bytes[i] == 0x22 {
                var value: [UInt8] = []
                i += 1
                var closed = false
                while i < end {
                    let c = bytes[i]
                    if c == 0x22 {
                        if i + 1 < end && bytes[i + 1] == 0x22 {
                            value.append(0x22)
                            i += 2
                            continue
                        }
                        i += 1
                        closed = true
                        break
                    }
                    value.append(c)
                    i += 1
                }
                if !closed { throw InputError(file: file, line: line, "unterminated quoted field") }
                fields.append(String(decoding: value, as: UTF8.self))
                if i < end && bytes[i] != separator {
                    throw InputError(file: file, line: line, "unexpected character after a quoted field")
                }
            } else {
                let s = i
                while i < end && bytes[i] != separator { i += 1 }
                fields.append(String(decoding: bytes[s..<i], as: UTF8.self))
            }
            if i >= end { break }
            i += 1 // separator
            if i == end {
                fields.append("")
                break
            }
        }
        return fields
    }
}
