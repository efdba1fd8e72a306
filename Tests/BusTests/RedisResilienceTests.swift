import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Bus

/// The Redis transport when the server misbehaves: killed connections, restarts,
/// disconnected policies, and authentication. Each test runs its own `redis-server`.
@Suite struct RedisResilienceTests {
    static func configuration(_ server: RedisTestServer, _ prefix: String = "r.") throws -> RedisConfiguration {
        var c = try RedisConfiguration(url: server.url, prefix: prefix)
        c.reconnectInitialDelay = 0.01
        c.reconnectMaxDelay = 0.2
        return c
    }

    @Test func subscriberKilledMidStreamReconnectsAndReportsExactlyTheEventsItMissed() async throws {
        // The subscriber logs in as an ACL user the test can lock out for a moment: while it
        // cannot get back in, the stream goes on, so some events are certainly missed.
        let server = try await RedisTestServer.start(arguments: ["--user", "sub", "on", ">subpw", "~*", "&*", "+@all"])
        let log = LogCollector()
        let pubConfig = try Self.configuration(server)
        var subConfig = pubConfig
        subConfig.url = RedisURL(host: "127.0.0.1", port: server.port, user: "sub", password: "subpw")
        let pubBus = try await RedisBus.connect(pubConfig, logger: log.logger)
        let subBus = try await RedisBus.connect(subConfig, logger: log.logger)
        let big = OverflowPolicy.suspend(capacity: 1 << 20)
        let all = try await subBus.subscribe(["feed.*"], options: SubscriptionOptions(name: "all", policy: big))
        let aOnly = try await subBus.subscribe(["feed.a"], options: SubscriptionOptions(name: "a", policy: big))
        let cAll = Collector(all), cA = Collector(aOnly)
        let stream = StreamPublisher(bus: pubBus, source: "k/md")
        stream.start(burst: 10, pause: .milliseconds(1))

        try await eventually("300 events arrive") { cAll.count >= 300 }
        #expect(all.stats.gaps == 0)
        #expect(aOnly.stats.gaps == 0, "a subscription that sees one of two topics has no false gaps")
        _ = try await server.command(["ACL", "SETUSER", "sub", "off"])
        let killed = try await server.command(["CLIENT", "KILL", "TYPE", "pubsub"])
        #expect(killed == "1\n")
        try await eventually("the subscriber is locked out") { !log.matching("subscriber cannot reconnect").isEmpty }
        let lockedOutAt = stream.lastSeq
        try await eventually("the stream goes on meanwhile") { stream.lastSeq >= lockedOutAt + 50 }
        _ = try await server.command(["ACL", "SETUSER", "sub", "on"])
        try await eventually("the subscriber reconnects") { subBus.redisStatistics().subscriberReconnects == 1 }
        let after = cAll.count
        try await eventually("events flow again") { cAll.count >= after + 300 }
        try await stream.stop()
        let lastA = try #require(stream.seqs("feed.a").last), lastB = try #require(stream.seqs("feed.b").last)
        try await eventually("the last events arrive") { cAll.contains(seq: lastA) && cAll.contains(seq: lastB) && cA.contains(seq: lastA) }

        let received = cAll.all.map(\.seq)
        #expect(received == received.sorted(), "order is kept across the reconnection")
        #expect(Set(received).count == received.count, "nothing is delivered twice")
        let missed = Set(stream.seqs("feed.a") + stream.seqs("feed.b")).subtracting(received)
        #expect(missed.count >= 50, "events published while the subscriber was out are missed")
        #expect(all.stats.gaps == UInt64(missed.count))
        let missedA = Set(stream.seqs("feed.a")).subtracting(cA.all.map(\.seq))
        #expect(aOnly.stats.gaps == UInt64(missedA.count))
        #expect(subBus.statistics().gaps == UInt64(missed.count + missedA.count))
        #expect(subBus.statistics().reconnects == 1)
        #expect(pubBus.redisStatistics().publisherReconnects == 0)
        #expect(log.matching("subscriber connection to \(subConfig.url) lost").count == 1)
        #expect(log.matching("subscriber reconnected to \(subConfig.url)").count == 1)
        // At the level of the loss: whoever saw "lost" (a tap at its default level) sees this too.
        #expect(log.records.filter { $0.message.contains("subscriber reconnected to") }.map(\.level) == ["warning"])
        // A repeated failure is logged once, not at every attempt.
        #expect(log.matching("subscriber cannot reconnect: \(subConfig.url) refused user \"sub\": WRONGPASS").count == 1)
        await pubBus.shutdown()
        await subBus.shutdown()
    }

