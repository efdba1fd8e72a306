#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Structured logging: logfmt on a terminal, JSON lines with `--log-format json`.
///
/// A tiny API in the spirit of swift-log: a `Logger` is a cheap value (a label and a shared
/// sink); records carry a level, a message and metadata. Every record about a trading cycle
/// carries its correlation id.
public struct Logger: Sendable {
    public enum Level: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
        case trace, debug, info, notice, warning, error, critical

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        public var description: String {
            switch self {
            case .trace: "trace"
            case .debug: "debug"
            case .info: "info"
            case .notice: "notice"
            case .warning: "warning"
            case .error: "error"
            case .critical: "critical"
            }
        }

        public init?(name: String) {
            guard let l = Level.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
            self = l
        }
    }

    public enum Format: String, Sendable, CaseIterable {
        case logfmt, json
    }

    public let label: String
    public let sink: LogSink

    public init(label: String, sink: LogSink = .standardError) {
        self.label = label
        self.sink = sink
    }

    /// A logger with another label on the same sink.
    public func labeled(_ label: String) -> Logger { Logger(label: label, sink: sink) }

    @inlinable public func isEnabled(_ level: Level) -> Bool { level >= sink.level }

    public func log(_ level: Level, _ message: @autoclosure () -> String, correlation: String? = nil, _ metadata: KeyValuePairs<String, String> = [:]) {
        guard isEnabled(level) else { return }
        sink.write(level: level, label: label, message: message(), correlation: correlation, metadata: metadata)
    }

    public func debug(_ message: @autoclosure () -> String, correlation: String? = nil, _ metadata: KeyValuePairs<String, String> = [:]) {
        log(.debug, message(), correlation: correlation, metadata)
    }
    public func info(_ message: @autoclosure () -> String, correlation: String? = nil, _ metadata: KeyValuePairs<String, String> = [:]) {
        log(.info, message(), correlation: correlation, metadata)
    }
    public func warning(_ message: @autoclosure () -> String, correlation: String? = nil, _ metadata: KeyValuePairs<String, String> = [:]) {
        log(.warning, message(), correlation: correlation, metadata)
    }
    public func error(_ message: @autoclosure () -> String, correlation: String? = nil, _ metadata: KeyValuePairs<String, String> = [:]) {
        log(.error, message(), correlation: correlation, metadata)
    }
}

/// Where log records go: a file descriptor (stderr by default), a format and a level.
public final class LogSink: @unchecked Sendable {
    public let fd: Int32
    public let format: Logger.Format
    public let level: Logger.Level
    private let clock: any WallClock
    private let lock = PthreadLock()
    /// Records written (for tests).
    public private(set) var lines: [String]?

    public init(fd: Int32 = 2, format: Logger.Format = .logfmt, level: Logger.Level = .info, clock: any WallClock = SystemClock(), capture: Bool = false) {
        self.fd = fd
        self.format = format
        self.level = level
        self.clock = clock
        lines = capture ? [] : nil
    }

    public static let standardError = LogSink()

    /// The level from `AGORA_LOG_LEVEL` (info when unset or unknown).
    public static var environmentLevel: Logger.Level {
        guard let v = getenv("AGORA_LOG_LEVEL") else { return .info }
        return Logger.Level(name: String(cString: v)) ?? .info
    }

    func write(level: Logger.Level, label: String, message: String, correlation: String?, metadata: KeyValuePairs<String, String>) {
        var w = JSONWriter(capacity: 256)
        let time = clock.now()
        switch format {
        case .json:
            w.beginObject()
            w.field("time", time)
            w.field("level", level.description)
            w.field("logger", label)
            w.field("msg", message)
            if let correlation { w.field("correlation", correlation) }
            for (k, v) in metadata {
                w.key(k)
                w.value(v)
            }
            w.endObject()
        case .logfmt:
            w.out.append("time=")
            ISO8601.append(time, to: w.out)
            pair(&w, "level", level.description)
            pair(&w, "logger", label)
            pair(&w, "msg", message)
            if let correlation { pair(&w, "correlation", correlation) }
            for (k, v) in metadata { pair(&w, k, v) }
        }
        w.out.append(0x0A)
        lock.withLock {
            if lines != nil { lines!.append(String(decoding: w.out.view.dropLast(), as: UTF8.self)) }
            let bytes = w.out.view
            var offset = 0
            while offset < bytes.count {
                let n = Glibc_write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
    }

    /// ` key=value`, quoting values with spaces, quotes or `=`.
    private func pair(_ w: inout JSONWriter, _ key: String, _ value: String) {
        w.out.append(0x20)
        var k = key
        k.withUTF8 { w.out.append($0) }
        w.out.append(0x3D)
        let plain = !value.isEmpty && !value.utf8.contains { $0 <= 0x20 || $0 == 0x22 || $0 == 0x3D || $0 == 0x5C }
        if plain {
            var v = value
            v.withUTF8 { w.out.append($0) }
        } else {
            w.appendQuoted(value)
        }
    }
}

@inline(__always) private func Glibc_write(_ fd: Int32, _ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
    write(fd, p, n)
}
