import Foundation
import NonceKit
import NonceSQLite
import NonceTestSupport
import Synchronization
import Testing

@Suite("Async issuing")
struct AsyncIssuingTests {
    @Test("async next on an exclusive stream is strictly increasing per task and unique overall, renewals included")
    func exclusiveAsyncNext() async throws {
        let directory = try TemporaryDirectory()
        // A lease of one microsecond: nearly every nonce needs a renewal, so the path that
        // waits off the pool is taken as often as the one that issues at once.
        let manager = try await NonceManager.open(
            path: directory.database, configuration: .init(stream: "a", timing: .init(leaseSpan: .microseconds(1))))
        let perTask = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var nonces: [UInt64] = []
                    for _ in 0..<200 { nonces.append(try await manager.next()) }
                    return nonces
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for nonces in perTask { #expect(zip(nonces, nonces.dropFirst()).allSatisfy { $0 < $1 }) }
        #expect(Set(perTask.joined()).count == 1_600)
        try await manager.close()
        let state = try #require(try SQLiteStore(path: directory.database).stream(named: "a"))
        #expect(UInt64(state.floor) >= perTask.joined().max()!)
    }

    @Test("tasks waiting for the write lock leave the cooperative pool free for other tasks")
    func waitingLeavesThePoolFree() async throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(
            path: directory.database, configuration: .init(stream: "s", mode: .shared, timing: .init(databaseWait: .seconds(60))))
        defer { try? manager.close() }
        // Another connection holds the write lock, so every shared nonce has to wait for it.
        let holder = try SQLiteStore(path: directory.database)
        try holder.withConnection { try $0.execute("BEGIN IMMEDIATE") }
        let released = Mutex(false)
        let release: @Sendable () -> Void = {
            released.withLock { done in
                guard !done else { return }
                done = true
                try? holder.withConnection { try $0.execute("COMMIT") }
            }
        }
        // Ends the wait in any case, so a blocked pool fails the test instead of hanging it.
        // Generous: other tests running in parallel may hold the pool's threads a while.
        let watchdogFired = Atomic(false)
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 20)
            if !released.withLock({ $0 }) { watchdogFired.store(true, ordering: .sequentiallyConsistent) }
            release()
        }
        // Far more waiting tasks than the pool has threads.
        let waiting = (0..<64).map { _ in Task { try await manager.next() } }
        try await Task.sleep(for: .milliseconds(200))
        let probe = await Task.detached { 42 }.value
        #expect(probe == 42)
        let ranOnlyAfterRelease = watchdogFired.load(ordering: .sequentiallyConsistent)
        #expect(!ranOnlyAfterRelease, "a task could run only after the lock was released")
        release()
        var nonces: [UInt64] = []
        for task in waiting { nonces.append(try await task.value) }
        #expect(Set(nonces).count == 64)
    }
}
