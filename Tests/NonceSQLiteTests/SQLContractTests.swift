import CSQLite
import Foundation
@testable import NonceBackend
@testable import NonceSQLite
import NonceSchema
import NonceTestSupport
import Synchronization
import Testing

/// The SQL contract as another language's driver uses it: plain statements on a connection.
@Suite("The SQL contract for shared streams")
struct SQLContractTests {
    /// One nonce through the contract, as any SQLite client would take it.
    static func issue(_ connection: Connection, stream: String, at requestedAt: DatabaseValue = .null) throws -> Int64 {
        try connection.transaction(.immediate) {
            try connection.prepare("INSERT INTO nonce_requests (stream, requested_at, pid, label) VALUES (?, ?, 42, 'sql')")
                .execute([.text(stream), requestedAt])
            return try connection.prepare("SELECT last_issued FROM stream_state WHERE stream = ?")
                .rows([.text(stream)]) { $0.int64(at: 0) }.first ?? 0
        }
    }

    @Test("issues max(requested_at, floor + 1), writes the history row, and counts it")
    func issues() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        _ = try store.openStream(named: "k", mode: .shared)
        let now = WallClock.nanoseconds()
        try store.withConnection { connection in
            #expect(try Self.issue(connection, stream: "k", at: .integer(now)) == now)
            // A clock behind the last nonce: last + 1.
            #expect(try Self.issue(connection, stream: "k", at: .integer(now - 5_000)) == now + 1)
            // No clock given: SQLite's own, in milliseconds, still above the last.
            let fromSQLite = try Self.issue(connection, stream: "k")
            #expect(fromSQLite > now + 1)
        }
        let record = try #require(try store.stream(named: "k"))
        #expect(record.issuedTotal == 3)
        #expect(record.highWaterMark == record.lastIssued)
        let history = try store.history(stream: "k", limit: 10)
        #expect(history.count == 3)
        #expect(history.allSatisfy { $0.pid == 42 && $0.label == "sql" })
        #expect(try store.verify().isValid)
    }

    @Test("refuses exclusive and missing streams, bad clocks, and 2^63-1, writing nothing", arguments: [
        ("e", DatabaseValue.integer(1), "exclusive"),
        ("nope", .integer(1), "no stream"),
        ("k", .text("soon"), "requested_at"),
        ("k", .integer(-1), "requested_at"),
        ("full", .integer(1), "2^63-1"),
    ])
    func refusals(stream: String, requestedAt: DatabaseValue, message: String) throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        _ = try store.openStream(named: "e", mode: .exclusive)
        _ = try store.openStream(named: "k", mode: .shared)
        let full = try store.openStream(named: "full", mode: .shared)
        var change = StreamChange(streamID: full.id)
        change.highWaterMark = .max
        try store.apply(change, durable: false)
        let failure = try store.withConnection { connection -> (any Error)? in
            do {
                _ = try Self.issue(connection, stream: stream, at: requestedAt)
                return nil
            } catch {
                return error
            }
        }
        let error = try #require(failure as? DatabaseError)
        #expect(error.message.contains(message), "\(error)")
        #expect(try store.historySummary(stream: stream).count == 0)
        #expect(try store.streams().allSatisfy { $0.issuedTotal == 0 })
    }

    @Test("the store's own shared issuing refuses an exclusive stream with a NonceStoreError")
    func storeRefusesExclusive() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        _ = try store.openStream(named: "e", mode: .exclusive)
        #expect(throws: NonceStoreError.modeMismatch(stream: "e", actual: .exclusive, requested: .shared)) {
            try store.issueShared(stream: "e", now: 1, pid: 1, label: nil)
        }
    }

    @Test("a version-1 database is upgraded in place, its streams and history kept")
    func upgradeFromVersion1() throws {
        let directory = try TemporaryDirectory()
        let connection = try Connection(path: directory.database)
        try connection.execute("PRAGMA journal_mode = WAL")
        try Migrator.migrate(connection, path: directory.database, migrations: Array(SchemaMigrations.all.prefix(1)))
        try connection.execute("""
            INSERT INTO streams (name, last_issued, high_water, issued_total, created_at, updated_at)
            VALUES ('old', 1764000000000000000, 1764000001000000000, 1, 0, 0);
            INSERT INTO history (stream_id, nonce, issued_at, pid) VALUES (1, 1764000000000000000, 0, 7);
            """)
        #expect(try connection.scalarInt64("PRAGMA user_version") == 1)
        let store = try SQLiteStore(path: directory.database)
        let version = try store.withConnection { try $0.scalarInt64("PRAGMA user_version") }
        #expect(version == Int64(SchemaMigrations.latestVersion))
        #expect(try store.stream(named: "old")?.floor == 1_764_000_001_000_000_000)
        #expect(try store.historySummary(stream: "old").count == 1)
        try store.setMode(.shared, stream: "old")
        #expect(try store.issueShared(stream: "old", now: 1, pid: 1, label: nil) == 1_764_000_001_000_000_001)
    }

    @Test("foreign keys are enforced: history, events and imports belong to a stream that exists")
    func foreignKeys() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        _ = try store.openStream(named: "k", mode: .shared)
        #expect(try store.withConnection { try $0.scalarInt64("PRAGMA foreign_keys") } == 1)
        for statement in [
            "INSERT INTO history (stream_id, nonce, issued_at, pid) VALUES (999, 1, 0, 1)",
            "INSERT INTO events (stream_id, at, kind, detail) VALUES (999, 0, 'jump', '')",
        ] {
            #expect(throws: DatabaseError.self, "\(statement)") { try store.withConnection { try $0.execute(statement) } }
        }
        #expect(try store.verify(stream: nil).isValid)
    }
}

