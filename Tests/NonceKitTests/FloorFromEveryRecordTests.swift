import Foundation
import NonceKit
import NonceMigration
import NonceBackend
import NonceSQLite
#if PostgreSQL
import NoncePostgres
#endif
import NonceTestSupport
import Testing

/// The floor comes from every record: damage to the state row (written here with plain SQL,
/// as a person or a failing disk would) never sends a nonce below the history.
@Suite("The floor comes from every record")
struct FloorFromEveryRecordTests {
    static let hour: Int64 = 3_600_000_000_000

    /// Issues `count` nonces on `stream`, closes, and returns the largest.
    static func issue(_ count: Int, stream: String, mode: StreamMode, in directory: TemporaryDirectory) throws -> UInt64 {
        let manager = try NonceManager(path: directory.database, configuration: .init(stream: stream, mode: mode))
        defer { try? manager.close() }
        var last: UInt64 = 0
        for _ in 0..<count { last = try manager.next() }
        return last
    }

    /// An hour of lead recorded in the history, then the state row lowered below it.
    static func lowerState(of stream: String, in directory: TemporaryDirectory) throws {
        try SQLiteStore(path: directory.database).withConnection {
            try $0.execute("UPDATE streams SET last_issued = last_issued - \(hour), high_water_mark = last_issued - \(hour) WHERE name = '\(stream)'")
        }
    }

    @Test("an exclusive stream whose state was lowered by hand issues above its history, and says so",
          arguments: [StreamMode.exclusive, .shared])
    func loweredState(mode: StreamMode) throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database, configuration: .init(stream: "k", mode: mode))
        try manager.jump(by: .seconds(3_600))
        let top = try manager.next()
        try manager.close()
        try Self.lowerState(of: "k", in: directory)

        let reopened = try NonceManager(path: directory.database, configuration: .init(stream: "k", mode: mode))
        defer { try? reopened.close() }
        #expect(try reopened.next() > top, "the next nonce is above every nonce in the history")
        #expect(reopened.stats().floorRepairs == 1)
        let events = try SQLiteStore(path: directory.database).events(stream: "k", limit: 10)
        #expect(events.contains { $0.kind == "floor_repair" && $0.detail.contains(String(top)) }, "\(events)")
    }

    @Test("a shared stream lowered while in use repairs in the SQL contract, for every client")
    func sharedContractRepairs() throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database, configuration: .init(stream: "k", mode: .shared))
        defer { try? manager.close() }
        try manager.jump(by: .seconds(3_600))
        let top = try manager.next()
        try Self.lowerState(of: "k", in: directory)
        #expect(try manager.next() > top, "the trigger takes the history's largest nonce as the floor")
        #expect(try SQLiteStore(path: directory.database).stream(named: "k")?.floorRepairs == 1)
    }

    @Test("a stream with history cannot be deleted with plain SQL")
    func deleteRefused() throws {
        let directory = try TemporaryDirectory()
        _ = try Self.issue(3, stream: "k", mode: .exclusive, in: directory)
        let store = try SQLiteStore(path: directory.database)
        #expect(throws: DatabaseError.self) {
            try store.withConnection { try $0.execute("DELETE FROM streams WHERE name = 'k'") }
        }
        #expect(try store.stream(named: "k") != nil)
    }

    @Test("a stream row lost while its history remains is not recreated from the clock; an import above it continues")
    func lostRowRefused() throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database, configuration: .init(stream: "k"))
        try manager.jump(by: .seconds(3_600))
        let top = try manager.next()
        try manager.close()
        let store = try SQLiteStore(path: directory.database)
        // The damage a lost page does: the trigger and the foreign keys that refuse this are
        // switched off first.
        try store.withConnection { connection in
            try connection.execute("PRAGMA foreign_keys = OFF")
            try connection.execute("DROP TRIGGER streams_keep_history")
            try connection.execute("DELETE FROM streams WHERE name = 'k'")
            try connection.execute("PRAGMA foreign_keys = ON")
        }
        do {
            _ = try NonceManager(path: directory.database, configuration: .init(stream: "k"))
            Issue.record("a stream was recreated from the clock below nonces already issued")
        } catch {
            #expect(error == .orphanedHistory(stream: "k", largestNonce: Int64(top), path: store.path))
            #expect(error.code == .orphanedHistory && error.nonce == Int64(top))
            #expect(error.description.contains(String(top)) && error.description.contains("legacy import"))
        }
        #expect(try store.stream(named: "k") == nil, "nothing was created")

        let report = try LegacyImportPlan(paths: [], values: [String(top)], options: .init(stream: "k")).apply(to: store)
        #expect(report.floorAfter == UInt64(top))
        let continued = try NonceManager(path: directory.database, configuration: .init(stream: "k"))
        defer { try? continued.close() }
        #expect(try continued.next() > top)
        let verified = try store.verify()
        #expect(verified.isValid, "the history was adopted by the new stream: \(verified.problems)")
    }
}

