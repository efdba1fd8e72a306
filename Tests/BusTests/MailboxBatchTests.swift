import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Bus

/// `Mailbox.offerBatch`: how a network transport's reader thread hands events over.
@Suite struct MailboxBatchTests {
    func mailbox(_ policy: OverflowPolicy) -> Mailbox {
        Mailbox(id: 1, name: "m", patterns: [TopicPattern("x.*")], typeMask: ~0, policy: policy, monitor: nil)
    }

    func ring(_ seqs: ClosedRange<Int>) -> Ring<Envelope> {
        let r = Ring<Envelope>(capacity: 4)
        for i in seqs { r.append(Envelope(bar("X", i), source: "t/p", seq: UInt64(i), published: .epoch, topic: "x.y")) }
        return r
    }

    func drain(_ m: Mailbox) async -> [UInt64] {
        let sub = Subscription(mailbox: m) { _ in }
        m.finish()
        return await collect(sub, .max).map(\.seq)
    }

    @Test func aBatchIntoAnEmptyQueueIsSwappedInWhole() async {
        let m = mailbox(.suspend(capacity: 10))
        var batch = ring(1...5)
        let original = batch
        #expect(m.offerBatch(&batch, parker: ThreadParker()))
        #expect(batch.isEmpty)
        #expect(batch !== original, "the caller got the mailbox's empty ring back")
        #expect(m.stats.accepted == 5 && m.stats.depth == 5)
        var more = ring(6...7)
        #expect(m.offerBatch(&more, parker: ThreadParker()))
        #expect(await drain(m) == [1, 2, 3, 4, 5, 6, 7])
    }

    @Test func dropNewestAndDropOldestCountExactly() async {
        let newest = mailbox(.dropNewest(capacity: 4))
        var a = ring(1...3)
        _ = newest.offerBatch(&a, parker: ThreadParker())
        var b = ring(4...10)
        _ = newest.offerBatch(&b, parker: ThreadParker())
        #expect(newest.stats.dropped == 6)
        #expect(await drain(newest) == [1, 2, 3, 4])

        let oldest = mailbox(.dropOldest(capacity: 4))
        var c = ring(1...3)
        _ = oldest.offerBatch(&c, parker: ThreadParker())
        var d = ring(4...10)
        _ = oldest.offerBatch(&d, parker: ThreadParker())
        #expect(oldest.stats.dropped == 6)
        #expect(await drain(oldest) == [7, 8, 9, 10])
    }

    @Test func suspendParksTheProducerThreadUntilTheConsumerTakes() async throws {
        let m = mailbox(.suspend(capacity: 4))
        let done = Atomic<Bool>(false)
        let thread = Thread {
            var batch = self.ring(1...10)
            _ = m.offerBatch(&batch, parker: ThreadParker())
            done.store(true, ordering: .relaxed)
        }
        thread.start()
        try await eventually("the producer parks on the full queue") { m.stats.blockedPublishers == 1 }
        #expect(m.stats.depth == 4)
        let finishedEarly = done.load(ordering: .relaxed)
        #expect(!finishedEarly)
        let sub = Subscription(mailbox: m) { _ in }
        let got = try await withTimeout { await collect(sub, 10) }
        #expect(got.map(\.seq) == Array(1...10))
        try await eventually("the producer finished") { done.load(ordering: .relaxed) }
        #expect(m.stats.dropped == 0 && m.stats.blockedPublishers == 0)
    }

    @Test(arguments: ["cancel", "finish"])
    func aParkedProducerIsReleasedWhenTheSubscriptionEnds(_ how: String) async throws {
        let m = mailbox(.suspend(capacity: 2))
        let result = Mutex<Bool?>(nil)
        let thread = Thread {
            var batch = self.ring(1...5)
            let open = m.offerBatch(&batch, parker: ThreadParker())
            result.withLock { $0 = open && batch.isEmpty ? true : (batch.isEmpty ? false : nil) }
        }
        thread.start()
        try await eventually("the producer parks") { m.stats.blockedPublishers == 1 }
        if how == "cancel" { _ = m.cancel(discard: false) } else { m.finish() }
        try await eventually("the producer is released") { result.withLock { $0 } != nil }
        #expect(result.withLock { $0 } == false, "offerBatch reports the subscription ended and empties the batch")
        #expect(m.stats.blockedPublishers == 0)
    }

    @Test func ringPrependAndPushKeepOrder() {
        let r = Ring<Int>(capacity: 4)
        for i in 1...4 { r.push(i) }
        #expect(r.popFirst() == 1)
        r.prepend(1)
        r.prepend(0)
        var out: [Int] = []
        while let x = r.popFirst() { out.append(x) }
        #expect(out == [0, 1, 2, 3, 4])
    }
}
