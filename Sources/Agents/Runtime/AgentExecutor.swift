import Bus
import Foundation

/// A serial executor that runs jobs on one dedicated thread: the event loop of a node.
///
/// Every agent actor of a node runs on it by default. A hop from one agent to another is
/// then a queue append on the same thread rather than a cross-thread wake-up, which is
/// what makes a whole backtest cost a few microseconds per bar. Jobs run in the order
/// they were enqueued, so a single-process run is also deterministic in its scheduling.
///
/// It is also a `TaskExecutor`: agent loops are started with this executor as their task
/// executor preference (``start(_:)``), so that a task resumed from a continuation (a
/// bus wake-up) is enqueued here directly instead of on the global pool and then hopped
/// back — measured: 30k → 430k wake-ups/s between two agents.
public final class AgentExecutor: SerialExecutor, TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var spare: [UnownedJob] = []
    private var sleeping = false
    private var stopped = false
    private var thread: Thread?
    public let name: String

    public init(name: String = "agora-agents") {
        self.name = name
        jobs.reserveCapacity(256)
        spare.reserveCapacity(256)
        let t = Thread { self.loop() }
        t.name = name
        t.stackSize = 8 << 20
        thread = t
        t.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let j = UnownedJob(job)
        condition.lock()
        jobs.append(j)
        if sleeping { condition.signal() }
        condition.unlock()
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Starts an agent's loop as a task that prefers this executor.
    @discardableResult
    public func start(_ body: sending @escaping @isolated(any) () async -> Void) -> Task<Void, Never> {
        Task(executorPreference: self, operation: body)
    }

    /// Lets the thread exit once its queue is empty. Agents must be finished first.
    public func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        var batch = spare
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped {
                sleeping = true
                condition.wait()
                sleeping = false
            }
            if jobs.isEmpty && stopped {
                condition.unlock()
                return
            }
            swap(&batch, &jobs)
            condition.unlock()
            let me = asUnownedSerialExecutor()
            for j in batch { j.runSynchronously(on: me) }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
