import Bus

/// A seeded synthetic trade journal that can carry any of the behavioural patterns.
///
/// The clean journal is built so that no rule fires: a fixed number of trades a day,
/// inside 09:40–16:00 (UTC, i.e. the default trader's clock), at least 40 minutes between
/// one exit and the next entry, sizes within ±10% of a base, winners and losers held
/// alike, losses never beyond the stop, and never three losses in a row. Each injected
/// pattern changes only what that pattern needs:
///
/// | pattern | injection |
/// |---|---|
/// | revenge trading | on every 5th day, after a loss: an entry 4 min after it at normal size, or 20 min after it at 1.7× size (always a loser) |
/// | overtrading | every 7th day has three times the trades, winning less often |
/// | tilt | every 6th day opens with three losses, and trading goes on |
/// | disposition effect | losers held 50–58 min, winners 15–25 min (30% of them 3–6 min) |
/// | stop discipline | some losses run to −1.5R … −2.5R |
/// | size creep | after four wins in a row the next trade is 1.8× the size |
/// | outside hours | every 8th day has an extra trade at 17:30 |
///
/// Times scale with `tradesPerDay` (the layout above is for 4 a day); the journal is the
/// same for the same options on every platform.
public enum SyntheticJournal {
    public struct Options: Sendable, Equatable {
        public var trades: Int
        public var seed: UInt64
        public var inject: Set<PatternKind>
        public var tradesPerDay: Int
        /// The first day (skipped forward to a weekday).
        public var start: Timestamp
        public var symbols: [String]

        public init(trades: Int = 400, seed: UInt64 = 1, inject: Set<PatternKind> = [], tradesPerDay: Int = 4,
                    start: Timestamp = Timestamp(seconds: 1_704_153_600), // 2024-01-02
                    symbols: [String] = ["AAPL", "MSFT", "NVDA", "AMZN", "TSLA", "META", "GOOG", "SPY"]) {
            self.trades = trades
            self.seed = seed
            self.inject = inject
            self.tradesPerDay = max(1, tradesPerDay)
            self.start = start
            self.symbols = symbols
        }
    }

    enum Outcome { case win, loss, scratch }

    public static func generate(_ o: Options) -> [JournalTrade] {
        var rng = SplitMix64(seed: o.seed)
        var out: [JournalTrade] = []
        out.reserveCapacity(o.trades + 8)
        let perDay = o.tradesPerDay
        let scale = 4.0 / Double(perDay) // 90-minute spacing at 4 a day
        let minute: Int64 = 60
        var prices = o.symbols.map { _ in 20 + 480 * rng.nextUnit() }
        var day = o.start.dayNumber
        var dayIndex = 0
        var lossesInARow = 0
        var winsInARow = 0
        var tradeIndex = 0
        let setups = ["breakout", "pullback", "reversal", "news"]
        let inject = o.inject

        func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * rng.nextUnit() }

        /// Decides an outcome under the clean rule (never three losses in a row) unless forced.
        func outcome(winProbability p: Double, forced: Outcome? = nil, allowStreak: Bool = false) -> Outcome {
            var r: Outcome
            if let forced { r = forced } else {
                let u = rng.nextUnit()
                r = u < 0.03 ? .scratch : (u < 0.03 + 0.97 * p ? .win : .loss)
            }
            if r == .loss && lossesInARow >= 2 && !allowStreak { r = .win }
            switch r {
            case .win: winsInARow += 1; lossesInARow = 0
            case .loss: lossesInARow += 1; winsInARow = 0
            case .scratch: winsInARow = 0; lossesInARow = 0
            }
            return r
        }

