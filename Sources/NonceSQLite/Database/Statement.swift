import CSQLite
import NonceBackend

/// A prepared SQL statement. Keep one for a statement that runs often: preparing is the
/// expensive part, binding and stepping are cheap.
///
/// A statement belongs to its ``Connection`` and shares its thread rules: use it from one
/// thread at a time, under whatever lock guards the connection.
///
/// Related SQLite documentation: <https://sqlite.org/c3ref/stmt.html>
package final class Statement {
    /// The SQL text this statement was prepared from.
    package let sql: String
    private let handle: OpaquePointer
    private let connection: OpaquePointer

    init(sql: String, connection: OpaquePointer) throws(DatabaseError) {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw DatabaseError(code: code, handle: connection, sql: sql)
        }
        self.sql = sql
        self.handle = statement
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    // MARK: Binding (1-based indexes, as in SQLite)

    /// Binds an integer to parameter `index` (1-based).
    package func bind(_ value: Int64, at index: Int32) throws(DatabaseError) {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    /// Binds text, or NULL when `value` is nil, to parameter `index` (1-based).
    package func bind(_ value: String?, at index: Int32) throws(DatabaseError) {
        guard let value else { return try check(sqlite3_bind_null(handle, index)) }
        try check(sqlite3_bind_text(handle, index, value, -1, Self.transient))
    }

    /// Binds an integer, or NULL when `value` is nil, to parameter `index` (1-based).
    package func bind(_ value: Int64?, at index: Int32) throws(DatabaseError) {
        guard let value else { return try check(sqlite3_bind_null(handle, index)) }
        try bind(value, at: index)
    }

    /// Binds each value in order, starting at parameter 1. Earlier bindings are cleared
    /// first: a cached statement run with fewer values must not keep a previous call's.
    package func bind(_ values: [DatabaseValue]) throws(DatabaseError) {
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case .null: try check(sqlite3_bind_null(handle, index))
            case .integer(let integer): try bind(integer, at: index)
            case .text(let text): try bind(text, at: index)
            case .real(let real): try check(sqlite3_bind_double(handle, index, real))
            }
        }
    }

    // MARK: Stepping

    /// Advances to the next row. Returns false once the statement is done.
    @discardableResult
    package func step() throws(DatabaseError) -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = DatabaseError(code: code, handle: connection, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Makes the statement ready to run again; bindings are kept.
    package func reset() {
        sqlite3_reset(handle)
    }

    /// Binds `values`, runs the statement to completion, and resets it.
    package func execute(_ values: [DatabaseValue] = []) throws(DatabaseError) {
        defer { reset() }
        try bind(values)
        while try step() {}
    }

    /// Binds `values`, collects every row through `row`, and resets the statement.
    package func rows<T>(_ values: [DatabaseValue] = [], _ row: (Statement) throws(DatabaseError) -> T) throws(DatabaseError) -> [T] {
        defer { reset() }
        try bind(values)
        var result: [T] = []
        while try step() { result.append(try row(self)) }
        return result
    }

    // MARK: Columns (0-based indexes, as in SQLite)

    /// The integer in column `index` (0-based) of the current row; 0 for NULL.
    package func int64(at index: Int32) -> Int64 {
        sqlite3_column_int64(handle, index)
    }

    /// The floating-point value in column `index`; 0 for NULL.
    package func double(at index: Int32) -> Double {
        sqlite3_column_double(handle, index)
    }

    /// The integer in column `index`, or nil for NULL.
    package func optionalInt64(at index: Int32) -> Int64? {
        isNull(at: index) ? nil : int64(at: index)
    }

    /// The text in column `index`, or nil for NULL.
    package func text(at index: Int32) -> String? {
        guard let bytes = sqlite3_column_text(handle, index) else { return nil }
        return String(cString: bytes)
    }

    /// True when column `index` of the current row is NULL.
    package func isNull(at index: Int32) -> Bool {
        sqlite3_column_type(handle, index) == SQLITE_NULL
    }

    // MARK: Private

    private func check(_ code: Int32) throws(DatabaseError) {
        guard code == SQLITE_OK else { throw DatabaseError(code: code, handle: connection, sql: sql) }
    }

    /// SQLITE_TRANSIENT: SQLite copies the bytes before the bind call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// A value bound to a statement parameter.
package enum DatabaseValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
    case real(Double)
}

extension DatabaseValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    package init(integerLiteral value: Int64) { self = .integer(value) }
    package init(stringLiteral value: String) { self = .text(value) }
}
