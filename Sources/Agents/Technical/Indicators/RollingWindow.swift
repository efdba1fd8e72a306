/// The last `capacity` values of a series, in a fixed ring: O(1) per push, no allocation
/// after creation. The building block of the windowed indicators.
public struct RollingWindow: Sendable, Equatable {
    var storage: [Double]
    /// The slot the next value goes into (the oldest value once the window is full).
    var head = 0
    /// How many values are held (at most `capacity`).
    public private(set) var count = 0
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity >= 1, "a window holds at least one value")
        self.capacity = capacity
        storage = [Double](repeating: 0, count: capacity)
    }

    public var isFull: Bool { count == capacity }

    /// Appends `x`; returns the value it evicts once the window is full.
    @discardableResult
    public mutating func push(_ x: Double) -> Double? {
        let h = head
        head = h + 1 == capacity ? 0 : h + 1
        let full = count == capacity
        if !full { count += 1 }
        return storage.withUnsafeMutableBufferPointer { p in
            let old = p[h]
            p[h] = x
            return full ? old : nil
        }
    }

    /// The `k`-th value from the oldest (0 ..< count).
    @inline(__always) public func value(at k: Int) -> Double {
        precondition(k >= 0 && k < count, "index out of the window")
        var i = (count == capacity ? head : 0) + k
        if i >= capacity { i -= capacity }
        return storage[i]
    }

    /// Calls `body` with the values from the `k`-th oldest to the newest, in order, reading
    /// the ring's two contiguous parts directly (no index arithmetic per value).
    @inline(__always) public func forEach(from k: Int, _ body: (Double) -> Void) {
        guard k < count else { return }
        let start = count == capacity ? head : 0
        storage.withUnsafeBufferPointer { p in
            var i = start + Swift.max(0, k)
            if i >= capacity { i -= capacity }
            var left = count - Swift.max(0, k)
            while left > 0 {
                let run = Swift.min(left, capacity - i)
                for j in i..<(i + run) { body(p[j]) }
                left -= run
                i = 0
            }
        }
    }

    /// The values from oldest to newest.
    public var values: [Double] {
        var out: [Double] = []
        out.reserveCapacity(count)
        forEach { out.append($0) }
        return out
    }

    /// Calls `body` with each value, oldest first.
    public func forEach(_ body: (Double) -> Void) {
        let start = count == capacity ? head : 0
        for k in 0..<count {
            var i = start + k
            if i >= capacity { i -= capacity }
            body(storage[i])
        }
    }

    /// The sum of the values, added oldest first (used to re-anchor running sums).
    public func sum() -> Double {
        storage.withUnsafeBufferPointer { p in
            var s = 0.0
            if count == capacity {
                for i in head..<capacity { s += p[i] }
                for i in 0..<head { s += p[i] }
            } else {
                for i in 0..<count { s += p[i] }
            }
            return s
        }
    }
}

/// The running maximum (or minimum) of the last `period` values in amortised O(1) per
/// value: a monotonic deque of (index, value) in a fixed ring. Minima are kept as negated
/// maxima, so one branch-light loop serves both.
public struct RollingExtreme: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case max, min }

    public let period: Int
    public let kind: Kind
    /// +1 for a maximum, −1 for a minimum.
    let sign: Double
    var indices: [Int]
    var values: [Double]
    var front = 0
    var size = 0
    var index = -1

    public init(period: Int, kind: Kind) {
        precondition(period >= 1, "period must be at least 1")
        self.period = period
        self.kind = kind
        sign = kind == .max ? 1 : -1
        indices = [Int](repeating: 0, count: period)
        values = [Double](repeating: 0, count: period)
    }

    /// Adds `x` and returns the extreme of the last `period` values (fewer at the start).
    public mutating func update(_ x: Double) -> Double {
        index += 1
        let cap = period, i = index
        let v = x * sign
        var front = self.front, size = self.size
        let top = indices.withUnsafeMutableBufferPointer { ix in
            values.withUnsafeMutableBufferPointer { vs in
                // Drop the front when it has left the window.
                if size > 0 && ix[front] <= i - cap {
                    front = front + 1 == cap ? 0 : front + 1
                    size -= 1
                }
                // Drop from the back every value that `x` dominates (ties: keep the newest).
                while size > 0 {
                    var back = front + size - 1
                    if back >= cap { back -= cap }
                    if vs[back] > v { break }
                    size -= 1
                }
                var slot = front + size
                if slot >= cap { slot -= cap }
                ix[slot] = i
                vs[slot] = v
                size += 1
                return vs[front]
            }
        }
        self.front = front
        self.size = size
        return top * sign
    }
}
