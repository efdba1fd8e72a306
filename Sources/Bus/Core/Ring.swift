/// A growable FIFO ring buffer.
///
/// It is a class so that a mailbox and its consumer can swap whole batches in O(1).
/// Ownership rule (why it is `@unchecked Sendable`): a ring is touched either under its
/// mailbox's lock, or by the single consumer that swapped it out of the mailbox.
final class Ring<Element>: @unchecked Sendable {
    @exclusivity(unchecked) private var storage: UnsafeMutablePointer<Element>
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private var head = 0
    @exclusivity(unchecked) private(set) var count = 0

    init(capacity: Int = 16) {
        self.capacity = max(4, capacity)
        storage = .allocate(capacity: self.capacity)
    }

    deinit {
        removeAll()
        storage.deallocate()
    }

    @inline(__always) var isEmpty: Bool { count == 0 }

    @inline(__always) func append(_ e: Element) {
        if count == capacity { grow() }
        var tail = head + count
        if tail >= capacity { tail -= capacity }
        (storage + tail).initialize(to: e)
        count += 1
    }

    /// `append` taking ownership of the element (no copy when it is the caller's last use).
    @inline(__always) func push(_ e: consuming Element) {
        if count == capacity { grow() }
        var tail = head + count
        if tail >= capacity { tail -= capacity }
        (storage + tail).initialize(to: e)
        count += 1
    }

    @inline(__always) func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let e = (storage + head).move()
        head += 1
        if head == capacity { head = 0 }
        count -= 1
        if count == 0 { head = 0 }
        return e
    }

    /// Calls `body` with every element in order, each borrowed where it lies (not moved out
    /// first), and removes it after the call.
    @inline(__always) func drain(_ body: (borrowing Element) throws -> Void) rethrows {
        while count > 0 {
            let slot = storage + head
            head += 1
            if head == capacity { head = 0 }
            count -= 1
            // Removed before the call: an error leaves the ring consistent.
            defer { slot.deinitialize(count: 1) }
            try body(slot.pointee)
        }
        head = 0
    }

    /// Puts an element back at the front (the next `popFirst` returns it).
    func prepend(_ e: Element) {
        if count == capacity { grow() }
        head = head == 0 ? capacity - 1 : head - 1
        (storage + head).initialize(to: e)
        count += 1
    }

    /// Drops the oldest element.
    func removeFirst() {
        _ = popFirst()
    }

    func removeAll() {
        while count > 0 { _ = popFirst() }
        head = 0
    }

    private func grow() {
        let newCapacity = capacity * 2
        let fresh = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        let firstPart = min(count, capacity - head)
        (fresh).moveInitialize(from: storage + head, count: firstPart)
        if firstPart < count { (fresh + firstPart).moveInitialize(from: storage, count: count - firstPart) }
        storage.deallocate()
        storage = fresh
        capacity = newCapacity
        head = 0
    }
}
