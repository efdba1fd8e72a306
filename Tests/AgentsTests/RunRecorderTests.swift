import Testing
@testable import Agents
import Bus

/// The recorder joins bars and snapshots by event time, so how two publishers' events
/// interleave (which differs between one process and several) never changes the reports.
@Suite struct RunRecorderTests {
    static func bar(_ day: Int64, close: Double) -> Envelope {
        Envelope(Bar(symbol: "X", time: Timestamp(seconds: day * 86_400), open: close, high: close, low: close, close: close, volume: 1),
                 source: "feed/market-data", seq: UInt64(day + 1), published: .epoch)
    }

    static func snapshot(_ day: Int64, equity: Double, seq: UInt64) -> Envelope {
        Envelope(PortfolioSnapshot(time: Timestamp(seconds: day * 86_400), cash: equity, equity: equity, peakEquity: equity, drawdown: 0,
                                   realizedPnL: 0, unrealizedPnL: 0, fees: 0, sectorExposure: [:]),
                 source: "core/portfolio", seq: seq, published: .epoch)
    }

    /// Bars 0…3; snapshots: mark at day 1 (105), fill at day 2 (103) then mark at day 2 (107).
    static let bars = (0..<4).map { bar(Int64($0), close: 100 + Double($0)) }
    static let snaps = [snapshot(1, equity: 105, seq: 1), snapshot(2, equity: 103, seq: 2), snapshot(2, equity: 107, seq: 3)]

    static func record(_ events: [Envelope]) -> RunRecorder {
        var r = RunRecorder(initialCash: 100)
        for e in events { r.record(e) }
        return r
    }

    @Test func equityIsTheLastSnapshotAtOrBeforeEachBar() {
        // One process: each snapshot right after the bar it belongs to.
        let r = Self.record([Self.bars[0], Self.bars[1], Self.snaps[0], Self.bars[2], Self.snaps[1], Self.snaps[2], Self.bars[3]])
        #expect(r.equity == [100, 105, 107, 107])
        #expect(r.closes["X"] == [100, 101, 102, 103])
    }

    @Test(arguments: 0..<20)
    func anyInterleavingOfTheTwoPublishersGivesTheSameCurve(seed: UInt64) {
        // Keep each publisher's own order; shuffle how the two streams interleave.
        var rng = SplitMix64(seed: seed)
        var a = Self.bars[...], b = Self.snaps[...]
        var merged: [Envelope] = []
        while !a.isEmpty || !b.isEmpty {
            if b.isEmpty || (!a.isEmpty && rng.next() % 2 == 0) { merged.append(a.popFirst()!) } else { merged.append(b.popFirst()!) }
        }
        let r = Self.record(merged)
        #expect(r.equity == [100, 105, 107, 107])
        #expect(r.times.count == 4)
    }
}
