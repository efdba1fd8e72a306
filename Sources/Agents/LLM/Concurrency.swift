import Synchronization

/// A value that is set once and can be awaited by many, each with its own deadline.
///
/// Waiting never outlasts the deadline: a waiter whose deadline passes gets nil at once,
/// whatever the producer is doing (unlike awaiting a `Task`'s value, which cannot be
/// abandoned).
public final class Promise<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [Int: CheckedContinuation<Value?, Never>] = [:]
        /// Waiters whose deadline passed before they were registered.
        var expired: Set<Int> = []
        /// Waiters between their start and their return.
        var active: Set<Int> = []
        var nextWaiter = 0
    }
    private let state = Mutex(State())

    public init() {}

    /// The value, when it has been set.
    public var current: Value? { state.withLock { $0.value } }

    /// Sets the value (the first call wins) and wakes every waiter. Returns false when it
    /// was already set.
    @discardableResult
    public func fulfill(_ value: Value) -> Bool {
        let waiters: [CheckedContinuation<Value?, Never>]? = state.withLock { s in
            guard s.value == nil else { return nil }
            s.value = value
            let w = Array(s.waiters.values)
            s.waiters.removeAll()
            return w
        }
        guard let waiters else { return false }
        for w in waiters { w.resume(returning: value) }
        return true
    }

    /// The value, waiting for it until `deadline` at the latest (nil when the deadline
    /// passes first, or the waiting task is cancelled).
    public func value(before deadline: ContinuousClock.Instant) async -> Value? {
        if let v = current { return v }
        if deadline <= .now { return nil }
        let id = state.withLock { s -> Int in
            s.nextWaiter += 1
            s.active.insert(s.nextWaiter)
            return s.nextWaiter
        }
        let timer = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            self.expire(id)
        }
        defer {
            timer.cancel()
            state.withLock { s in
                s.active.remove(id)
                s.expired.remove(id)
            }
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Value?, Never>) in
                let immediate: Value?? = state.withLock { s in
                    if let v = s.value { return .some(v) }
                    if Task.isCancelled || s.expired.contains(id) { return .some(nil) }
                    s.waiters[id] = c
                    return nil
                }
                if let immediate { c.resume(returning: immediate) }
            }
        } onCancel: {
            self.expire(id)
        }
    }

    /// The value, waiting as long as it takes (nil only if the waiting task is cancelled).
    public func value() async -> Value? {
        while !Task.isCancelled {
            if let v = await value(before: .now + .seconds(3600)) { return v }
        }
        return current
    }

    private func expire(_ id: Int) {
        let c: CheckedContinuation<Value?, Never>? = state.withLock { s in
            if let c = s.waiters.removeValue(forKey: id) { return c }
            if s.active.contains(id) { s.expired.insert(id) }
            return nil
        }
        c?.resume(returning: nil)
    }
}

/// A counting semaphore for async code: at most `limit` holders at once, the others wait
/// in FIFO order. A waiter that is cancelled leaves the queue.
public final class AsyncSemaphore: Sendable {
    private struct State {
        var available: Int
        var queue: [(Int, CheckedContinuation<Bool, Never>)] = []
        var nextID = 0
    }
    private let state: Mutex<State>
    public let limit: Int

    public init(limit: Int) {
        precondition(limit > 0)
        self.limit = limit
        state = Mutex(State(available: limit))
    }

    /// Holders plus waiters.
    public var load: (held: Int, waiting: Int) {
        state.withLock { (limit - $0.available, $0.queue.count) }
    }

    /// Takes a permit, waiting for one if needed. Returns false when the task was cancelled
    /// while waiting (then no permit is held).
    public func acquire() async -> Bool {
        let id: Int? = state.withLock { s in
            if s.available > 0 {
                s.available -= 1
                return nil
            }
            s.nextID += 1
            return s.nextID
        }
        guard let id else { return true }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                let granted: Bool? = state.withLock { s in
                    if Task.isCancelled { return false }
                    if s.available > 0 {
                        s.available -= 1
                        return true
                    }
                    s.queue.append((id, c))
                    return nil
                }
                if let granted { c.resume(returning: granted) }
            }
        } onCancel: {
            let c: CheckedContinuation<Bool, Never>? = state.withLock { s in
                guard let i = s.queue.firstIndex(where: { $0.0 == id }) else { return nil }
                return s.queue.remove(at: i).1
            }
            c?.resume(returning: false)
        }
    }

    /// Returns a permit, handing it to the first waiter if there is one.
    public func release() {
        let next: CheckedContinuation<Bool, Never>? = state.withLock { s in
            if s.queue.isEmpty {
                s.available += 1
                return nil
            }
            return s.queue.removeFirst().1
        }
        next?.resume(returning: true)
    }
}

/// A least-recently-used map with a fixed capacity (not thread-safe by itself).
struct LRUCache<Value> {
    private struct Node {
        var key: String
        var value: Value
        var prev: Int
        var next: Int
    }
    private var nodes: [Node] = []
    private var index: [String: Int] = [:]
    private var head = -1 // most recent
    private var tail = -1 // least recent
    let capacity: Int
    private(set) var evictions = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { index.count }

    mutating func get(_ key: String) -> Value? {
        guard let i = index[key] else { return nil }
        moveToFront(i)
        return nodes[i].value
    }

    mutating func set(_ key: String, _ value: Value) {
        if let i = index[key] {
            nodes[i].value = value
            moveToFront(i)
            return
        }
        let i: Int
        if nodes.count < capacity {
            i = nodes.count
            nodes.append(Node(key: key, value: value, prev: -1, next: -1))
        } else {
            // Reuse the least recently used node.
            i = tail
            unlink(i)
            index[nodes[i].key] = nil
            nodes[i].key = key
            nodes[i].value = value
            evictions += 1
        }
        index[key] = i
        pushFront(i)
    }

    private mutating func moveToFront(_ i: Int) {
        guard head != i else { return }
        unlink(i)
        pushFront(i)
    }

    private mutating func unlink(_ i: Int) {
        let p = nodes[i].prev, n = nodes[i].next
        if p >= 0 { nodes[p].next = n } else { head = n }
        if n >= 0 { nodes[n].prev = p } else { tail = p }
        nodes[i].prev = -1
        nodes[i].next = -1
    }

    private mutating func pushFront(_ i: Int) {
        nodes[i].prev = -1
        nodes[i].next = head
        if head >= 0 { nodes[head].prev = i }
        head = i
        if tail < 0 { tail = i }
    }
}