    @Test func bothSidesResumeAfterARedisRestart() async throws {
        let server = try await RedisTestServer.start()
        let log = LogCollector()
        let config = try Self.configuration(server)
        let pubBus = try await RedisBus.connect(config, logger: log.logger)
        let subBus = try await RedisBus.connect(config, logger: log.logger)
        let sub = try await subBus.subscribe(["feed.*"], options: SubscriptionOptions(policy: .suspend(capacity: 1 << 20)))
        let c = Collector(sub)
        let stream = StreamPublisher(bus: pubBus, source: "r/md")
        stream.start(burst: 20, pause: .milliseconds(1))

        try await eventually("200 events arrive") { c.count >= 200 }
        try await server.stopped()
        try await eventually("both sides notice") {
            let s = pubBus.redisStatistics(), t = subBus.redisStatistics()
            return !s.publisherConnected && !t.subscriberConnected
        }
        // Publishing goes on meanwhile: events queue up (whenDisconnected = wait).
        try await Task.sleep(for: .milliseconds(200))
        try await server.relaunched()
        try await eventually("both sides reconnect") {
            pubBus.redisStatistics().publisherReconnects >= 1 && subBus.redisStatistics().subscriberReconnects >= 1
        }
        let after = c.count
        try await eventually("events flow again") { c.count >= after + 200 }
        try await stream.stop()
        let lastA = try #require(stream.seqs("feed.a").last), lastB = try #require(stream.seqs("feed.b").last)
        try await eventually("the last events arrive") { c.contains(seq: lastA) && c.contains(seq: lastB) }

        let received = c.all.map(\.seq)
        #expect(received == received.sorted())
        #expect(Set(received).count == received.count)
        let missed = Set(stream.seqs("feed.a") + stream.seqs("feed.b")).subtracting(received)
        #expect(sub.stats.gaps == UInt64(missed.count))
        let p = pubBus.redisStatistics()
        #expect(p.accepted == stream.lastSeq)
        #expect(p.acknowledged + p.unconfirmed == p.accepted)
        #expect(!log.matching("publisher reconnected to \(config.url)").isEmpty)
        #expect(!log.matching("subscriber reconnected to \(config.url)").isEmpty)
        await pubBus.shutdown()
        await subBus.shutdown()
    }

    @Test func whenDisconnectedFailRefusesWithAClearErrorThenRecovers() async throws {
        let server = try await RedisTestServer.start()
        var config = try Self.configuration(server)
        config.whenDisconnected = .fail
        let bus = try await RedisBus.connect(config, logger: LogCollector().logger)
        let sub = try await bus.subscribe("x.*")
        let pub = Publisher(bus: bus, source: "f/p")
        try await server.stopped()
        try await eventually("the bus notices") {
            let s = bus.redisStatistics()
            return !s.publisherConnected && !s.subscriberConnected
        }
        do {
            try await pub.publish(bar("X", 1), topic: "x.y")
            Issue.record("expected a disconnected error")
        } catch {
            #expect(error.code == .disconnected)
            #expect(error.message.hasPrefix("not connected to redis://127.0.0.1:\(server.port) ("))
            #expect(error.message.hasSuffix(#"); whenDisconnected is "fail""#))
        }
        await #expect(throws: BusError.self) { _ = try await bus.subscribe("y.*") }
        try await server.relaunched()
        try await eventually("it reconnects") {
            let s = bus.redisStatistics()
            return s.publisherConnected && s.subscriberConnected && s.patterns == 1
        }
        // The subscriber resubscribed: it may take the first PSUBSCRIBE reply a moment.
        try await eventually("an event gets through again") {
            try await pub.publish(bar("X", 2), topic: "x.y")
            return sub.stats.accepted > 0
        }
        let got = try await withTimeout { await collect(sub, 1) }
        #expect(got.first?.topic == "x.y")
        await bus.shutdown()
    }

    @Test func whenDisconnectedWaitQueuesEventsAndSuspendsPublishersWhenFull() async throws {
        let server = try await RedisTestServer.start()
        var config = try Self.configuration(server)
        config.publishQueueCapacity = 4
        let bus = try await RedisBus.connect(config, logger: LogCollector().logger)
        let pub = Publisher(bus: bus, source: "w/p")
        try await server.stopped()
        try await eventually("the publisher notices") { !bus.redisStatistics().publisherConnected }
        for i in 1...4 { try await pub.publish(bar("X", i), topic: "x.y") }
        let fifthDone = Atomic<Bool>(false)
        let fifth = Task {
            try await pub.publish(bar("X", 5), topic: "x.y")
            fifthDone.store(true, ordering: .relaxed)
        }
        try await Task.sleep(for: .milliseconds(200))
        let finishedEarly = fifthDone.load(ordering: .relaxed)
        #expect(!finishedEarly, "the fifth publish waits for room")
        #expect(bus.redisStatistics().accepted == 4)
        try await server.relaunched()
        try await withTimeout { try await fifth.value }
        try await eventually("all five are acknowledged by Redis") { bus.redisStatistics().acknowledged == 5 }
        #expect(bus.redisStatistics().unconfirmed == 0)
        await bus.shutdown()
    }

