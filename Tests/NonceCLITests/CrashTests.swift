import Foundation
import NonceKit
import NonceKitTesting
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

/// Kills real processes with SIGKILL at random moments and checks that no nonce a process
/// wrote out before dying is ever reached again.
@Suite("Crash safety (kill -9)")
struct CrashTests {
    /// How a child issues: lease span in ns, history mode, jump every N nonces (0: never),
    /// and whether its clock is frozen.
    ///
    /// With a frozen clock nonces run ahead of time (last + 1), as they do after a jump or
    /// a clock stepped back; then nothing but the durable mark keeps a restart above them.
    /// With the real clock, time itself would mostly hide a broken mark.
    struct Scenario: Sendable, CustomStringConvertible {
        var name: String
        var leaseNanoseconds: Int64
        var history: String
        var jumpEvery: Int
        var frozenClock: Bool
        var description: String { name }
    }

    static let scenarios = [
        Scenario(name: "real clock, batched history, default lease", leaseNanoseconds: 1_000_000_000, history: "batched", jumpEvery: 0, frozenClock: false),
        Scenario(name: "frozen clock, batched history, default lease", leaseNanoseconds: 1_000_000_000, history: "batched", jumpEvery: 0, frozenClock: true),
        Scenario(name: "frozen clock, no history, renewal every few nonces", leaseNanoseconds: 7, history: "off", jumpEvery: 0, frozenClock: true),
        Scenario(name: "frozen clock, batched history, short lease", leaseNanoseconds: 500, history: "batched", jumpEvery: 0, frozenClock: true),
        Scenario(name: "frozen clock, jumps every 50 nonces", leaseNanoseconds: 100_000_000, history: "batched", jumpEvery: 50, frozenClock: true),
        Scenario(name: "real clock, jumps on every other nonce", leaseNanoseconds: 10_000, history: "off", jumpEvery: 2, frozenClock: false),
        Scenario(name: "frozen clock, synchronous history", leaseNanoseconds: 1_000, history: "synchronous", jumpEvery: 0, frozenClock: true),
    ]

