import Bus

/// Turns fills (one row per execution) into round-trip trades.
///
/// Fills are taken in time order (the file order for equal times), per symbol. A round
/// trip starts when a position opens from flat and ends when it is flat again; fills in
/// the direction of the position add lots (partial fills, scaling in), fills against it
/// close lots first-in-first-out (partial exits). A fill larger than the position closes
/// it and opens a new round trip the other way with the rest; its fee is split
/// pro rata. The trade's prices are the volume-weighted averages of its entry and exit
/// fills, and its P&L the FIFO-matched result minus every fee it carries.
public enum ExecutionPairing {
    public struct Fill: Sendable, Hashable {
        public var time: Timestamp
        public var symbol: String
        public var side: Side
        public var quantity: Double
        public var price: Double
        public var fee: Double
        /// The line of the export it came from (its round trip's id is `L<line>`).
        public var line: Int

        public init(time: Timestamp, symbol: String, side: Side, quantity: Double, price: Double, fee: Double = 0, line: Int) {
            self.time = time
            self.symbol = symbol
            self.side = side
            self.quantity = quantity
            self.price = price
            self.fee = fee
            self.line = line
        }
    }

    /// A position still open when the fills end.
    public struct OpenPosition: Sendable, Equatable {
        public var symbol: String
        public var side: PositionSide
        public var quantity: Double
        public var averagePrice: Double
        public var since: Timestamp
        /// The line of the fill that opened it.
        public var line: Int
    }

    struct Lot { var quantity: Double; var price: Double }

    struct Position {
        var side: PositionSide = .long
        var lots: [Lot] = []
        var head = 0
        var firstTime = Timestamp.epoch
        var firstLine = 0
        var entryQuantity = 0.0
        var entryNotional = 0.0
        var exitQuantity = 0.0
        var exitNotional = 0.0
        var fees = 0.0
        var realized = 0.0
        var isFlat: Bool { head >= lots.count }

        mutating func open(_ f: Fill, side s: PositionSide, quantity q: Double, fee: Double) {
            self = Position()
            side = s
            firstTime = f.time
            firstLine = f.line
            add(q, f.price, fee)
        }

        mutating func add(_ q: Double, _ price: Double, _ fee: Double) {
            lots.append(Lot(quantity: q, price: price))
            entryQuantity += q
            entryNotional += q * price
            fees += fee
        }
    }

    public static func pair(_ fills: [Fill]) -> (trades: [JournalTrade], open: [OpenPosition]) {
        // Stable order by time.
        let order = fills.indices.sorted { fills[$0].time != fills[$1].time ? fills[$0].time < fills[$1].time : $0 < $1 }
        var positions: [String: Position] = [:]
        var trades: [JournalTrade] = []
        for k in order {
            let f = fills[k]
            let dir: PositionSide = f.side == .buy ? .long : .short
            var p = positions[f.symbol] ?? Position()
            if p.isFlat {
                p.open(f, side: dir, quantity: f.quantity, fee: f.fee)
            } else if p.side == dir {
                p.add(f.quantity, f.price, f.fee)
            } else {
                var remaining = f.quantity
                let eps = 1e-9 * max(1, f.quantity)
                let sign = p.side == .long ? 1.0 : -1.0
                while remaining > eps && !p.isFlat {
                    let m = min(remaining, p.lots[p.head].quantity)
                    p.realized += sign * (f.price - p.lots[p.head].price) * m
                    p.exitQuantity += m
                    p.exitNotional += m * f.price
                    p.lots[p.head].quantity -= m
                    remaining -= m
                    if p.lots[p.head].quantity <= 1e-9 * max(1, m) { p.head += 1 }
                }
                if remaining <= eps { remaining = 0 }
                let closeFee = f.fee * (f.quantity - remaining) / f.quantity
                p.fees += closeFee
                if p.isFlat {
                    trades.append(JournalTrade(
                        id: "L\(p.firstLine)", symbol: f.symbol, side: p.side, quantity: p.entryQuantity,
                        entryTime: p.firstTime, entryPrice: p.entryNotional / p.entryQuantity,
                        exitTime: f.time, exitPrice: p.exitNotional / p.exitQuantity,
                        fees: p.fees, pnl: p.realized - p.fees))
                    if remaining > 0 {
                        p.open(f, side: dir, quantity: remaining, fee: f.fee - closeFee)
                    } else {
                        p = Position()
                    }
                }
            }
            positions[f.symbol] = p
        }
        var open: [OpenPosition] = []
        for (symbol, p) in positions where !p.isFlat {
            var q = 0.0, notional = 0.0
            for lot in p.lots[p.head...] { q += lot.quantity; notional += lot.quantity * lot.price }
            open.append(OpenPosition(symbol: symbol, side: p.side, quantity: q, averagePrice: notional / q, since: p.firstTime, line: p.firstLine))
        }
        open.sort { $0.line < $1.line }
        trades.sort { $0.entryTime != $1.entryTime ? $0.entryTime < $1.entryTime : $0.id < $1.id }
        return (trades, open)
    }
}
