import NonceKit
import NonceKitTesting
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

@Suite("Failures never hand out an unprotected nonce")
struct FailureTests {
    @Test("when the mark cannot be committed, no nonce above the durable mark is issued")
    func markCommitFails() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        // No history: the only writes that can fail are the mark renewals under test.
        let manager = try NonceManager(
            path: directory.database, configuration: .init(history: .init(mode: .off), timing: .init(leaseSpan: .milliseconds(10), clock: clock)))
        defer { try? manager.close() }
        // From now on every attempt to raise the mark fails inside SQLite.
        let saboteur = try SQLiteStore(path: directory.database)
        try saboteur.withConnection { connection in
            try connection.execute("""
                CREATE TRIGGER refuse_mark BEFORE UPDATE OF high_water_mark ON streams
                WHEN NEW.high_water_mark > OLD.high_water_mark
                BEGIN SELECT RAISE(ABORT, 'simulated write failure'); END
                """)
        }
        var issued: [UInt64] = []
        var failure: NonceStoreError?
        for _ in 0..<1_000 where failure == nil {
            clock.advance(by: .microseconds(100))
            do { issued.append(try manager.next()) } catch { failure = error }
        }
        guard failure?.code == .markNotDurable else {
            Issue.record("expected markNotDurable, got \(String(describing: failure))")
            return
        }
        let mark = try #require(try saboteur.stream(named: "default")).highWaterMark
        #expect(!issued.isEmpty)
        #expect(issued.allSatisfy { Int64($0) <= mark })
        #expect(failure?.description.contains("simulated write failure") == true)
    }

    @Test("a full database stops issuing with a clear error; every issued nonce stays under the durable mark")
    func databaseFull() throws {
        let directory = try TemporaryDirectory()
        _ = try SQLiteStore(path: directory.database).openStream(named: "default", mode: .exclusive)
        let store = try SQLiteStore(path: directory.database, configuration: .init(prepareDatabase: { connection in
            let pages = try connection.scalarInt64("PRAGMA page_count") ?? 0
            try connection.execute("PRAGMA max_page_count = \(pages + 4)")
        }))
        let manager = try NonceManager(store: store, configuration: .init(history: .init(batchSize: 256)))
        var issued: [UInt64] = []
        var failure: NonceStoreError?
        while failure == nil && issued.count < 1_000_000 {
            do { issued.append(try manager.next()) } catch { failure = error }
        }
        guard let failure, failure.code == .historyWriteFailed, let reason = failure.cause.map({ "\($0)" }) else {
            Issue.record("expected historyWriteFailed, got \(String(describing: failure))")
            return
        }
        #expect(reason.contains("full"))
        #expect(throws: NonceStoreError.self, "close() reports the failed history write") { try manager.close() }
        let record = try #require(try SQLiteStore(path: directory.database).stream(named: "default"))
        #expect(issued.allSatisfy { Int64($0) <= record.highWaterMark })
    }

    @Test("close() reports a history write that failed after the last nonce, so a short run cannot end as a success")
    func closeReportsFailedHistory() throws {
        let directory = try TemporaryDirectory()
        _ = try SQLiteStore(path: directory.database).openStream(named: "default", mode: .exclusive)
        let store = try SQLiteStore(path: directory.database)
        let manager = try NonceManager(store: store)
        // From here the file cannot grow: the history of the next nonces has nowhere to go.
        try store.withConnection { connection in
            let pages = try connection.scalarInt64("PRAGMA page_count") ?? 0
            try connection.execute("PRAGMA max_page_count = \(pages)")
        }
        for _ in 0..<5_000 { _ = try? manager.next() }
        do {
            try manager.close()
            Issue.record("close() returned normally although the history could not be written")
        } catch {
            guard error.code == .historyWriteFailed else {
                Issue.record("expected historyWriteFailed, got \(error)")
                return
            }
        }
        #expect(!store.isHeld(try #require(try store.stream(named: "default"))), "the stream is released all the same")
    }
}