        func emit(entry: Int64, holdMinutes: Double, size: Double, outcome: Outcome, stopBlowout: Bool = false) {
            let s = Int(rng.next() % UInt64(o.symbols.count))
            prices[s] = max(5, prices[s] * (1 + 0.01 * (rng.nextUnit() - 0.5)))
            let entryPrice = (prices[s] * 100).rounded() / 100
            let riskPerShare = max(0.05, (entryPrice * uniform(0.005, 0.015) * 100).rounded() / 100)
            let long = rng.nextUnit() < 0.65
            let quantity = max(1, (10_000 * size / entryPrice).rounded())
            let r: Double
            switch outcome {
            case .win: r = uniform(0.2, 2.0)
            case .loss: r = stopBlowout ? uniform(-2.5, -1.5) : uniform(-1.0, -0.2)
            case .scratch: r = 0
            }
            let move = (r * riskPerShare * 100).rounded() / 100
            let exitPrice = max(0.01, ((long ? entryPrice + move : entryPrice - move) * 100).rounded() / 100)
            let stop = long ? entryPrice - riskPerShare : entryPrice + riskPerShare
            let fees = outcome == .scratch ? 0 : (quantity * 0.005 * 100).rounded() / 100
            let tagged = rng.nextUnit() < 0.6
            let tag = setups[Int(rng.next() % UInt64(setups.count))]
            let exit = entry + Int64((holdMinutes * 60).rounded())
            tradeIndex += 1
            out.append(JournalTrade(
                id: String(tradeIndex), symbol: o.symbols[s], side: long ? .long : .short, quantity: quantity,
                entryTime: Timestamp(seconds: entry), entryPrice: entryPrice, exitTime: Timestamp(seconds: exit), exitPrice: exitPrice,
                fees: fees, stopPrice: (stop * 100).rounded() / 100, tags: tagged ? [tag] : []))
        }

        while out.count < o.trades {
            let weekday = Int((day % 7 + 7 + 3) % 7) + 1
            if weekday >= 6 { day += 1; continue }
            dayIndex += 1
            let base = day * 86_400
            let overtrading = inject.contains(.overtrading) && dayIndex % 7 == 3
            let tilt = inject.contains(.tilt) && dayIndex % 6 == 2
            let revenge = inject.contains(.revengeTrading) && dayIndex % 5 == 1
            let outside = inject.contains(.outsideHours) && dayIndex % 8 == 4
            let slots = overtrading ? perDay * 3 : perDay
            let spacing = (overtrading ? 30.0 : 90.0) * scale
            var revengeDone = false
            for slot in 0..<slots {
                let entry = base + (9 * 60 + 40) * minute + Int64((Double(slot) * spacing * 60).rounded())
                let bigAfterStreak = inject.contains(.sizeCreep) && winsInARow >= 4
                let forced: Outcome? = tilt && slot < 3 ? .loss : (tilt && slot >= 3 && rng.nextUnit() < 0.7 ? .loss : nil)
                let p = overtrading ? 0.3 : (bigAfterStreak ? 0.4 : 0.52)
                let result = outcome(winProbability: p, forced: forced, allowStreak: tilt)
                var hold: Double
                if overtrading {
                    hold = uniform(4, 15)
                } else if inject.contains(.dispositionEffect) {
                    hold = result == .loss ? uniform(50, 58) : (rng.nextUnit() < 0.3 ? uniform(3, 6) : uniform(15, 25))
                } else {
                    hold = uniform(10, 50)
                }
                hold *= scale
                let size = (bigAfterStreak ? 1.8 : 1) * uniform(0.9, 1.1)
                let blowout = inject.contains(.stopDiscipline) && result == .loss && (tradeIndex % 9 == 4 || tradeIndex % 9 == 7)
                emit(entry: entry, holdMinutes: hold, size: size, outcome: result, stopBlowout: blowout)
                if revenge && !revengeDone && result == .loss && lossesInARow == 1 && !tilt {
                    revengeDone = true
                    let exit = out[out.count - 1].exitTime.wholeSeconds
                    if dayIndex % 10 == 1 {
                        // Quick re-entry at normal size.
                        let r2 = outcome(winProbability: 0.25)
                        emit(entry: exit + Int64(4 * scale * 60), holdMinutes: 6 * scale, size: uniform(0.9, 1.1), outcome: r2)
                    } else {
                        // Bigger re-entry, a loser.
                        _ = outcome(winProbability: 0, forced: .loss)
                        emit(entry: exit + Int64(20 * scale * 60), holdMinutes: 6 * scale, size: 1.7 * uniform(0.9, 1.1), outcome: .loss)
                    }
                }
                if out.count >= o.trades { break }
            }
            if outside && out.count < o.trades {
                let r = outcome(winProbability: 0.45)
                emit(entry: base + (17 * 60 + 30) * minute, holdMinutes: 20 * scale, size: uniform(0.9, 1.1), outcome: r)
            }
            day += 1
        }
        if out.count > o.trades { out.removeLast(out.count - o.trades) }
        return out
    }
}
