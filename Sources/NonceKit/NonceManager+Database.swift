extension NonceManager {
    /// Opens `configuration.stream` in `database`: a SQLite file's path, or a PostgreSQL URI
    /// (`postgresql://user@host:port/dbname?sslmode=require&schema=noncestore`, the password
    /// from the URI or `PGPASSWORD`), for several hosts on one API key.
    ///
    /// - Throws: `NonceStoreError`: as `NonceManager.init(path:configuration:)`, and for a
    ///   server `.cannotConnect`, `.readOnly` (a standby), `.newerSchema`, `.foreignDatabase`;
    ///   `.invalidArgument` for a URI when the build has no PostgreSQL backend.
    public convenience init(database: String, configuration: Configuration = Configuration()) throws {
        try configuration.validate()
        try self.init(store: BackendOpener.open(database, create: configuration.createIfMissing,
                                                wait: configuration.timing.databaseWait), configuration: configuration)
    }

    /// Opens `configuration.stream` in a database already open for administration.
    public convenience init(database: NonceDatabase, configuration: Configuration = Configuration()) throws {
        try self.init(store: database.store, configuration: configuration)
    }
}

extension NonceInspector {
    /// Reads `database`, a SQLite file's path or a PostgreSQL URI, which must exist (a
    /// PostgreSQL standby will do).
    public convenience init(database: String, wait: Duration = .seconds(10), clock: any NonceClock = SystemClock()) throws {
        try self.init(store: BackendOpener.open(database, create: false, writable: false, wait: wait), clock: clock)
    }
}
