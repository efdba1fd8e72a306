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
///
/// Per batch the loop takes its lock once (to pop the next ready mailbox) and the
/// mailbox's lock twice (to take the batch, and to mark it idle after the handler). A
/// mailbox emptied by a drain leaves the ready list at once; the next event puts it back.
public final class EventLoop: Sendable {
    /// Called once per event.
    public typealias Handler = @Sendable (isolated any Actor, Envelope) async -> Void
    /// Called once per batch: the handler takes the events out of the batch in order. It
    /// is called again with whatever it leaves, so nothing is skipped.
    public typealias BatchHandler = @Sendable (isolated any Actor, inout EnvelopeBatch) async -> Void
    /// Called once per event; an error it throws goes to the error handler with the event,
    /// and delivery goes on.
    public typealias ThrowingHandler = @Sendable (isolated any Actor, Envelope) async throws -> Void
    public typealias ErrorHandler = @Sendable (Envelope, any Error) -> Void

    /// One subscription attached to the loop: what the ready list holds.
    final class Consumer: Sendable {
        enum Kind {
            case each(Handler)
            case eachThrowing(ThrowingHandler, ErrorHandler)
            case batch(BatchHandler)
        }
        let mailbox: Mailbox
        let kind: Kind
        let done: UnsafeContinuation<Void, Never>
        let loop: EventLoop

        init(mailbox: Mailbox, kind: Kind, done: UnsafeContinuation<Void, Never>, loop: EventLoop) {
            self.mailbox = mailbox
            self.kind = kind
            self.done = done
            self.loop = loop
        }
    }

    struct State {
        var ready: [Consumer] = []
        var readyHead = 0
        /// Every attached consumer, to release them on `stop()`.
        var consumers: [ObjectIdentifier: Consumer] = [:]
        var parked: UnsafeContinuation<Void, Never>?
        var stopped = false
    }

    private let state = Mutex(State())
    private let thread = Mutex<pthread_t?>(nil)

    private struct Registered: Sendable {
        weak var loop: EventLoop?
    }
    /// Every live loop, to tell whether the calling thread is inside some loop's handler
    /// (asked only when a handler would wait for room in a mailbox nobody consumes yet).
    private static let registry = Mutex<[Registered]>([])

    public init() {
        EventLoop.registry.withLock { loops in
            loops.removeAll { $0.loop == nil }
            loops.append(Registered(loop: self))
        }
    }

    /// True when called from a handler of any event loop.
    static var isInsideAnyHandler: Bool {
        registry.withLock { loops in loops.contains { $0.loop?.isCurrentHandler == true } }
    }

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

    /// Delivers `mailbox`'s events to the consumer until the subscription ends.
    func attach(_ mailbox: Mailbox, _ kind: Consumer.Kind) async {
        await withUnsafeContinuation { (done: UnsafeContinuation<Void, Never>) in
            let consumer = Consumer(mailbox: mailbox, kind: kind, done: done, loop: self)
            let stopped = state.withLock { s -> Bool in
                if s.stopped { return true }
                s.consumers[ObjectIdentifier(consumer)] = consumer
                return false
            }
            if stopped {
                done.resume()
                return
            }
            mailbox.attach(consumer)
        }
    }

