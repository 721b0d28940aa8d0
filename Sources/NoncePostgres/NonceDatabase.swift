public import NonceKit
package import NonceBackend
import NonceSQLite

/// Opens what a database argument names: a SQLite file, or a PostgreSQL server by URI.
package enum NonceDatabase {
    /// The store at `location`. `create` makes a missing SQLite file or PostgreSQL schema;
    /// `writable: false` opens for reading (a PostgreSQL standby is then accepted).
    package static func open(_ location: String, create: Bool = true, writable: Bool = true, wait: Duration = .seconds(10)) throws -> any NonceBackend {
        if DatabaseLocation.isServerURI(location) {
            return try PostgresStore(uri: location, create: create, writable: writable)
        }
        return try SQLiteStore(path: location, configuration: .init(busyTimeout: wait, createIfMissing: create))
    }
}

extension NonceManager {
    /// Opens `configuration.stream` in `database`: a SQLite file's path, or a PostgreSQL URI
    /// (`postgresql://user@host:port/dbname?sslmode=require&schema=noncestore`, the password
    /// from the URI or `PGPASSWORD`), for several hosts on one API key.
    ///
    /// - Throws: `NonceStoreError`: as `NonceManager.init(path:configuration:)`, and for a
    ///   server `.cannotConnect`, `.readOnly` (a standby), `.newerSchema`, `.foreignDatabase`.
    public convenience init(database: String, configuration: Configuration = Configuration()) throws {
        try self.init(store: NonceDatabase.open(database, create: configuration.createIfMissing,
                                                wait: configuration.timing.databaseWait), configuration: configuration)
    }
}

extension NonceInspector {
    /// Reads `database`, a SQLite file's path or a PostgreSQL URI, which must exist (a
    /// PostgreSQL standby will do).
    public convenience init(database: String, wait: Duration = .seconds(10), clock: any NonceClock = SystemClock()) throws {
        try self.init(store: NonceDatabase.open(database, create: false, writable: false, wait: wait), clock: clock)
    }
}
