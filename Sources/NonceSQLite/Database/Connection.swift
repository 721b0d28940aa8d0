import CSQLite
import NonceBackend

/// One open SQLite connection.
///
/// A connection is not safe to use from two threads at once; the owner serializes access
/// (``SQLiteStore`` does so with a mutex). It is opened without SQLite's own mutex for that
/// reason.
///
/// Related SQLite documentation: <https://sqlite.org/c3ref/sqlite3.html>
package final class Connection {
    /// The path the connection was opened with.
    package let path: String
    let handle: OpaquePointer
    private var cachedStatements: [String: Statement] = [:]
    /// The busy handler's state; kept here because SQLite holds only an unretained pointer.
    var busyWait: BusyWait?

    /// How a connection opens its file.
    package enum OpenMode: Sendable {
        /// Read and write, creating the file when missing.
        case readWriteCreate
        /// Read and write an existing file.
        case readWrite
        /// Read an existing file, never write it.
        case readOnly

        var flags: Int32 {
            switch self {
            case .readWriteCreate: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
            case .readWrite: SQLITE_OPEN_READWRITE
            case .readOnly: SQLITE_OPEN_READONLY
            }
        }
    }

    /// Opens the database at `path`. SQLite reads nothing yet: a file that is not a database
    /// is only detected by the first statement.
    package init(path: String, mode: OpenMode = .readWriteCreate) throws(DatabaseError) {
        self.path = path
        handle = try Self.open(path, flags: mode.flags)
    }

    /// Opens `path` read-only as immutable: SQLite takes no lock and never opens the `-wal`
    /// or `-shm`, so nothing about the file or another program's use of it changes. It sees
    /// the file alone, without commits still in a log.
    ///
    /// Related SQLite documentation: <https://sqlite.org/uri.html#uriimmutable>
    package init(immutable path: String) throws(DatabaseError) {
        // A URI: '%', '?', '#' and every non-ASCII byte are escaped, so the path stays whole.
        var escaped = ""
        for byte in path.utf8 {
            if byte >= 0x80 || byte == UInt8(ascii: "%") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#") {
                escaped += "%" + String(byte, radix: 16, uppercase: true)
            } else {
                escaped.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        self.path = path
        handle = try Self.open("file:" + escaped + "?immutable=1", flags: SQLITE_OPEN_READONLY | SQLITE_OPEN_URI)
    }

    /// A new handle, without SQLite's own mutex (the owner serializes) and with extended
    /// result codes; a handle that failed to open is closed before its error is thrown.
    private static func open(_ name: String, flags: Int32) throws(DatabaseError) -> OpaquePointer {
        var handle: OpaquePointer?
        let code = sqlite3_open_v2(name, &handle, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nil)
        guard code == SQLITE_OK, let handle else {
            let error = DatabaseError(code: code, handle: handle)
            sqlite3_close_v2(handle)
            throw error
        }
        return handle
    }

    deinit {
        cachedStatements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that take no arguments.
    package func execute(_ sql: String) throws(DatabaseError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        guard code == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_free(message)
            throw DatabaseError(
                resultCode: code & 0xFF, extendedResultCode: sqlite3_extended_errcode(handle),
                message: text, sql: sql)
        }
    }

    /// Prepares a new statement.
    package func prepare(_ sql: String) throws(DatabaseError) -> Statement {
        try Statement(sql: sql, connection: handle)
    }

    /// Returns a statement prepared once and kept for the connection's lifetime: the way to
    /// run hot-path SQL without re-parsing it.
    package func cachedStatement(_ sql: String) throws(DatabaseError) -> Statement {
        if let statement = cachedStatements[sql] { return statement }
        let statement = try prepare(sql)
        cachedStatements[sql] = statement
        return statement
    }

    /// Runs `sql` with `values` and returns the first column of the first row, if any.
    package func scalarInt64(_ sql: String, _ values: [DatabaseValue] = []) throws(DatabaseError) -> Int64? {
        let statement = try cachedStatement(sql)
        defer { statement.reset() }
        try statement.bind(values)
        guard try statement.step() else { return nil }
        return statement.optionalInt64(at: 0)
    }

    /// Runs `sql` with `values` and returns the first column of the first row as text.
    package func scalarText(_ sql: String, _ values: [DatabaseValue] = []) throws(DatabaseError) -> String? {
        let statement = try cachedStatement(sql)
        defer { statement.reset() }
        try statement.bind(values)
        guard try statement.step() else { return nil }
        return statement.text(at: 0)
    }

    /// True when the path this connection opened no longer leads to the file it has open
    /// (renamed, replaced or unlinked since): SQLite's own record of its descriptor, one
    /// `stat` of the path.
    ///
    /// Related SQLite documentation: <https://sqlite.org/c3ref/c_fcntl_begin_atomic_write.html#sqlitefcntlhasmoved>
    package var hasMoved: Bool {
        var moved: Int32 = 0
        return sqlite3_file_control(handle, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK && moved != 0
    }

    /// True while a transaction is open on this connection.
    package var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }
}
