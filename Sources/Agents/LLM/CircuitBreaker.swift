/// When to stop sending requests to an endpoint that keeps failing.
///
/// After `threshold` requests in a row have failed (in the end, retries included), the
/// breaker opens: requests fail at once, as `unavailable`, for `pauseSeconds`. Then one
/// request is let through; its success closes the breaker, its failure opens it again for
/// another pause. So a dead or broken endpoint costs a run a few requests' time per pause,
/// not every request's timeouts and retries. A pure value: the caller passes the time.
public struct CircuitBreaker: Sendable, Equatable {
    public let threshold: Int
    public let pauseSeconds: Double
    private(set) var failuresInARow = 0
    /// While open: until when (the caller's clock, seconds).
    private(set) var openUntil: Double?
    /// The request let through after a pause, not answered yet.
    private(set) var probing = false

    /// - Parameter threshold: failures in a row that open it; 0 never opens.
    public init(threshold: Int, pauseSeconds: Double) {
        self.threshold = threshold
        self.pauseSeconds = pauseSeconds
    }

    /// What changed, for a log line.
    public enum Change: Sendable, Equatable {
        case opened
        case closed
    }

    /// Whether a request may be sent at `now`.
    public mutating func allows(at now: Double) -> Bool {
        guard let until = openUntil else { return true }
        if now < until || probing { return false }
        probing = true
        return true
    }

    /// Records a request's end.
    public mutating func record(success: Bool, at now: Double) -> Change? {
        if success {
            failuresInARow = 0
            probing = false
            if openUntil != nil {
                openUntil = nil
                return .closed
            }
            return nil
        }
        failuresInARow += 1
        if probing {
            probing = false
            openUntil = now + pauseSeconds
            return nil  // still open: said when it first opened
        }
        if threshold > 0, openUntil == nil, failuresInARow >= threshold {
            openUntil = now + pauseSeconds
            return .opened
        }
        return nil
    }

    public var isOpen: Bool { openUntil != nil }
}
