import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Event-loop delivery: one loop drains the mailboxes of every subscription attached to
/// it and calls each one's handler in turn, on one thread.
///
/// Agents of a node use it (through `AgentContext.consume`): instead of one task per agent
/// parked on a continuation — a wake-up through the concurrency runtime for every event —
/// the loop calls the agents' handlers directly. The handlers are actor-isolated to actors
/// on the loop's own serial executor, so each call is a plain switch on the same thread.
/// Order is kept per subscription; across subscriptions, mailboxes are served in the order
/// they became ready, which on one thread is deterministic.
public final class EventLoop: Sendable {
    public typealias Handler = @Sendable (isolated any Actor, Envelope) async -> Void

    struct Consumer {
        let mailbox: Mailbox
        let handler: Handler
        let done: UnsafeContinuation<Void, Never>
    }

    struct State {
        var ready: [Mailbox] = []
        var readyHead = 0
        var consumers: [ObjectIdentifier: Consumer] = [:]
        var parked: UnsafeContinuation<Void, Never>?
        var stopped = false
    }

    private let state = Mutex(State())
    private let thread = Mutex<pthread_t?>(nil)

    public init() {}

    /// True while the loop is inside a handler (which may itself be suspended).
    private let delivering = Atomic<Bool>(false)

    /// True when called from one of this loop's handlers: on the loop's thread while it
    /// is delivering. Such a caller cannot wait for room in a mailbox of this loop (the
    /// loop would wait for itself). Another task on the same executor, running while the
    /// loop is parked, can: the loop runs as soon as it suspends.
    var isCurrentHandler: Bool {
        guard delivering.load(ordering: .relaxed), let t = thread.withLock({ $0 }) else { return false }
        return pthread_equal(t, pthread_self()) != 0
    }

    /// Delivers `subscription`'s events to `handler` until the subscription ends.
    func attach(_ mailbox: Mailbox, handler: @escaping Handler) async {
        await withUnsafeContinuation { (done: UnsafeContinuation<Void, Never>) in
            let stopped = state.withLock { s -> Bool in
                if s.stopped { return true }
                s.consumers[ObjectIdentifier(mailbox)] = Consumer(mailbox: mailbox, handler: handler, done: done)
                return false
            }
            if stopped {
                done.resume()
                return
            }
            mailbox.attach(to: self)
        }
    }

    /// A mailbox has events (or has ended): put it in the ready list.
    func schedule(_ m: Mailbox) {
        let wake = state.withLock { s -> UnsafeContinuation<Void, Never>? in
            s.ready.append(m)
            let p = s.parked
            s.parked = nil
            return p
        }
        wake?.resume()
    }

    /// Ends the loop once it is idle; consumers still attached are released.
    public func stop() {
        let (wake, consumers) = state.withLock { s -> (UnsafeContinuation<Void, Never>?, [Consumer]) in
            s.stopped = true
            let p = s.parked
            s.parked = nil
            let c = Array(s.consumers.values)
            s.consumers = [:]
            return (p, c)
        }
        wake?.resume()
        for c in consumers { c.done.resume() }
    }

    /// Runs the loop on the caller's actor until `stop()`.
    public func run(isolation: isolated any Actor) async {
        thread.withLock { $0 = pthread_self() }
        var spare = Ring<Envelope>(capacity: 64)
        while true {
            let next = state.withLock { s -> (Mailbox, Consumer)?? in
                while s.readyHead < s.ready.count {
                    let m = s.ready[s.readyHead]
                    s.readyHead += 1
                    if s.readyHead > 1024 && s.readyHead * 2 > s.ready.count {
                        s.ready.removeFirst(s.readyHead)
                        s.readyHead = 0
                    }
                    if let c = s.consumers[ObjectIdentifier(m)] { return .some((m, c)) }
                }
                s.ready.removeAll(keepingCapacity: true)
                s.readyHead = 0
                return s.stopped ? .some(nil) : nil
            }
            switch next {
            case .some(.some(let (m, c))):
                switch m.drain(returning: spare) {
                case .batch(let batch):
                    delivering.store(true, ordering: .relaxed)
                    while let e = batch.popFirst() { await c.handler(isolation, e) }
                    delivering.store(false, ordering: .relaxed)
                    spare = batch
                    // Still scheduled: serve it again after the others that are ready.
                    state.withLock { $0.ready.append(m) }
                case .empty:
                    continue
                case .ended:
                    let done = state.withLock { $0.consumers.removeValue(forKey: ObjectIdentifier(m)) }
                    done?.done.resume()
                }
            case .some(.none):
                thread.withLock { $0 = nil }
                return
            case .none:
                await withUnsafeContinuation(isolation: isolation) { (c: UnsafeContinuation<Void, Never>) in
                    let now = state.withLock { s -> Bool in
                        if s.readyHead < s.ready.count || s.stopped { return true }
                        s.parked = c
                        return false
                    }
                    if now { c.resume() }
                }
            }
        }
    }
}

extension Subscription {
    /// Delivers this subscription's events to `handler` on `loop` until it ends (unsubscribe
    /// or bus shutdown). `handler` should be isolated to an actor on the loop's executor.
    public func deliver(on loop: EventLoop, _ handler: @escaping EventLoop.Handler) async {
        await loop.attach(mailbox, handler: handler)
    }
}
