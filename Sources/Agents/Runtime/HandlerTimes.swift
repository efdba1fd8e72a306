import Bus
import Synchronization

/// Time spent in each agent's event handler, for `agora bench backtest --breakdown`: what
/// each agent costs per bar, and by difference what delivery and the rest cost.
///
/// One slot per agent, found once when its loop starts; each handler call then adds its
/// duration and a count with two relaxed atomic adds (two clock reads per call, ≈ 50 ns,
/// which the breakdown reports as part of the handlers' time).
public final class HandlerTimes: Sendable {
    public struct Entry: Sendable, Equatable {
        public var agent: String
        public var nanoseconds: UInt64
        public var calls: UInt64
    }

    final class Slot: Sendable {
        let agent: String
        let nanoseconds = Atomic<UInt64>(0)
        let calls = Atomic<UInt64>(0)
        init(_ agent: String) { self.agent = agent }

        @inline(__always) func add(_ ns: UInt64) {
            nanoseconds.add(ns, ordering: .relaxed)
            calls.add(1, ordering: .relaxed)
        }
    }

    private let slots = Mutex<[Slot]>([])

    public init() {}

    func slot(for agent: String) -> Slot {
        slots.withLock { all in
            if let s = all.first(where: { $0.agent == agent }) { return s }
            let s = Slot(agent)
            all.append(s)
            return s
        }
    }

    /// Every agent's totals so far, by name.
    public var entries: [Entry] {
        slots.withLock { all in
            all.map { Entry(agent: $0.agent, nanoseconds: $0.nanoseconds.load(ordering: .relaxed), calls: $0.calls.load(ordering: .relaxed)) }
        }.sorted { $0.agent < $1.agent }
    }

    /// `handler`, timed into `agent`'s slot.
    public func timed(_ agent: String, _ handler: @escaping EventLoop.Handler) -> EventLoop.Handler {
        let slot = slot(for: agent)
        return { loop, e in
            let start = Monotonic.nanoseconds()
            await handler(loop, e)
            slot.add(Monotonic.nanoseconds() &- start)
        }
    }
}
