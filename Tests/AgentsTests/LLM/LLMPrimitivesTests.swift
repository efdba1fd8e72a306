import Synchronization
import Testing
@testable import Agents
import Bus

@Suite struct LLMPrimitivesTests {
    @Test func promiseWaitersGetTheValueOrNilAtTheirDeadline() async {
        let p = Promise<Int>()
        // Nobody fulfils: the wait ends with nil at the deadline.
        #expect(await p.value(before: .now + .milliseconds(20)) == nil)
        #expect(await p.value(before: .now - .seconds(1)) == nil)
        async let waiter = p.value(before: .now + .seconds(30))
        try? await Task.sleep(for: .milliseconds(20))
        #expect(p.fulfill(7))
        #expect(await waiter == 7)
        #expect(!p.fulfill(8))
        #expect(p.current == 7)
        #expect(await p.value(before: .now) == 7)
    }

    @Test func promiseWaitEndsWhenTheTaskIsCancelled() async {
        let p = Promise<Int>()
        let t = Task { await p.value(before: .now + .seconds(60)) }
        try? await Task.sleep(for: .milliseconds(20))
        t.cancel()
        #expect(await t.value == nil)
    }

    @Test func semaphoreLimitsHolders() async {
        let s = AsyncSemaphore(limit: 2)
        final class Active: Sendable { let m = Mutex((now: 0, max: 0)) }
        let active = Active()
        await withTaskGroup(of: Void.self) { g in
            for _ in 0..<8 {
                g.addTask {
                    guard await s.acquire() else { return }
                    active.m.withLock { $0.now += 1; $0.max = max($0.max, $0.now) }
                    try? await Task.sleep(for: .milliseconds(5))
                    active.m.withLock { $0.now -= 1 }
                    s.release()
                }
            }
        }
        #expect(active.m.withLock { $0.max } == 2)
        #expect(s.load.held == 0 && s.load.waiting == 0)
    }

    @Test func cancelledSemaphoreWaitersLeaveTheQueue() async {
        let s = AsyncSemaphore(limit: 1)
        #expect(await s.acquire())
        let waiter = Task { await s.acquire() }
        while s.load.waiting == 0 { await Task.yield() }
        waiter.cancel()
        #expect(await waiter.value == false)
        #expect(s.load.waiting == 0)
        s.release()
        #expect(s.load.held == 0)
    }

    @Test func lruEvictsTheLeastRecentlyUsed() {
        var c = LRUCache<Int>(capacity: 3)
        c.set("a", 1); c.set("b", 2); c.set("c", 3)
        #expect(c.get("a") == 1) // a is now the most recent
        c.set("d", 4)            // evicts b
        #expect(c.get("b") == nil)
        #expect(c.get("a") == 1 && c.get("c") == 3 && c.get("d") == 4)
        c.set("c", 30)
        c.set("e", 5)            // evicts a (c, d were used after it)
        #expect(c.get("a") == nil && c.get("c") == 30)
        #expect(c.count == 3 && c.evictions == 2)
    }

    @Test(arguments: [
        (#"{"a":1}"#, #"{"type":"object","properties":{"a":{"type":"integer"}}}"#, nil),
        (#"{"a":1.5}"#, #"{"type":"object","properties":{"a":{"type":"integer"}}}"#, "$.a: expected integer, found a number"),
        (#"[1,"x"]"#, #"{"type":"array","items":{"type":"number"}}"#, "$[1]: expected number, found a string"),
        (#"[1,2,3]"#, #"{"type":"array","maxItems":2}"#, "$: more than 2 items"),
        (#""sell""#, #"{"enum":["buy","hold"]}"#, #"$: "sell" is not one of ["buy","hold"]"#),
        (#"null"#, #"{"type":["string","null"]}"#, nil),
        (#""ab""#, #"{"type":"string","minLength":3}"#, "$: shorter than 3 characters"),
        (#"{"x":{"y":-2}}"#, #"{"properties":{"x":{"properties":{"y":{"minimum":-1}}}}}"#, "$.x.y: -2 is below the minimum -1"),
        (#"{"k":"v"}"#, #"{"additionalProperties":{"type":"number"}}"#, "$.k: expected number, found a string"),
    ])
    func schemaChecks(value: String, schema: String, problem: String?) throws {
        let s = JSONSchema(name: "t", schema: try JSONValue(parsing: schema))
        #expect(s.violation(in: try JSONValue(parsing: value)) == problem)
    }
}

/// `Retry-After` as seconds or as an HTTP date (RFC 9110: all three date forms).
@Suite struct HTTPDateTests {
    // 1994-11-06T08:49:37Z, the RFC's example, is 784111777 s after the epoch.
    @Test(arguments: [
        ("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777 as Int64?),
        ("Sunday, 06-Nov-94 08:49:37 GMT", 784_111_777),
        ("Sun Nov  6 08:49:37 1994", 784_111_777),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
        ("Tue, 29 Feb 2028 23:59:59 GMT", 1_835_481_599),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 1_445_412_480),
        ("Sun, 31 Nov 1994 08:49:37 GMT", nil),  // no 31 November
        ("Mon, 29 Feb 2027 00:00:00 GMT", nil),  // not a leap year
        ("Sun, 06 Nov 1994 24:00:00 GMT", nil),
        ("Sun, 06 Foo 1994 08:49:37 GMT", nil),
        ("Sun, 06 Nov 1994 8:49:37 GMT", nil),
        ("Sun, 06 Nov 1994 GMT", nil),
        ("120", nil),
        ("", nil),
    ])
    func parsesTheThreeForms(text: String, expected: Int64?) {
        #expect(HTTPDate.parse(text) == expected)
    }

    @Test func retryAfterIsSecondsOrADateAgainstTheAnswersOwnDate() {
        #expect(HTTPDate.retryAfterSeconds(" 7 ", date: nil) == 7)
        #expect(HTTPDate.retryAfterSeconds("1.5", date: nil) == 1.5)
        #expect(HTTPDate.retryAfterSeconds("Wed, 21 Oct 2015 07:28:30 GMT", date: "Wed, 21 Oct 2015 07:28:00 GMT") == 30)
        // A date already past: no wait. Without the server's Date there is no "now" to count from.
        #expect(HTTPDate.retryAfterSeconds("Wed, 21 Oct 2015 07:27:00 GMT", date: "Wed, 21 Oct 2015 07:28:00 GMT") == 0)
        #expect(HTTPDate.retryAfterSeconds("Wed, 21 Oct 2015 07:28:30 GMT", date: nil) == nil)
        #expect(HTTPDate.retryAfterSeconds("soon", date: "Wed, 21 Oct 2015 07:28:00 GMT") == nil)
        #expect(HTTPDate.retryAfterSeconds("inf", date: nil) == nil)
    }

    /// The client takes an HTTP-date `Retry-After` (it used to read only seconds).
    @Test func theClientReadsADateRetryAfter() throws {
        let client = try ChatCompletionsClient(config: LLMConfig(baseURL: "http://127.0.0.1:9", model: "m", apiKeyEnv: nil))
        let answer = HTTPResponse(status: 429, headers: ["retry-after": "Wed, 21 Oct 2015 07:28:02 GMT", "date": "Wed, 21 Oct 2015 07:28:00 GMT"], body: [])
        let request = ChatRequest(messages: [.user("x")], schema: nil)
        guard case .failure(let f) = client.interpretHTTP(answer, request, attempts: 1) else {
            Issue.record("expected a failure")
            return
        }
        #expect(f.kind == .rateLimited && f.retryAfter == 2)
    }
}