    /// A mailbox has events (or has ended): put its consumer in the ready list.
    func schedule(_ c: Consumer) {
        let wake = state.withLock { s -> UnsafeContinuation<Void, Never>? in
            s.ready.append(c)
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

    private enum Next {
        case serve(Consumer)
        case park
        case stop
    }

    /// Runs the loop on the caller's actor until `stop()`.
    public func run(isolation: isolated any Actor) async {
        thread.withLock { $0 = pthread_self() }
        var spare = Ring<Envelope>(capacity: 64)
        while true {
            let next = state.withLock { s -> Next in
                if s.readyHead < s.ready.count {
                    let c = s.ready[s.readyHead]
                    s.readyHead += 1
                    if s.readyHead == s.ready.count {
                        s.ready.removeAll(keepingCapacity: true)
                        s.readyHead = 0
                    } else if s.readyHead > 1024 && s.readyHead * 2 > s.ready.count {
                        s.ready.removeFirst(s.readyHead)
                        s.readyHead = 0
                    }
                    return .serve(c)
                }
                return s.stopped ? .stop : .park
            }
            switch next {
            case .serve(let c):
                switch c.mailbox.drain(returning: spare) {
                case .batch(let ring, let stillScheduled):
                    delivering.store(true, ordering: .relaxed)
                    switch c.kind {
                    case .each(let handler):
                        while let e = ring.popFirst() { await handler(isolation, e) }
                    case .eachThrowing(let handler, let onError):
                        while let e = ring.popFirst() {
                            do { try await handler(isolation, e) } catch { onError(e, error) }
                        }
                    case .batch(let handler):
                        var batch = EnvelopeBatch(ring)
                        while !batch.isEmpty { await handler(isolation, &batch) }
                    }
                    delivering.store(false, ordering: .relaxed)
                    spare = ring
                    if stillScheduled {
                        // More was admitted while draining: serve it again after the others.
                        state.withLock { $0.ready.append(c) }
                    } else {
                        c.mailbox.settle()
                    }
                case .empty:
                    continue
                case .ended:
                    let done = state.withLock { $0.consumers.removeValue(forKey: ObjectIdentifier(c)) }
                    done?.done.resume()
                }
            case .stop:
                thread.withLock { $0 = nil }
                return
            case .park:
                await withUnsafeContinuation(isolation: isolation) { (k: UnsafeContinuation<Void, Never>) in
                    let now = state.withLock { s -> Bool in
                        if s.readyHead < s.ready.count || s.stopped { return true }
                        s.parked = k
                        return false
                    }
                    if now { k.resume() }
                }
            }
        }
    }
}

/// The events of one batch handed to an ``EventLoop/BatchHandler``, oldest first. It is
/// only valid during the handler call (it cannot be copied or kept).
public struct EnvelopeBatch: ~Copyable, Sendable {
    let ring: Ring<Envelope>

    init(_ ring: Ring<Envelope>) { self.ring = ring }

    /// Events not taken yet.
    public var count: Int { ring.count }
    public var isEmpty: Bool { ring.isEmpty }

    /// Takes the next event.
    public mutating func next() -> Envelope? { ring.popFirst() }

    /// Calls `body` with each event left, in order, then the batch is empty. The events are
    /// lent where they lie rather than moved out one by one (an envelope is a few hundred
    /// bytes): the way for a consumer that takes every event.
    public mutating func forEach(_ body: (borrowing Envelope) throws -> Void) rethrows {
        try ring.drain(body)
    }
}

extension Subscription {
    /// Delivers this subscription's events to `handler`, one call per event, on `loop`
    /// until it ends (unsubscribe or bus shutdown). `handler` should be isolated to an
    /// actor on the loop's executor.
    public func deliver(on loop: EventLoop, _ handler: @escaping EventLoop.Handler) async {
        await loop.attach(mailbox, .each(handler))
    }

    /// The same with a handler that may throw: the error and its event go to `onError`
    /// (called on the loop), and delivery goes on.
    public func deliver(on loop: EventLoop, _ handler: @escaping EventLoop.ThrowingHandler, onError: @escaping EventLoop.ErrorHandler) async {
        await loop.attach(mailbox, .eachThrowing(handler, onError))
    }

    /// Delivers this subscription's events in batches (one call per batch, whatever was
    /// queued), for consumers that do not wait per event: one async call per batch
    /// instead of one per event.
    public func deliverBatches(on loop: EventLoop, _ handler: @escaping EventLoop.BatchHandler) async {
        await loop.attach(mailbox, .batch(handler))
    }
}
