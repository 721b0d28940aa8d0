import NonceSQLite

/// This build's version, the SQLite library it runs on, and the backends it was built with.
public enum NonceStoreVersion {
    /// NonceStore's release version.
    public static let current = "0.12.0"
    /// The SQLite library in use, as it reports itself (`sqlite3_libversion`).
    public static var sqliteLibrary: String { SQLiteStore.libraryVersion }
    /// The backends this build can open: SQLite always, PostgreSQL with the package trait of
    /// that name.
    public static var backends: [String] { BackendOpener.hasPostgreSQL ? ["SQLite", "PostgreSQL"] : ["SQLite"] }
}
