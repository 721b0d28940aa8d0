import CSQLite
import NonceBackend

/// An error reported by SQLite, with its result codes and the statement that failed.
///
/// Statement arguments never appear in the text, so errors are safe to log.
///
/// Related SQLite documentation: <https://sqlite.org/rescode.html>
public struct DatabaseError: Error, Sendable, CustomStringConvertible {
    /// SQLite's primary result code, such as `SQLITE_BUSY` (5) or `SQLITE_FULL` (13).
    public let resultCode: Int32
    /// SQLite's extended result code, which refines `resultCode`.
    public let extendedResultCode: Int32
    /// SQLite's message for the failure.
    public let message: String
    /// The SQL that failed, when there was one.
    public let sql: String?

    /// Creates an error from its parts.
    public init(resultCode: Int32, extendedResultCode: Int32? = nil, message: String, sql: String? = nil) {
        self.resultCode = resultCode
        self.extendedResultCode = extendedResultCode ?? resultCode
        self.message = message
        self.sql = sql
    }

    /// True when the database or the disk holding it has no room left.
    public var isFull: Bool { resultCode == SQLITE_FULL }
    /// True when another connection held a lock for longer than the busy timeout.
    public var isBusy: Bool { resultCode == SQLITE_BUSY }
    /// True when the file is not an SQLite database (or is encrypted).
    public var isNotADatabase: Bool { resultCode == SQLITE_NOTADB }
    /// True when a write was refused because the file or its directory is read-only.
    /// True when a UNIQUE, CHECK or other constraint refused the change.
    public var isConstraintViolation: Bool { resultCode == SQLITE_CONSTRAINT }
    /// The schema's triggers refusing a nonce or a jump past 2^63-1 (their `RAISE(ABORT, ...)`
    /// messages name the limit).
    public var isExhaustion: Bool { isConstraintViolation && message.contains("2^63-1") }

    public var description: String {
        var text = "SQLite error \(extendedResultCode): \(message)"
        // Cut short: a 64-row INSERT runs to thousands of characters and says nothing more.
        if let sql { text += " (while executing: \(sql.count > 120 ? sql.prefix(120) + "…" : sql))" }
        return text
    }
}

extension DatabaseError {
    /// Reads the error state of `handle` after a call returned `code`.
    init(code: Int32, handle: OpaquePointer?, sql: String? = nil) {
        let message = handle.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            ?? String(cString: sqlite3_errstr(code))
        let extended = handle.map { sqlite3_extended_errcode($0) } ?? code
        self.init(resultCode: code & 0xFF, extendedResultCode: extended, message: message, sql: sql)
    }
}