    @Test("no nonce handed out before a kill is ever issued again", arguments: scenarios, TestBackend.available)
    func killAndRestart(_ scenario: Scenario, backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let database = backend.database(in: directory)
        var generator = SystemRandomNumberGenerator()
        let frozenAt = scenario.frozenClock ? SystemClock().now() : 0
        var largestSeen: UInt64 = 0
        var totalSeen = 0
        // On a server every renewal is a network round trip and a commit: fewer, shorter runs.
        let (cycles, longest) = backend == .postgres ? (6, 600) : (12, 3_000)
        for _ in 0..<cycles {
            let child = try RunningChild(ChildProcess.helper, [
                "issue", database, "default", String(scenario.leaseNanoseconds), scenario.history,
                String(scenario.jumpEvery), String(frozenAt),
            ])
            // Let it run a random number of lines (sometimes none past start-up), then kill.
            let target = Int.random(in: 0..<longest, using: &generator)
            var seen: [UInt64] = []
            while seen.count < target, let line = child.readLine() {
                seen.append(try #require(UInt64(line), "not a nonce: \(line)"))
            }
            child.kill()
            // Whatever reached the pipe before the kill was handed out too.
            seen += child.remainingLines().compactMap { UInt64($0) }
            for nonce in seen {
                #expect(nonce > largestSeen, "a nonce went backwards across a restart")
                largestSeen = nonce
            }
            totalSeen += seen.count
        }
        // A new process starts above everything any killed one wrote out.
        let clock: any NonceClock = scenario.frozenClock ? ManualClock(nanoseconds: frozenAt) : SystemClock()
        let manager = try NonceManager(database: database, configuration: .init(timing: .init(clock: clock)))
        let next = try manager.next()
        try manager.close()
        #expect(next > largestSeen)
        #expect(totalSeen > 0)
        let report = try BackendOpener.open(database).verify(stream: nil)
        #expect(report.isValid, "\(report.problems)")
    }

    @Test("after kill -9 the stats say issued_total is a lower bound; a clean stop adds no unclean stop")
    func countersAfterKill() throws {
        let directory = try TemporaryDirectory()
        let child = try RunningChild(ChildProcess.helper, ["issue", directory.database, "default", "1000000000", "batched", "0", "0"])
        var printed = 0
        while printed < 2_000, child.readLine() != nil { printed += 1 }
        child.kill()
        printed += child.remainingLines().count
        let manager = try NonceManager(path: directory.database)
        let stats = manager.stats()
        try manager.close()
        #expect(stats.uncleanStops == 1)
        #expect(stats.issuedTotal <= Int64(printed) + 1)
        let events = try SQLiteStore(path: directory.database).events(stream: "default", limit: 100)
        #expect(events.contains { $0.kind == "unclean_stop" })
        // The manager above closed cleanly: the next one finds nothing to count.
        let again = try NonceManager(path: directory.database)
        #expect(again.stats().uncleanStops == 1)
        try again.close()
        let text = try ChildProcess.nonce(["stats", "--db", directory.database])
        #expect(text.stdout.contains("at least"), "\(text.stdout)")
    }

    @Test("a claim dies with its process: after kill -9 the stream is free at once")
    func claimReleasedByKill() throws {
        let directory = try TemporaryDirectory()
        let holder = try RunningChild(ChildProcess.helper, ["hold", directory.database, "default"])
        let ready = try #require(holder.readLine())
        #expect(ready == "ready \(holder.pid)")
        let refused = try ChildProcess.nonce(["next", "--db", directory.database])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("held by process \(holder.pid)"))
        #expect(refused.stdout.isEmpty)
        holder.kill()
        let after = try ChildProcess.nonce(["next", "--db", directory.database])
        #expect(after.status == 0, "\(after.stderr)")
        #expect(after.lines.count == 1)
    }

    @Test("a second process can wait for the stream and gets it when the holder dies")
    func waitForClaim() throws {
        let directory = try TemporaryDirectory()
        let holder = try RunningChild(ChildProcess.helper, ["hold", directory.database, "default"])
        _ = holder.readLine()
        // Held: a short wait is refused.
        #expect(try ChildProcess.nonce(["next", "--db", directory.database, "--wait", "200ms"]).status != 0)
        let waiter = try RunningChild(ChildProcess.nonce, ["next", "--db", directory.database, "--wait", "20s"])
        // Once the waiter has a lock descriptor of the database beside SQLite's and sleeps
        // between claim attempts, it is waiting for the claim: kill the holder then.
        let database = URL(fileURLWithPath: directory.database).resolvingSymlinksInPath().path
        let deadline = ContinuousClock.now + .seconds(20)
        // Judged once per look: the waiter wakes between attempts, so a second look could differ.
        var waiting = false
        while !waiting, ContinuousClock.now < deadline {
            waiting = Self.isWaiting(waiter.pid, on: database)
            if !waiting { usleep(1_000) }
        }
        #expect(waiting, "\(waiter.failureReport)")
        holder.kill()
        let lines = waiter.remainingLines(quiet: .seconds(30))
        waiter.process.waitUntilExit()
        #expect(waiter.process.terminationStatus == 0, "\(waiter.failureReport)")
        #expect(lines.count == 1)
    }

    /// True when process `pid` has `path` open twice (SQLite's descriptor and the claim's)
    /// and is asleep between attempts.
    static func isWaiting(_ pid: Int32, on path: String) -> Bool {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        let opened = fds.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)")) == path }
        // Read to the end: /proc files report a size of 0.
        let channel = FileHandle(forReadingAtPath: "/proc/\(pid)/wchan")
            .map { String(decoding: $0.readDataToEndOfFile(), as: UTF8.self) } ?? ""
        return opened.count >= 2 && channel.contains("nanosleep")
    }
}
