import Foundation
import NonceSchema
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

@Suite("Opening a database")
struct OpeningTests {
    @Test("a new database is created with mode 0600, in WAL mode, at the latest schema")
    func createsDatabase() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.database)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let journalMode = try store.withConnection { try $0.scalarText("PRAGMA journal_mode") }
        #expect(journalMode == "wal")
        let version = try store.withConnection { try $0.scalarInt64("PRAGMA user_version") }
        #expect(version == Int64(SchemaMigrations.latestVersion))
        let applied = try store.withConnection { try $0.scalarInt64("SELECT count(*) FROM schema_migrations") }
        #expect(applied == Int64(SchemaMigrations.all.count))
        let views = try store.withConnection { connection in
            try connection.prepare("SELECT name FROM sqlite_schema WHERE type = 'view' ORDER BY name").rows { $0.text(at: 0) }
        }
        #expect(views == ["legacy_imports", "nonce_events", "nonce_history", "nonce_history_seconds", "nonce_jumps", "nonce_requests",
                          "stream_state"])
    }

    @Test("many connections opening one fresh file at once all succeed, and migrate once")
    func concurrentFirstOpen() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.database
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { _ = try SQLiteStore(path: path) }
            }
            try await group.waitForAll()
        }
        let store = try SQLiteStore(path: path)
        let applied = try store.withConnection { try $0.scalarInt64("SELECT count(*) FROM schema_migrations") }
        #expect(applied == Int64(SchemaMigrations.all.count))
    }

    @Test("a database from a newer version is refused and left byte-identical")
    func refusesNewerSchema() throws {
        let directory = try TemporaryDirectory()
        do {
            let store = try SQLiteStore(path: directory.database)
            try store.withConnection { try $0.execute("PRAGMA user_version = 999") }
        }
        let before = try Data(contentsOf: directory.url.appendingPathComponent("nonces.sqlite"))
        #expect(throws: NonceStoreError.newerSchema(path: directory.database, found: 999, supported: SchemaMigrations.latestVersion)) {
            try SQLiteStore(path: directory.database)
        }
        let after = try Data(contentsOf: directory.url.appendingPathComponent("nonces.sqlite"))
        #expect(before == after)
    }

    @Test("a file that is not a database is refused and left byte-identical")
    func refusesForeignFile() throws {
        let directory = try TemporaryDirectory()
        let contents = Data("1768712093048832619\nthis is a nonce file, not SQLite\n".utf8)
        try contents.write(to: URL(fileURLWithPath: directory.database))
        #expect(throws: NonceStoreError.notADatabase(path: directory.database)) {
            try SQLiteStore(path: directory.database)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.database)) == contents)
    }

    @Test("a missing directory gives an error naming the path")
    func missingDirectory() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("absent/nonces.sqlite")
        let error = #expect(throws: NonceStoreError.self) { try SQLiteStore(path: path) }
        #expect(error?.description.contains(path) == true)
    }

    @Test("every file in Migrations/ is registered, in order")
    func migrationsMatchFolder() throws {
        let folder = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files == SchemaMigrations.all.map(\.name))
        #expect(SchemaMigrations.all.map(\.version) == Array(1...SchemaMigrations.all.count))
        for migration in SchemaMigrations.all {
            let text = try String(contentsOf: folder.appendingPathComponent(migration.name), encoding: .utf8)
            #expect(text == migration.sql)
        }
    }

    @Test("another application's SQLite database is refused and left byte-identical")
    func refusesForeignSQLite() throws {
        let directory = try TemporaryDirectory()
        do {
            let other = try Connection(path: directory.database)
            try other.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, pair TEXT)")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: directory.database))
        #expect(throws: NonceStoreError.foreignDatabase(path: directory.database)) { try SQLiteStore(path: directory.database) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.database)) == before)
    }
}
