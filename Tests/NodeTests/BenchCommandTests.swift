import Testing
@testable import Node

/// The bench commands' options (their figures are for release builds; here only that they
/// run and refuse bad input).
@Suite struct BenchCommandTests {
    @Test(arguments: [
        (["bench", "codec", "--repeat", "0"], 64),
        (["bench", "codec", "--iterations", "x"], 64),
        (["bench", "backtest", "--repeat", "101"], 64),
        (["bench", "backtest", "--bars", "10"], 64),
        (["bench", "bus", "--repeat", "2"], 64),
        (["bench", "codec", "--iterations", "2000", "--repeat", "2", "--json"], 0),
        (["bench", "backtest", "--bars", "300", "--repeat", "2", "--json"], 0),
    ] as [([String], Int32)])
    func exitCodes(argv: [String], code: Int32) async {
        #expect(await CommandRegistry.main(argv) == code)
    }
}