    @Test func shutdownWhileRedisIsDownGivesUpAfterTheTimeoutAndSaysSo() async throws {
        let server = try await RedisTestServer.start()
        var config = try Self.configuration(server)
        config.shutdownTimeout = 0.3
        let log = LogCollector()
        let bus = try await RedisBus.connect(config, logger: log.logger)
        let sub = try await bus.subscribe("x.*")
        try await server.stopped()
        try await eventually("the publisher notices") { !bus.redisStatistics().publisherConnected }
        try await Publisher(bus: bus, source: "s/p").publish(bar("X", 1), topic: "x.y")
        let start = ContinuousClock.now
        await bus.shutdown()
        // Gives up after its timeout (0.3 s) instead of waiting for Redis to come back (the
        // bound is generous: a loaded machine can starve the test for seconds).
        #expect(ContinuousClock.now - start < .seconds(15))
        #expect(bus.redisStatistics().abandoned == 1)
        #expect(log.matching("shutdown: 1 event could not be sent to \(config.url) and were dropped").count == 1)
        #expect(await collect(sub, .max).isEmpty)
    }

    // MARK: authentication

    static let authArguments = [
        "--requirepass", "pw0",
        "--user", "alice", "on", ">wonderland", "~*", "&*", "+@all",
        "--user", "bob", "on", ">builder", "resetchannels", "&allowed.*", "~*", "+@all",
    ]

    @Test func authenticatesWithAPasswordOrAnACLUserAndExplainsRefusals() async throws {
        let server = try await RedisTestServer.start(arguments: Self.authArguments, password: "pw0")
        let port = server.port
        for url in ["redis://:pw0@127.0.0.1:\(port)", "redis://alice:wonderland@127.0.0.1:\(port)"] {
            let bus = try await RedisBus.connect(RedisConfiguration(url: url, prefix: "auth."))
            let sub = try await bus.subscribe(to: Bar.self, "market.bar.*")
            try await Publisher(bus: bus, source: "a/p").publish(bar("AUTH", 1))
            let got = try await withTimeout {
                var it = sub.makeAsyncIterator()
                return await it.next()
            }
            #expect(got?.event == bar("AUTH", 1), "round trip as \(url)")
            await bus.shutdown()
        }
        let refusals: [(String, String)] = [
            ("redis://:nope@127.0.0.1:\(port)",
             "redis://:***@127.0.0.1:\(port) refused the password: WRONGPASS invalid username-password pair or user is disabled."),
            ("redis://alice:nope@127.0.0.1:\(port)",
             #"redis://alice:***@127.0.0.1:\#(port) refused user "alice": WRONGPASS invalid username-password pair or user is disabled."#),
            ("redis://mallory:x@127.0.0.1:\(port)",
             #"redis://mallory:***@127.0.0.1:\#(port) refused user "mallory": WRONGPASS invalid username-password pair or user is disabled."#),
            ("redis://127.0.0.1:\(port)",
             "redis://127.0.0.1:\(port) requires a password (NOAUTH Authentication required.); put it in the URL: redis://[user:]password@127.0.0.1:\(port)"),
        ]
        for (url, message) in refusals {
            do {
                _ = try await RedisBus.connect(RedisConfiguration(url: url))
                Issue.record("\(url) should be refused")
            } catch let error as BusError {
                #expect(error == BusError(.refused, message))
                #expect(!error.message.contains("nope"), "the password is never shown")
            }
        }
    }

    @Test func anACLUserLimitedToSomeChannelsGetsClearRefusals() async throws {
        let server = try await RedisTestServer.start(arguments: Self.authArguments, password: "pw0")
        let log = LogCollector()
        let bus = try await RedisBus.connect(RedisConfiguration(url: "redis://bob:builder@127.0.0.1:\(server.port)"), logger: log.logger)
        do {
            _ = try await bus.subscribe("market.*")
            Issue.record("PSUBSCRIBE market.* should be refused")
        } catch {
            #expect(error == BusError(.refused, "redis://bob:***@127.0.0.1:\(server.port) refused PSUBSCRIBE market.*: NOPERM this user has no permissions to access one of the channels used as arguments"))
        }
        let allowed = try await bus.subscribe("allowed.*")
        let pub = Publisher(bus: bus, source: "b/p")
        try await pub.publish(bar("X", 1), topic: "market.bar.X")
        try await pub.publish(bar("X", 2), topic: "allowed.x")
        let got = try await withTimeout { await collect(allowed, 1) }
        #expect(got.map(\.seq) == [2])
        try await eventually("the refused PUBLISH is counted") { bus.redisStatistics().refused == 1 }
        #expect(log.records.filter { $0.message.hasPrefix("Redis refused a PUBLISH: NOPERM") }.map(\.level) == ["error"])
        // The refused pattern left nothing behind.
        #expect(bus.redisStatistics().patterns == 1)
        await bus.shutdown()
    }
}