extension SQLContractTests {
    @Test("event kinds are the closed list the CHECK constraint enforces, no more and no less")
    func eventKindsChecked() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        let stream = try store.openStream(named: "k", mode: .exclusive)
        for kind in EventKind.allCases {
            try store.withConnection {
                try $0.prepare("INSERT INTO events (stream_id, at, kind) VALUES (?, 0, ?)").execute([.integer(stream.id), .text(kind.rawValue)])
            }
        }
        #expect(throws: DatabaseError.self) {
            try store.withConnection {
                try $0.prepare("INSERT INTO events (stream_id, at, kind) VALUES (?, 0, 'recovery')").execute([.integer(stream.id)])
            }
        }
        #expect(try store.events(stream: "k", limit: 100).count == EventKind.allCases.count)
    }
}

@Suite("The SQL contract refuses what would harm the stream")
struct SQLContractBoundsTests {
    static let day: Int64 = 86_400_000_000_000

    @Test("a requested_at more than a day ahead of the database's clock is refused, the stream unharmed",
          arguments: [Int64.max - 1, 1 << 62, 365 * day, 2 * day])
    func requestedTooFarAhead(offset: Int64) throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        _ = try store.openStream(named: "k", mode: .shared)
        let requested = offset > Int64.max / 2 ? offset : WallClock.nanoseconds() + offset
        try store.withConnection { connection in
            let refused = #expect(throws: DatabaseError.self) { _ = try SQLContractTests.issue(connection, stream: "k", at: .integer(requested)) }
            #expect(refused?.message.contains("more than a day ahead of the database's clock") == true, "\(String(describing: refused))")
            let jump = #expect(throws: DatabaseError.self) {
                try connection.prepare("INSERT INTO nonce_jumps (stream, by_ns, requested_at, reason) VALUES ('k', 1, ?, 'x')")
                    .execute([.integer(requested)])
            }
            #expect(jump?.message.contains("more than a day ahead") == true)
            // The stream still issues from the clock.
            let now = WallClock.nanoseconds()
            let next = try SQLContractTests.issue(connection, stream: "k")
            #expect(next >= now - 1_000_000_000 && next < now + 60_000_000_000)
        }
    }

    @Test("a clock an hour ahead is accepted: within the lead")
    func anHourAhead() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        _ = try store.openStream(named: "k", mode: .shared)
        let ahead = WallClock.nanoseconds() + 3_600_000_000_000
        let issued = try store.withConnection { try SQLContractTests.issue($0, stream: "k", at: .integer(ahead)) }
        #expect(issued == ahead)
    }

    @Test("a label may hold 1,000 characters, not more")
    func labelLimit() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        _ = try store.openStream(named: "k", mode: .shared)
        let insert = "INSERT INTO nonce_requests (stream, requested_at, pid, label) VALUES ('k', NULL, 1, ?)"
        try store.withConnection { connection in
            try connection.prepare(insert).execute([.text(String(repeating: "é", count: 1_000))])
            let refused = #expect(throws: DatabaseError.self) {
                try connection.prepare(insert).execute([.text(String(repeating: "x", count: 10_000_000))])
            }
            #expect(refused?.message.contains("label is longer than 1000 characters") == true)
        }
        #expect(try store.history(stream: "k", limit: 10).count == 1)
    }
}

@Suite("Reading beside the writer")
struct ReadConnectionTests {
    @Test("reads do not queue behind a write transaction in progress on the same store")
    func readsDoNotWaitForTheWriter() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        _ = try store.openStream(named: "k", mode: .exclusive)
        let inside = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let writer = Thread {
            try? store.writeTransaction(durable: false) { connection in
                try connection.execute("UPDATE streams SET jumps = jumps + 1")
                inside.signal()
                release.wait()
            }
        }
        writer.start()
        inside.wait()
        // Read on another thread, so that a read queued behind the writer fails the test
        // after a bound instead of hanging it.
        let readsDone = DispatchSemaphore(value: 0)
        let seen = Mutex<(jumps: Int64?, history: Int, valid: Bool)?>(nil)
        Thread {
            let jumps = try? store.stream(named: "k")?.jumps
            let history = (try? store.history(stream: "k", limit: 10))?.count ?? -1
            let valid = (try? store.verify(stream: nil))?.isValid ?? false
            seen.withLock { $0 = (jumps, history, valid) }
            readsDone.signal()
        }.start()
        let answered = readsDone.wait(timeout: .now() + 5) == .success
        release.signal()
        if !answered { readsDone.wait() }
        #expect(answered, "the reads waited for the write transaction")
        let result = try #require(seen.withLock { $0 })
        #expect(result.jumps == 0, "the last committed state, not the open transaction's")
        #expect(result.history == 0 && result.valid)
        while !writer.isFinished { usleep(1_000) }
        #expect(try store.stream(named: "k")?.jumps == 1)
    }
}
