/// Every error NonceStore's libraries throw, as swift-nio's `FileSystemError` is for files:
/// a stable ``code`` to switch on, a ``message`` for people, and the ``cause`` underneath
/// (a SQLite result code stays reachable through it). Each names the stream and database
/// at fault when there is one. No error leaves a nonce issued that could not be made
/// durable, and none names a command-line flag: the `nonce` command adds its own hints.
public struct NonceStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, stable across releases: switch on it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The code's name in snake case, as JSON and logs show it.
        public var description: String { name }

        // The database file.
        /// The file is not an SQLite database. It was left untouched.
        public static let notADatabase = Code("not_a_database")
        /// An SQLite database of another application. It was left untouched.
        public static let foreignDatabase = Code("foreign_database")
        /// Written by a newer NonceStore. It was left untouched.
        public static let newerSchema = Code("newer_schema")
        /// An empty file: not a NonceStore database, or one truncated. It was left untouched.
        public static let emptyFile = Code("empty_file")
        /// The database file has several hard links.
        public static let hardLinked = Code("hard_linked")
        /// The database was moved, replaced or deleted while a process had it open, or its
        /// write-ahead log was left behind at another path. Nothing was created or deleted.
        public static let databaseMoved = Code("database_moved")
        /// The write-ahead log is damaged: opening would silently drop committed
        /// transactions (the newest marks among them). Nothing was touched.
        public static let damagedLog = Code("damaged_log")
        /// The database could not be opened, created or prepared.
        public static let cannotOpen = Code("cannot_open")
        /// A write failed (a full disk, an I/O error) and was rolled back.
        public static let writeFailed = Code("write_failed")
        /// A read failed (a damaged page, an I/O error); nothing was changed.
        public static let readFailed = Code("read_failed")
        /// Other connections kept the write lock for the whole wait.
        public static let busy = Code("busy")
        // A database server.
        /// The server could not be reached, or refused the login.
        public static let cannotConnect = Code("cannot_connect")
        /// The session with the server ended; the claims and locks it held ended with it.
        public static let connectionLost = Code("connection_lost")
        /// The server is a read-only standby: nonces are issued on the primary only.
        public static let readOnly = Code("read_only")

        // Streams.
        /// A stream name that is empty, too long, or holds invisible characters.
        public static let invalidStreamName = Code("invalid_stream_name")
        /// No stream has that name.
        public static let streamNotFound = Code("stream_not_found")
        /// The stream exists in the other mode.
        public static let modeMismatch = Code("mode_mismatch")
        /// Another process (or manager) holds the stream.
        public static let streamHeld = Code("stream_held")
        /// History of a stream whose row is gone: a new stream could start below it.
        public static let orphanedHistory = Code("orphaned_history")

        // Issuing.
        /// The high-water mark could not be made durable: no nonce above the old one was issued.
        public static let markNotDurable = Code("mark_not_durable")
        /// A shared stream's nonce could not be committed: none was issued.
        public static let issueFailed = Code("issue_failed")
        /// The history could not be written: issuing stopped.
        public static let historyWriteFailed = Code("history_write_failed")
        /// The rate counter could not be read or written: the call did not proceed.
        public static let rateCounterFailed = Code("rate_counter_failed")
        /// The next nonce, mark or jump would pass 2^63-1.
        public static let exhausted = Code("exhausted")
        /// The manager was closed.
        public static let closed = Code("closed")
        /// An argument outside what the call accepts.
        public static let invalidArgument = Code("invalid_argument")
        /// The API lock stayed taken for the whole timeout.
        public static let apiLockTimedOut = Code("api_lock_timed_out")
        /// A structured child task asked for the API lock its parent holds.
        public static let apiLockHeldByParentTask = Code("api_lock_held_by_parent_task")

        // Legacy imports.
        /// Nothing to import was given, or an empty value.
        public static let nothingToImport = Code("nothing_to_import")
        /// A path given to the import does not exist.
        public static let pathNotFound = Code("path_not_found")
        /// Suspect legacy values stopped the import; the cause carries the report.
        public static let importRejected = Code("import_rejected")
    }

    /// What went wrong.
    public var code: Code
    /// What happened, for people.
    public var message: String
    /// The stream at fault, if one is.
    public var stream: String?
    /// The database at fault (its path, or a server's name), if one is.
    public var database: String?
    /// The process that holds what was asked for, when that is known.
    public var holderPID: Int32?
    /// The host of that process, when the database is a server shared by several hosts.
    public var holderHost: String?
    /// The nonce at issue, when one is (the largest of a history that lost its stream).
    public var nonce: Int64?
    /// The error underneath: a SQLite error with its result codes, an import's report, ...
    public var cause: (any Error)?

    package init(
        _ code: Code, _ message: String, stream: String? = nil, database: String? = nil, holderPID: Int32? = nil,
        nonce: Int64? = nil, cause: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.stream = stream
        self.database = database
        self.holderPID = holderPID
        self.nonce = nonce
        self.cause = cause
    }

    /// The message, then its cause's (unless the message already carries the cause's words).
    public var description: String {
        guard let cause, !(cause is any CauseInMessage) else { return message }
        return "\(message): \(cause)"
    }

    /// Equal when they say the same thing about the same stream and database; causes are
    /// not compared.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.stream == rhs.stream && lhs.database == rhs.database
            && lhs.holderPID == rhs.holderPID && lhs.holderHost == rhs.holderHost && lhs.nonce == rhs.nonce
    }
}

/// A cause whose words the error's message already carries in full (a database server's
/// message, SQLSTATE and detail): ``NonceStoreError/description`` leaves it out rather than
/// say them twice.
package protocol CauseInMessage: Error {}

extension NonceStoreError {
    /// `error` itself when it already is a `NonceStoreError`, else `wrap(error)`: a code set
    /// below (a server's `exhausted`, a moved file, a lost connection) reaches the caller
    /// unchanged, and a layer names its own code only for a failure that has none.
    package static func keeping(_ error: any Error, or wrap: (any Error) -> NonceStoreError) -> NonceStoreError {
        (error as? NonceStoreError) ?? wrap(error)
    }

    /// Runs `body` and lets nothing but a `NonceStoreError` out: the public API's promise,
    /// checked by the compiler. A failure that has no code of its own (another library's
    /// error from below) arrives as `code`, naming `database`, with that error as the cause.
    package static func only<T>(_ code: Code, database: String, _ body: () throws -> T) throws(NonceStoreError) -> T {
        do {
            return try body()
        } catch {
            throw keeping(error) { NonceStoreError(code, "'\(database)': \($0)", database: database, cause: $0) }
        }
    }
}
