import Synchronization
import Testing
@testable import Agents
import Bus

actor Counter {
    nonisolated let unownedExecutor: UnownedSerialExecutor
    var value = 0
    init(_ e: AgentExecutor) { unownedExecutor = e.asUnownedSerialExecutor() }
    func bump() -> Int {
        value += 1
        return value
    }
}

@Suite struct AgentExecutorTests {
    @Test func actorsSharingTheExecutorRunSerially() async {
        let e = AgentExecutor(name: "test")
        let a = Counter(e), b = Counter(e)
        await withTaskGroup(of: Void.self) { g in
            for _ in 0..<100 {
                g.addTask { _ = await a.bump() }
                g.addTask { _ = await b.bump() }
            }
        }
        #expect(await a.value == 100)
        #expect(await b.value == 100)
        e.stop()
    }
}