/// Records that carry a floor besides state and history: events of jumps, imports, copies
/// and repairs. Hand edits that lower the state and delete the history leave them.
@Suite("Events carry the floor")
struct EventFloorTests {
    static let hour = FloorFromEveryRecordTests.hour

    @Test("state lowered and history deleted by hand: the next nonce is above the jump an event recorded",
          arguments: [StreamMode.exclusive, .shared])
    func stateAndHistoryGone(mode: StreamMode) throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database, configuration: .init(stream: "k", mode: mode))
        let floor = try manager.jump(by: .seconds(3_600))
        _ = try manager.next()
        try manager.close()
        try SQLiteStore(path: directory.database).withConnection {
            try $0.execute("UPDATE streams SET last_issued = \(Int64(floor) - Self.hour), high_water_mark = \(Int64(floor) - Self.hour)")
            try $0.execute("DELETE FROM history")
        }
        let reopened = try NonceManager(path: directory.database, configuration: .init(stream: "k", mode: mode))
        defer { try? reopened.close() }
        #expect(try reopened.next() > floor, "an hour below before: the jump's event counts now")
        #expect(reopened.stats().floorRepairs == 1)
        let events = try SQLiteStore(path: directory.database).events(stream: "k", limit: 10)
        #expect(events.contains { $0.kind == "floor_repair" && $0.detail.contains(String(floor)) }, "\(events)")
    }

    #if PostgreSQL
    @Test("on PostgreSQL too: state lowered and history deleted by hand, the next nonce is above the recorded jump",
          .enabled(if: TestBackend.postgresURI != nil), arguments: [StreamMode.exclusive, .shared])
    func stateAndHistoryGoneOnServer(mode: StreamMode) throws {
        let uri = TestBackend.freshSchema()
        let manager = try NonceManager(database: uri, configuration: .init(stream: "k", mode: mode))
        let floor = try manager.jump(by: .seconds(3_600))
        _ = try manager.next()
        try manager.close()
        let admin = try PostgresStore(uri: uri)
        try admin.execute(sql: "UPDATE streams SET last_issued = \(Int64(floor) - Self.hour), high_water_mark = \(Int64(floor) - Self.hour)")
        try admin.execute(sql: "DELETE FROM history")
        let reopened = try NonceManager(database: uri, configuration: .init(stream: "k", mode: mode))
        defer { try? reopened.close() }
        #expect(try reopened.next() > floor, "an hour below before: the jump's event counts now")
        #expect(try admin.integer(sql: "SELECT count(*) FROM nonce_events WHERE kind = 'floor_repair' AND floor = \(floor)") == 1)
    }
    #endif

    @Test("stream row and history deleted by hand: the events' floor stops a stream from the clock, an import above it adopts them")
    func rowAndHistoryGone() throws {
        let directory = try TemporaryDirectory()
        let manager = try NonceManager(path: directory.database, configuration: .init(stream: "k"))
        let floor = try manager.jump(by: .seconds(3_600))
        try manager.close()
        let store = try SQLiteStore(path: directory.database)
        try store.withConnection { connection in
            try connection.execute("PRAGMA foreign_keys = OFF")
            try connection.execute("DELETE FROM history")
            try connection.execute("DELETE FROM streams WHERE name = 'k'")
            try connection.execute("PRAGMA foreign_keys = ON")
        }
        #expect(throws: NonceStoreError.orphanedHistory(stream: "k", largestNonce: Int64(floor), path: store.path)) {
            _ = try NonceManager(path: directory.database, configuration: .init(stream: "k"))
        }
        _ = try LegacyImportPlan(paths: [], values: [String(floor)], options: .init(stream: "k")).apply(to: store)
        let continued = try NonceManager(path: directory.database, configuration: .init(stream: "k"))
        defer { try? continued.close() }
        #expect(try continued.next() > floor)
        #expect(try store.events(stream: "k", limit: 10).contains { $0.kind == "jump" }, "the orphaned events were adopted")
    }
}
