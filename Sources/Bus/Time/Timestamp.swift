#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point in time: nanoseconds since the Unix epoch, UTC.
///
/// Agora never reads the system clock implicitly. Market time travels inside events,
/// and wall-clock time comes from a ``WallClock`` that is passed in, so backtests and
/// tests are deterministic.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var nanoseconds: Int64

    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    @inlinable public init(seconds: Int64) { self.nanoseconds = seconds &* 1_000_000_000 }
    public init(epochSeconds seconds: Double) { self.nanoseconds = Int64((seconds * 1e9).rounded()) }

    public static let epoch = Timestamp(nanoseconds: 0)

    @inlinable public var seconds: Double { Double(nanoseconds) / 1e9 }
    /// Whole seconds since the epoch, rounded towards negative infinity.
    @inlinable public var wholeSeconds: Int64 {
        nanoseconds >= 0 ? nanoseconds / 1_000_000_000 : (nanoseconds - 999_999_999) / 1_000_000_000
    }

    @inlinable public static func < (a: Timestamp, b: Timestamp) -> Bool { a.nanoseconds < b.nanoseconds }
    @inlinable public static func + (a: Timestamp, d: Duration) -> Timestamp {
        Timestamp(nanoseconds: a.nanoseconds + d.nanoseconds)
    }
    @inlinable public static func - (a: Timestamp, b: Timestamp) -> Duration {
        Duration.nanoseconds(a.nanoseconds - b.nanoseconds)
    }

    /// RFC 3339 / ISO 8601 in UTC, e.g. `2024-01-02T14:30:00Z` or `2024-01-02T14:30:00.125Z`.
    public var description: String { iso8601 }
    public var iso8601: String { ISO8601.format(self) }

    /// The civil date (UTC) of this instant, as (year, month, day).
    public var civilDate: (year: Int, month: Int, day: Int) {
        ISO8601.civil(fromDays: Int(floorDiv(wholeSeconds, 86_400)))
    }
    /// Days since 1970-01-01 (UTC), useful as a "trading day" key.
    public var dayNumber: Int64 { floorDiv(wholeSeconds, 86_400) }
    /// Seconds since midnight UTC.
    public var secondOfDay: Int64 { wholeSeconds - dayNumber * 86_400 }
    /// ISO weekday: 1 = Monday … 7 = Sunday.
    public var isoWeekday: Int { Int((dayNumber % 7 + 7 + 3) % 7) + 1 }
}

@usableFromInline func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    @inlinable public var nanoseconds: Int64 {
        let (s, a) = components
        return s &* 1_000_000_000 &+ a / 1_000_000_000
    }
    @inlinable public var secondsDouble: Double {
        let (s, a) = components
        return Double(s) + Double(a) / 1e18
    }
}

/// The source of wall-clock time. Passed in wherever "now" is needed.
public protocol WallClock: Sendable {
    func now() -> Timestamp
}

/// The real system clock (`CLOCK_REALTIME`).
public struct SystemClock: WallClock {
    public init() {}
    @inlinable public func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(nanoseconds: Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec))
    }
}

/// A monotonic nanosecond counter for measuring intervals (benchmarks, latencies, timeouts).
public enum Monotonic {
    @inlinable public static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Blocks the calling thread until `nanoseconds()` reaches `deadline` (at once if it has).
    /// For dedicated threads only, never the cooperative pool.
    public static func sleep(until deadline: UInt64) {
        var ts = timespec(tv_sec: .init(deadline / 1_000_000_000), tv_nsec: .init(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
    }
}

/// A clock that only moves when told to. For tests and deterministic replays.
public final class ManualClock: WallClock, @unchecked Sendable {
    private let lock = PthreadLock()
    private var current: Timestamp
    public init(_ start: Timestamp = .epoch) { current = start }
    public func now() -> Timestamp { lock.withLock { current } }
    public func set(_ t: Timestamp) { lock.withLock { current = t } }
    public func advance(by d: Duration) { lock.withLock { current = current + d } }
}
