import Foundation
@testable import NonceMigration
import NonceKit
import NonceBackend
import NonceSQLite
import Testing

@Suite("Importing into the store")
struct ImportTests {
    /// Two users in ms and µs, the global manager in ns, a bad merge, companions and a
    /// backup pushed 40 minutes ahead by a reset script: the backup sets the floor.
    static func mixedBot(_ directory: LegacyDirectory) throws -> (floor: Int64, source: String) {
        try directory.write("kraken_nonce.txt", legacyValue("us", plus: -50 * minute))
        try directory.write("data/kraken_nonce_master.txt", legacyValue("ms", plus: -3 * minute) + "\n")
        try directory.write("data/kraken_nonce_user_jane_doe.txt", legacyValue("us", plus: -2 * minute))
        try directory.write("data/kraken_nonce_jane_doe.state", legacyValue("ms", plus: -1 * minute))
        try directory.write("data/kraken_nonce_bob.txt", legacyValue("ns", plus: -4 * minute) + "\r\n")
        try directory.write("data/kraken_global_nonce.txt", legacyValue("ns", plus: 5 * minute))
        try directory.write("data/kraken_nonce.state", legacyValue("ms", plus: -9 * minute) + "\n" + legacyValue("ms", plus: 7 * minute))
        try directory.write("data/kraken_nonce.state.lock", "")
        try directory.write("data/kraken_nonce.state.pid", "31337\n{\"pid\": 31337}")
        try directory.write("data/kraken_nonce_offsets.json", "{\"ema_gap_ms\": 3.2, \"history\": [], \"updated_ts\": 1}")
        try directory.write("data/kraken_nonce_bob.txt.tmp", "")
        let source = try directory.write("data/kraken_nonce_master.txt.bak.1763990000", legacyValue("ms", plus: 40 * minute))
        try directory.write("data/trades.csv", "pair,price\n")
        return (fixedNow + 40 * minute, source)
    }

    @Test("a realistic mixed directory sets the floor to its largest normalized value, recorded in SQL")
    func mixedDirectory() throws {
        let directory = try LegacyDirectory()
        let expected = try Self.mixedBot(directory)
        let plan = try LegacyImportPlan(paths: [directory.root], options: .init(now: fixedNow))
        let report = try plan.apply(to: SQLiteStore(path: directory.database))
        #expect(report.outcome == .raised)
        #expect(report.floorBefore == 0)
        #expect(report.floorAfter == UInt64(expected.floor))
        #expect(report.floorSource == expected.source)
        #expect(report.files.filter { $0.status == .counted }.count == 8)

        let store = try SQLiteStore(path: directory.database)
        #expect(try store.stream(named: "default")?.floor == expected.floor)
        let rows = try store.withConnection { connection in
            try connection.prepare("SELECT path, sha256, accepted, normalized FROM legacy_imports WHERE import_id = ?")
                .rows([.text(report.importID ?? "")]) { ($0.text(at: 0) ?? "", $0.text(at: 1), $0.int64(at: 2), $0.optionalInt64(at: 3)) }
        }
        #expect(rows.count == report.files.count)
        let backup = try #require(rows.first { $0.0 == expected.source })
        #expect(backup.1 == FileDigest.hex(Array(legacyValue("ms", plus: 40 * minute).utf8)))
        #expect(backup.2 == 1 && backup.3 == expected.floor)
        let events = try store.events(stream: "default", limit: 10)
        #expect(events.map(\.kind) == ["import"])
        #expect(events.first?.detail.contains("floor raised from 0 to \(expected.floor)") == true)
        #expect(try store.verify().isValid)
    }

    @Test("the old files are never modified, moved or deleted, and nothing is added beside them")
    func oldFilesUntouched() throws {
        let directory = try LegacyDirectory()
        _ = try Self.mixedBot(directory)
        let before = try directory.snapshot()
        _ = try LegacyImportPlan(paths: [directory.root], options: .init(now: fixedNow)).apply(to: SQLiteStore(path: directory.database))
        _ = try LegacyImportPlan(paths: [directory.root], options: .init(now: fixedNow)).apply(to: SQLiteStore(path: directory.database))
        #expect(try directory.snapshot() == before)
    }

    @Test("a dry run writes nothing, to a new or an existing database")
    func dryRun() throws {
        let directory = try LegacyDirectory()
        let expected = try Self.mixedBot(directory)
        let plan = try LegacyImportPlan(paths: [directory.root], options: .init(now: fixedNow))
        let fresh = try plan.preview(against: nil as NonceDatabase?)
        #expect(fresh.dryRun && fresh.outcome == .raised && fresh.floorAfter == UInt64(expected.floor) && fresh.importID == nil)
        #expect(!FileManager.default.fileExists(atPath: directory.database))

        _ = try SQLiteStore(path: directory.database).openStream(named: "default", mode: .exclusive)
        let bytes = directory.databaseBytes()
        let existing = try plan.preview(against: SQLiteStore(path: directory.database))
        #expect(existing.outcome == .raised && existing.floorBefore == 0)
        #expect(directory.databaseBytes() == bytes)
        #expect(try SQLiteStore(path: directory.database).stream(named: "default")?.floor == 0)
    }

