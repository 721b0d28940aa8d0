extension NonceManager {
    /// Opens `configuration.stream` in `database`: a SQLite file's path, or a PostgreSQL URI
    /// (`postgresql://user@host:port/dbname?sslmode=require&schema=noncestore`, the password
    /// from the URI or `PGPASSWORD`), for several hosts on one API key.
    ///
    /// - Throws: `NonceStoreError`: as `NonceManager.init(path:configuration:)`, and for a
    ///   server `.cannotConnect`, `.readOnly` (a standby), `.newerSchema`, `.foreignDatabase`;
    ///   `.invalidArgument` for a URI when the build has no PostgreSQL backend.
    public convenience init(database: String, configuration: Configuration = Configuration()) throws(NonceStoreError) {
        try configuration.validate()
        let store = try NonceStoreError.only(.cannotOpen, database: database) {
            try BackendOpener.open(database, create: configuration.createIfMissing, wait: configuration.timing.databaseWait)
        }
        do {
            try self.init(store: store, configuration: configuration)
        } catch {
            throw .keeping(error) { NonceStoreError(.cannotOpen, "'\(store.path)': \($0)", database: store.path, cause: $0) }
        }
    }

    /// Opens `configuration.stream` in a database already open for administration.
    public convenience init(database: NonceDatabase, configuration: Configuration = Configuration()) throws(NonceStoreError) {
        do {
            try self.init(store: database.store, configuration: configuration)
        } catch {
            throw .keeping(error) { NonceStoreError(.cannotOpen, "'\(database.location)': \($0)", database: database.location, cause: $0) }
        }
    }
}

extension NonceInspector {
    /// Reads `database`, a SQLite file's path or a PostgreSQL URI, which must exist (a
    /// PostgreSQL standby will do).
    public convenience init(database: String, wait: Duration = .seconds(10), clock: any NonceClock = SystemClock()) throws(NonceStoreError) {
        self.init(store: try NonceStoreError.only(.cannotOpen, database: database) {
            try BackendOpener.open(database, create: false, writable: false, wait: wait)
        }, clock: clock)
    }
}
