import Foundation
import Synchronization

// How tests wait. The suite runs hundreds of tests at once on a 2-thread cooperative pool,
// often on a loaded machine: a test can be starved of CPU for seconds. So a wait that only
// a failure (a lost event, a deadlock) can exhaust is long, a condition is checked once
// more after its deadline (the state decides, not the test's own lateness), and a test
// that times out fails at once instead of waiting for work that ignores cancellation.

/// How long a test waits for something that must happen: only a failure ever waits it out.
public let patience: Double = 60

public struct TimeoutError: Error, CustomStringConvertible {
    public let seconds: Double
    public let what: String?

    public init(seconds: Double, what: String? = nil) {
        self.seconds = seconds
        self.what = what
    }

    public var description: String {
        what.map { "timed out after \(seconds) s waiting for: \($0)" } ?? "timed out after \(seconds) s"
    }
}

/// Runs `body` and returns its result, or throws ``TimeoutError`` after `seconds`.
///
/// A task group would wait for its child after the timeout, and a body stuck in a wait
/// that ignores cancellation would then hang the whole run; here the body runs in a task
/// of its own, is cancelled, and left behind. It inherits the caller's task-local values
/// (so expectations inside it are attributed to the test).
public func withTimeout<T: Sendable>(_ seconds: Double = patience, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let race = Race<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
            race.begin(c)
            let work = Task {
                do { race.settle(.success(try await body())) } catch { race.settle(.failure(error)) }
            }
            let timer = Task {
                try? await Task.sleep(for: .seconds(seconds))
                if race.settle(.failure(TimeoutError(seconds: seconds))) { work.cancel() }
            }
            race.onSettle { work.cancel(); timer.cancel() }
        }
    } onCancel: {
        race.settle(.failure(CancellationError()))
    }
}

/// The first of a body, a timer and a cancellation to finish resumes the waiting test.
private final class Race<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var settled: Result<T, any Error>?
        var cleanup: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    func begin(_ c: CheckedContinuation<T, any Error>) {
        let early = state.withLock { s -> Result<T, any Error>? in
            if let r = s.settled { return r }
            s.continuation = c
            return nil
        }
        if let early { c.resume(with: early) }
    }

    /// Runs `cleanup` once settled (at once if already).
    func onSettle(_ cleanup: @escaping @Sendable () -> Void) {
        let now = state.withLock { s -> Bool in
            if s.settled != nil { return true }
            s.cleanup = cleanup
            return false
        }
        if now { cleanup() }
    }

    /// True for the first result only.
    @discardableResult
    func settle(_ r: Result<T, any Error>) -> Bool {
        let (first, c, cleanup) = state.withLock { s -> (Bool, CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) in
            if s.settled != nil { return (false, nil, nil) }
            s.settled = r
            defer { s.continuation = nil; s.cleanup = nil }
            return (true, s.continuation, s.cleanup)
        }
        c?.resume(with: r)
        cleanup?()
        return first
    }
}

/// Polls `condition` every 10 ms until it holds; false if it still does not at the
/// deadline. It is checked once more after the deadline, so a test starved of CPU past
/// its deadline still sees a condition that came true meanwhile. A cancelled test (its
/// time limit) gets one last check and no more waiting.
nonisolated(nonsending) public func eventually(timeout seconds: Double = patience, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        do { try await Task.sleep(for: .milliseconds(10)) } catch { return try await condition() }
    }
}

/// ``eventually(timeout:_:)`` that throws a ``TimeoutError`` naming `what` instead.
nonisolated(nonsending) public func eventually(_ what: String, within seconds: Double = patience, _ condition: () async throws -> Bool) async throws {
    guard try await eventually(timeout: seconds, condition) else { throw TimeoutError(seconds: seconds, what: what) }
}

/// Runs blocking work (processes, sockets, sleeps) on a thread of its own: blocking the
/// 2-thread cooperative pool would stall every other test running in parallel.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
        let t = Thread {
            do { c.resume(returning: try body()) } catch { c.resume(throwing: error) }
        }
        t.stackSize = 4 << 20
        t.start()
    }
}
