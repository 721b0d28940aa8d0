import NonceSchema
import NonceBackend

/// Brings a database up to the schema this build knows, one migration per transaction.
///
/// Two processes that open a fresh file at the same moment both succeed: each migration
/// runs under `BEGIN IMMEDIATE` and re-reads the version inside the transaction, so the
/// second process finds the work done and does nothing.
enum Migrator {
    static func migrate(_ connection: Connection, path: String, migrations: [SchemaMigration] = SchemaMigrations.all) throws {
        let latest = migrations.last?.version ?? 0
        // Read first: an up-to-date database (the usual case) needs no write lock, so opening
        // never queues behind a writer, nor fails while one is stopped inside a transaction.
        if try schemaVersion(connection) >= latest { return }
        for migration in migrations {
            try connection.transaction(.immediate, durable: true) {
                let current = try schemaVersion(connection)
                if current > latest {
                    throw NonceStoreError.newerSchema(path: path, found: current, supported: latest)
                }
                guard current < migration.version else { return }
                try connection.execute("""
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version    INTEGER PRIMARY KEY,
                        name       TEXT    NOT NULL,
                        applied_at INTEGER NOT NULL
                    )
                    """)
                try connection.execute(migration.sql)
                try connection.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
                    .execute([.integer(Int64(migration.version)), .text(migration.name), .integer(WallClock.nanoseconds())])
                try connection.execute("PRAGMA user_version = \(migration.version)")
            }
        }
    }

    /// The schema version and how many schema objects the file has, read in one statement so
    /// both come from one snapshot: read apart, another process's first migration could
    /// commit in between and make a fresh file look like another application's.
    static func schemaVersionAndObjects(_ connection: Connection) throws(DatabaseError) -> (version: Int, objects: Int64) {
        try connection.prepare("SELECT user_version, (SELECT count(*) FROM sqlite_schema) FROM pragma_user_version")
            .rows { (Int($0.int64(at: 0)), $0.int64(at: 1)) }.first ?? (0, 0)
    }

    static func schemaVersion(_ connection: Connection) throws(DatabaseError) -> Int {
        Int(try connection.prepare("PRAGMA user_version").rows { $0.int64(at: 0) }.first ?? 0)
    }
}
