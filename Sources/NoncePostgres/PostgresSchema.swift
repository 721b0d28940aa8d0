#if PostgreSQL  // Without the trait this module is empty and builds no network stack.
import NonceBackend
import NonceSchema

/// Brings a database's NonceStore schema to this build's version: the files of
/// `Migrations/postgres/` in order, each in one transaction, under an advisory lock so that
/// two hosts opening a fresh database at once both succeed and migrate it once.
enum PostgresSchema {
    /// The newest version this build knows.
    static var latestVersion: Int { SchemaMigrations.postgres.last?.version ?? 0 }

    /// Checks the schema and migrates it when behind.
    ///
    /// - Throws: `NonceStoreError` `.newerSchema` for a schema of a newer NonceStore,
    ///   `.foreignDatabase` for a schema of that name holding other tables, `.cannotOpen`
    ///   when it is missing and `create` is false.
    static func prepare(_ session: PostgresSession, create: Bool) throws {
        let location = session.location
        // Read first: an up-to-date schema (the usual case) takes no lock.
        let found = try version(session)
        if found == latestVersion { return }
        if !create, found == nil {
            throw NonceStoreError(.cannotOpen, "\(location.description) holds no NonceStore schema '\(location.schema)' yet; "
                + "a command that issues or creates a stream creates it", database: location.description)
        }
        let key = PostgresLockKeys(schema: location.schema).migration
        try session.withConnection { connection in
            let lock = PostgresTransaction(connection: connection, location: location, limit: location.maintenanceReplyLimit)
            try lock.execute("SELECT pg_advisory_lock($1::integer, $2::integer)", [.integer(Int64(key.0)), .integer(Int64(key.1))])
            defer { _ = try? lock.execute("SELECT pg_advisory_unlock($1::integer, $2::integer)", [.integer(Int64(key.0)), .integer(Int64(key.1))]) }
            let current = try version(on: lock) ?? 0
            for migration in SchemaMigrations.postgres where migration.version > current {
                try lock.execute("BEGIN")
                do {
                    try lock.execute("CREATE SCHEMA IF NOT EXISTS \"\(location.schema)\"; SET LOCAL search_path TO \"\(location.schema)\"")
                    try lock.execute(migration.sql)
                    try lock.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [
                        .integer(Int64(migration.version)), .text(migration.name), .integer(WallClock.nanoseconds()),
                    ])
                    try lock.execute("COMMIT")
                } catch {
                    _ = try? lock.execute("ROLLBACK")
                    throw NonceStoreError(.cannotOpen, "\(location.description): migration \(migration.name) failed and was "
                        + "rolled back", database: location.description, cause: error)
                }
            }
        }
    }

    /// The schema's version; nil when there is no NonceStore schema yet.
    private static func version(_ session: PostgresSession) throws -> Int? {
        try session.withConnection { try version(on: PostgresTransaction(connection: $0, location: session.location)) }
    }

    private static func version(on connection: PostgresTransaction) throws -> Int? {
        let location = connection.location
        let tables = try connection.query("""
            SELECT count(*), count(*) FILTER (WHERE table_name = 'schema_migrations')
            FROM information_schema.tables WHERE table_schema = $1
            """, [.text(location.schema)])
        let (all, migrations): (Int64, Int64) = try (tables[0].column(0), tables[0].column(1))
        if all == 0 { return nil }
        guard migrations == 1 else {
            throw NonceStoreError(.foreignDatabase, "schema '\(location.schema)' in \(location.description) holds tables that "
                + "are not NonceStore's; it was left untouched (name another schema with ?schema=NAME in the URI)",
                database: location.description)
        }
        let found: Int = Int(try connection.query("SELECT coalesce(max(version), 0) FROM \"\(location.schema)\".schema_migrations")[0]
            .column(0, as: Int32.self))
        if found > latestVersion {
            throw NonceStoreError.newerSchema(path: location.description, found: found, supported: latestVersion)
        }
        return found
    }
}
#endif