    @Test("importing the same files again writes nothing and says so")
    func repeatIsNoOp() throws {
        let directory = try LegacyDirectory()
        _ = try Self.mixedBot(directory)
        let plan = try LegacyImportPlan(paths: [directory.root], options: .init(now: fixedNow))
        let first = try plan.apply(to: SQLiteStore(path: directory.database))
        let bytes = directory.databaseBytes()
        let again = try LegacyImportPlan(paths: [directory.root], options: .init(now: fixedNow)).apply(to: SQLiteStore(path: directory.database))
        #expect(again.outcome == .alreadyImported)
        #expect(again.importID == nil)
        #expect(again.floorAfter == first.floorAfter)
        #expect(directory.databaseBytes() == bytes)
        #expect(try plan.preview(against: SQLiteStore(path: directory.database)).outcome == .alreadyImported)
    }

    @Test("the floor never goes down: lower files are recorded, the floor stays")
    func floorNeverGoesDown() throws {
        let directory = try LegacyDirectory()
        let high = try directory.write("high/data/kraken_global_nonce.txt", legacyValue("ns", plus: 30 * minute))
        let low = try directory.write("low/data/kraken_global_nonce.txt", legacyValue("ns", plus: -30 * minute))
        let store = try SQLiteStore(path: directory.database)
        _ = try LegacyImportPlan(paths: [high], options: .init(now: fixedNow)).apply(to: store)
        let report = try LegacyImportPlan(paths: [low], options: .init(now: fixedNow)).apply(to: store)
        #expect(report.outcome == .unchanged)
        #expect(report.importID != nil)
        #expect(report.floorAfter == UInt64(fixedNow + 30 * minute))
        #expect(try store.stream(named: "default")?.floor == fixedNow + 30 * minute)
    }

    @Test("a rejected import leaves an existing database byte-identical")
    func rejectedLeavesDatabaseIdentical() throws {
        let directory = try LegacyDirectory()
        _ = try Self.mixedBot(directory)
        _ = try LegacyImportPlan(paths: [directory.root], options: .init(now: fixedNow)).apply(to: SQLiteStore(path: directory.database))
        let bytes = try #require(directory.databaseBytes())
        try directory.write("data/kraken_nonce_zed.txt", "1764000000000000000000")
        #expect(throws: NonceStoreError.self) {
            try LegacyImportPlan(paths: [directory.root], options: .init(now: fixedNow)).apply(to: SQLiteStore(path: directory.database))
        }
        #expect(directory.databaseBytes() == bytes)
    }

    @Test("a stream another claim holds is refused with a clear error, and nothing is written")
    func heldStream() throws {
        let directory = try LegacyDirectory()
        try directory.write("data/kraken_global_nonce.txt", legacyValue("ns"))
        let holder = try SQLiteStore(path: directory.database)
        let claim = try holder.claim(holder.openStream(named: "default", mode: .exclusive))
        let plan = try LegacyImportPlan(paths: [directory.root], options: .init(now: fixedNow))
        let error = #expect(throws: NonceStoreError.self) { try plan.apply(to: SQLiteStore(path: directory.database)) }
        #expect(error?.description.contains("stop that process") == true)
        #expect(try holder.stream(named: "default")?.floor == 0)
        claim.release()
        #expect(try plan.apply(to: SQLiteStore(path: directory.database)).floorAfter == UInt64(fixedNow))
    }

    @Test("a shared stream is imported into while its processes run: no claim needed, the next nonce is above")
    func sharedStream() throws {
        let directory = try LegacyDirectory()
        try directory.write("data/kraken_global_nonce.txt", legacyValue("ns", plus: 10 * minute))
        let store = try SQLiteStore(path: directory.database)
        let record = try store.openStream(named: "default", mode: .shared)
        let running = try store.claim(record, shared: true)  // as a process using the stream holds it
        defer { running.release() }
        let report = try LegacyImportPlan(paths: [directory.root], options: .init(now: fixedNow)).apply(to: store)
        #expect(report.floorAfter == UInt64(fixedNow + 10 * minute))
        #expect(try store.issueShared(stream: "default", now: fixedNow, pid: 1, label: nil) == fixedNow + 10 * minute + 1)
    }

    @Test("a full database rolls the whole import back")
    func fullDatabase() throws {
        let directory = try LegacyDirectory()
        for user in 0..<80 {
            try directory.write("data/kraken_nonce_user_with_a_rather_long_account_name_\(user).txt", legacyValue("ms", plus: Int64(user) * 1_000_000))
        }
        let pages = try SQLiteStore(path: directory.database).withConnection { try $0.scalarInt64("PRAGMA page_count") } ?? 0
        let bytes = directory.databaseBytes()
        let full = SQLiteStore.Configuration(prepareDatabase: { try $0.execute("PRAGMA max_page_count = \(pages)") })
        let plan = try LegacyImportPlan(paths: [directory.root], options: .init(now: fixedNow))
        let error = #expect(throws: NonceStoreError.self) { try plan.apply(to: SQLiteStore(path: directory.database, configuration: full)) }
        #expect(error?.description.contains("full") == true)
        #expect(directory.databaseBytes() == bytes)
        // Not even the stream the import would have created is left behind.
        #expect(try SQLiteStore(path: directory.database).stream(named: "default") == nil)
    }
}
