import Testing
@testable import Agents

/// `RollingMean` against pandas 3.1's `Series.rolling(10).mean()`, bit for bit, on
/// two-decimal prices with exact ties and a run of one repeated value.
@Suite struct RollingMeanTests {
    static let closes: [Double] = [100.02, 100.0, 99.99, 99.97, 99.98, 99.99, 100.01, 100.01, 99.99, 99.98, 99.98, 99.98, 99.99, 100.0, 99.99, 99.98, 99.97, 99.96, 99.95, 99.93, 99.92, 99.94, 99.96, 99.96, 99.96, 99.97, 99.97, 99.95, 99.94, 99.92, 100.07, 100.07, 100.07, 100.07, 100.07, 100.07, 100.07, 100.07, 100.07, 100.07, 100.07, 100.07, 99.96, 99.96, 99.96, 99.94, 99.93, 99.92, 99.92, 99.94, 99.93, 99.91, 99.91, 99.91, 99.92, 99.9, 99.88, 99.86, 99.86, 99.85]
    static let pandas: [Double?] = [nil, nil, nil, nil, nil, nil, nil, nil, nil, Double(bitPattern: 0x4058ff9db22d0e56), Double(bitPattern: 0x4058ff5c28f5c28f), Double(bitPattern: 0x4058ff3b645a1cac), Double(bitPattern: 0x4058ff3b645a1cac), Double(bitPattern: 0x4058ff6c8b439581), Double(bitPattern: 0x4058ff7ced916872), Double(bitPattern: 0x4058ff6c8b439582), Double(bitPattern: 0x4058ff2b020c49ba), Double(bitPattern: 0x4058fed916872b02), Double(bitPattern: 0x4058fe978d4fdf3b), Double(bitPattern: 0x4058fe45a1cac082), Double(bitPattern: 0x4058fde353f7ceda), Double(bitPattern: 0x4058fda1cac08312), Double(bitPattern: 0x4058fd70a3d70a3e), Double(bitPattern: 0x4058fd2f1a9fbe76), Double(bitPattern: 0x4058fcfdf3b645a2), Double(bitPattern: 0x4058fced916872b0), Double(bitPattern: 0x4058fced916872b0), Double(bitPattern: 0x4058fcdd2f1a9fbe), Double(bitPattern: 0x4058fccccccccccd), Double(bitPattern: 0x4058fcbc6a7ef9db), Double(bitPattern: 0x4058fdb22d0e5604), Double(bitPattern: 0x4058fe872b020c4a), Double(bitPattern: 0x4058ff3b645a1cac), Double(bitPattern: 0x4058ffef9db22d0e), Double(bitPattern: 0x405900a3d70a3d71), Double(bitPattern: 0x40590147ae147ae1), Double(bitPattern: 0x405901eb851eb852), Double(bitPattern: 0x405902b020c49ba6), Double(bitPattern: 0x405903851eb851eb), Double(bitPattern: 0x4059047ae147ae14), Double(bitPattern: 0x4059047ae147ae14), Double(bitPattern: 0x4059047ae147ae14), Double(bitPattern: 0x405903c6a7ef9db2), Double(bitPattern: 0x405903126e978d4f), Double(bitPattern: 0x4059025e353f7ced), Double(bitPattern: 0x40590189374bc6a8), Double(bitPattern: 0x405900a3d70a3d70), Double(bitPattern: 0x4058ffae147ae147), Double(bitPattern: 0x4058feb851eb851e), Double(bitPattern: 0x4058fde353f7ced9), Double(bitPattern: 0x4058fcfdf3b645a2), Double(bitPattern: 0x4058fbf7ced91687), Double(bitPattern: 0x4058fba5e353f7ce), Double(bitPattern: 0x4058fb53f7ced916), Double(bitPattern: 0x4058fb126e978d50), Double(bitPattern: 0x4058fad0e5604189), Double(bitPattern: 0x4058fa7ef9db22d1), Double(bitPattern: 0x4058fa1cac083127), Double(bitPattern: 0x4058f9ba5e353f7d), Double(bitPattern: 0x4058f926e978d4fe)]

    @Test func matchesPandasBitForBit() {
        var m = RollingMean(period: 10)
        for (i, x) in Self.closes.enumerated() {
            let v = m.update(x)
            #expect(v?.bitPattern == Self.pandas[i]?.bitPattern, "bar \(i): \(String(describing: v)) vs \(String(describing: Self.pandas[i]))")
        }
    }

    @Test func differsFromThePlainRunningSumOnSomeTies() {
        // The reason it exists: TA-Lib-style SMA and pandas round a tied window differently.
        var a = RollingMean(period: 10), b = SMA(period: 10)
        var differ = 0
        for x in Self.closes {
            if let p = a.update(x), let q = b.update(x), p != q { differ += 1 }
        }
        #expect(differ > 0)
    }
}
