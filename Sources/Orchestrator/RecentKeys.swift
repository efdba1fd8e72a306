/// A set that remembers the last `capacity` keys inserted (the orchestrator's decided
/// cycles, so that a late event never opens one again).
///
/// Looked up once per cycle and added to once per decision, with tens of thousands of keys
/// remembered. A `Set<String>` that size costs about a microsecond per operation here: its
/// probes land on strings scattered over the heap. This one looks up 64-bit digests of the
/// keys in a table of integers and touches the strings themselves only to confirm a digest
/// it found (a late event, or two keys with one digest: it stays exact) and to evict the
/// oldest. Confirming scans the remembered keys (up to 65,536 digests compared, tens of
/// µs): paid only by a late event, which is rare and logged anyway.
struct RecentKeys {
    /// How many remembered keys have each digest.
    private var digests: [UInt64: UInt32] = [:]
    /// The remembered keys in insertion order (a ring once full).
    private var order: [(digest: UInt64, key: String)] = []
    private var head = 0
    let capacity: Int
    private let digest: @Sendable (String) -> UInt64

    init(capacity: Int, digest: @escaping @Sendable (String) -> UInt64 = RecentKeys.fnv1a) {
        precondition(capacity >= 1, "RecentKeys holds at least one key")
        self.capacity = capacity
        self.digest = digest
        digests.reserveCapacity(min(capacity, 1 << 16))
        order.reserveCapacity(min(capacity, 1 << 16))
    }

    var count: Int { order.count }

    func contains(_ key: String) -> Bool {
        contains(key, digest(key))
    }

    private func contains(_ key: String, _ d: UInt64) -> Bool {
        guard digests[d] != nil else { return false }
        return order.contains { $0.digest == d && $0.key == key }
    }

    mutating func insert(_ key: String) {
        let d = digest(key)
        if contains(key, d) { return }
        digests[d, default: 0] += 1
        if order.count < capacity {
            order.append((d, key))
            return
        }
        let old = order[head].digest
        if let n = digests[old], n > 1 { digests[old] = n - 1 } else { digests[old] = nil }
        order[head] = (d, key)
        head = head + 1 == capacity ? 0 : head + 1
    }

    /// FNV-1a over the key's UTF-8: the same digest in every process and run.
    @Sendable static func fnv1a(_ key: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key.utf8 {
            h ^= UInt64(b)
            h &*= 0x0000_0100_0000_01b3
        }
        return h
    }
}
