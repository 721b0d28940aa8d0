import CSQLite
import NonceBackend

/// This build's version, and the SQLite library it runs on.
public enum NonceStoreVersion {
    /// NonceStore's release version.
    public static let current = "0.12.0"
    /// The SQLite library in use, as it reports itself (`sqlite3_libversion`).
    public static var sqliteLibrary: String { String(cString: sqlite3_libversion()) }
}
