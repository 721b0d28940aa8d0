import Foundation
import NonceKit
import NonceKitTesting
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

@Suite("History retention and the write-ahead log")
struct MaintenanceTests {
    @Test("--keep leaves the newest rows; the state, and so the next nonce, is untouched")
    func pruneKeep() throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database)
        var issued: [UInt64] = []
        for _ in 0..<5_000 { issued.append(try manager.next()) }
        try manager.close()
        let store = try SQLiteStore(path: directory.database)
        let before = try #require(try store.stream(named: "default"))
        let result = try store.pruneHistory(stream: "default", issuedBefore: nil, keep: 100, chunk: 700)
        #expect(result.deleted == 4_900 && result.remaining == 100)
        let kept = try store.history(stream: "default", limit: 1_000).map { UInt64($0.nonce) }
        #expect(kept == Array(issued.suffix(100).reversed()))
        #expect(try store.stream(named: "default") == before)
        #expect(try store.verify().isValid)
        #expect(try store.events(stream: "default", limit: 1).first?.kind == "prune")
        let next = try NonceManager(path: directory.database)
        #expect(try next.next() > issued.last!)
        try next.close()
    }

    @Test("--older-than deletes by issue time")
    func pruneOlderThan() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let manager = try NonceManager(path: directory.database, configuration: .init(timing: .init(clock: clock)))
        for _ in 0..<100 { _ = try manager.next() }
        clock.advance(by: .seconds(7_200))
        for _ in 0..<50 { _ = try manager.next() }
        try manager.close()
        let store = try SQLiteStore(path: directory.database)
        let result = try store.pruneHistory(stream: "default", issuedBefore: clock.now() - 3_600_000_000_000, keep: nil)
        #expect(result.deleted == 100 && result.remaining == 50)
    }

    @Test("pruning while another thread issues under load loses no state and breaks no invariant")
    func pruneUnderLoad() throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database, configuration: .init(history: .init(flushInterval: .milliseconds(5))))
        let store = try SQLiteStore(path: directory.database)
        let done = DispatchSemaphore(value: 0)
        Thread {
            for _ in 0..<200_000 { _ = try? manager.next() }
            done.signal()
        }.start()
        var passes = 0
        // At least one pass, even when a loaded machine lets the issuer finish first.
        repeat {
            try store.pruneHistory(stream: "default", issuedBefore: nil, keep: 1_000, chunk: 5_000)
            passes += 1
        } while done.wait(timeout: .now()) == .timedOut
        try manager.close()
        #expect(passes > 0)
        let record = try #require(try store.stream(named: "default"))
        #expect(record.issuedTotal == 200_000)
        let report = try store.verify()
        #expect(report.isValid, "\(report.problems)")
        #expect(try store.historySummary(stream: "default").maximum == record.lastIssued)
    }

    @Test("an automatic retention policy keeps the history bounded while issuing")
    func automaticRetention() throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database, configuration: .init(history: .init(flushInterval: .milliseconds(10), retention: HistoryRetention(keep: 500, interval: .milliseconds(20)))))
        defer { try? manager.close() }
        for _ in 0..<30_000 { _ = try manager.next() }
        let store = try SQLiteStore(path: directory.database)
        let deadline = ContinuousClock.now + .seconds(10)
        while try store.historySummary(stream: "default").count > 500, ContinuousClock.now < deadline {
            usleep(10_000)
        }
        #expect(try store.historySummary(stream: "default").count <= 500)
        #expect(try store.verify().isValid)
    }

    @Test("retention runs while issuing flat out, with the writer never short of work")
    func retentionUnderBacklog() throws {
        let directory = try TemporaryDirectory()
        // Default buffer: issuing fills chunks faster than one transaction writes them.
        let manager = try NonceManager(path: directory.database, configuration: .init(history: .init(retention: HistoryRetention(keep: 1_000, interval: .milliseconds(5)))))
        defer { try? manager.close() }
        let store = try SQLiteStore(path: directory.database)
        let deadline = ContinuousClock.now + .seconds(20)
        var prunes: Int64 = 0
        var issued = 0
        // Issue in bursts that keep a backlog; look for a prune between them.
        while prunes == 0 && ContinuousClock.now < deadline {
            for _ in 0..<20_000 { _ = try manager.next() }
            issued += 20_000
            prunes = try store.withConnection { try $0.scalarInt64("SELECT count(*) FROM nonce_events WHERE kind = 'prune'") } ?? 0
        }
        #expect(prunes > 0, "no prune in \(issued) nonces")
        #expect(try store.verify().isValid)
    }

    @Test("a reader holding a snapshot lets the log grow; once it lets go, the log is trimmed back under load")
    func walStaysBounded() throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database, configuration: .init(history: .init(flushInterval: .milliseconds(5))))
        defer { try? manager.close() }
        // A long-lived reader in another process, like an open sqlite3 shell mid-query.
        let reader = try RunningChild(ChildProcess.helper, ["readhold", directory.database, "default"])
        #expect(reader.readLine() == "reading")
        for _ in 0..<400_000 { _ = try manager.next() }
        // The writer catches up with the history in the background.
        let grownBy = ContinuousClock.now + .seconds(20)
        while (manager.stats().walBytes ?? 0) <= SQLiteStore.walSizeLimit, ContinuousClock.now < grownBy { usleep(20_000) }
        #expect((manager.stats().walBytes ?? 0) > SQLiteStore.walSizeLimit)
        reader.kill()
        // Sustained load after the reader is gone: checkpoints catch up, the log restarts
        // and is trimmed.
        let deadline = ContinuousClock.now + .seconds(20)
        while (manager.stats().walBytes ?? 0) > SQLiteStore.walSizeLimit, ContinuousClock.now < deadline {
            for _ in 0..<20_000 { _ = try manager.next() }
            usleep(20_000)
        }
        #expect((manager.stats().walBytes ?? .max) <= SQLiteStore.walSizeLimit)
    }
}
