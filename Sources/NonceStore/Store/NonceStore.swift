import CSQLite
import NonceSchema
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The SQLite database that holds streams, their high-water marks, the history of issued
/// nonces, events and legacy imports.
///
/// `NonceStore` speaks SQL and nothing else: it decides no policy. It is safe to share
/// between threads; each call runs under one lock around one connection. Every change runs
/// in a `BEGIN IMMEDIATE` transaction.
///
/// ## Topics
/// ### Opening
/// - ``init(path:configuration:)``
/// - ``Configuration``
/// ### Streams
/// - ``stream(named:)``
/// - ``streams()``
/// - ``openStream(named:mode:)``
/// - ``apply(_:durable:)``
/// ### Reading history and events
/// - ``history(stream:limit:)``
/// - ``events(stream:limit:)``
/// ### Claims
/// - ``claim(_:wait:)``
/// - ``isHeld(_:)``
/// ### Legacy imports
/// - ``recordLegacyImport(id:stream:files:floor:summary:)``
/// - ``wasImported(_:stream:)``
/// ### Checking
/// - ``verify(stream:)``
public final class NonceStore: Sendable {
    /// Connection settings.
    public struct Configuration: Sendable {
        /// How long one write waits for its turn at the database's write lock while other
        /// connections hold it, retrying at a short flat interval; a write fails with
        /// ``StoreError/busy(path:waited:)`` only when the whole wait passed without a turn.
        public var busyTimeout: Duration = .seconds(10)
        /// Runs on the connection after it is opened and before migrations: a place for
        /// pragmas such as `max_page_count`.
        public var prepareDatabase: (@Sendable (Connection) throws -> Void)?
        /// Create the file when it is missing. Read-only tools turn this off, so that a
        /// mistyped path is an error rather than a new empty database.
        public var createIfMissing: Bool

        public init(
            busyTimeout: Duration = .seconds(10),
            createIfMissing: Bool = true,
            prepareDatabase: (@Sendable (Connection) throws -> Void)? = nil
        ) {
            self.busyTimeout = busyTimeout
            self.createIfMissing = createIfMissing
            self.prepareDatabase = prepareDatabase
        }
    }

    /// What the write-ahead log is trimmed back to after a checkpoint: 16 MiB.
    public static let walSizeLimit: Int64 = 16 << 20

    /// How long a write waits for the write lock (``Configuration/busyTimeout``).
    public let busyTimeout: Duration
    /// The database file's path, as given.
    public let path: String
    /// The path with symlinks and `..` resolved: what identifies the file, for locks.
    public let resolvedPath: String
    /// Guards `connection`: SQLite connections are opened without their own mutex.
    private let lock = Mutex(())
    /// Only touched inside `lock`, which is what makes the class `Sendable`.
    nonisolated(unsafe) private let connection: Connection

    /// Opens the database at `path`, creating it (mode 0600) and its schema when missing.
    ///
    /// A file that is not an SQLite database, or whose schema is newer than this build, is
    /// refused with ``StoreError`` and left byte-for-byte untouched.
    public init(path: String, configuration: Configuration = Configuration()) throws {
        self.path = path
        busyTimeout = configuration.busyTimeout
        if configuration.createIfMissing {
            try Self.createFileIfMissing(path)
        } else if access(path, F_OK) != 0 {
            throw StoreError.cannotOpen(path: path, reason: "no such file")
        }
        resolvedPath = realpath(path, nil).map { resolved in
            defer { free(resolved) }
            return String(cString: resolved)
        } ?? path
        let connection: Connection
        do {
            connection = try Connection(path: path, mode: .readWrite)
        } catch {
            throw StoreError.cannotOpen(path: path, reason: Self.explain(error))
        }
        connection.setBusyWait(configuration.busyTimeout)
        try Self.prepare(connection, path: path, configuration: configuration)
        self.connection = connection
    }

    /// Runs `body` with the connection, under the store's lock. Package-only: a connection
    /// that escaped the lock would race the background writer inside SQLite.
    package func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        try lock.withLock { _ in try body(connection) }
    }

    // MARK: Opening

    private static func createFileIfMissing(_ path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 {
            close(fd)
            return
        }
        let code = errno
        guard code != EEXIST else { return }
        throw StoreError.cannotOpen(path: path, reason: String(cString: strerror(code)))
    }

    private static func prepare(_ connection: Connection, path: String, configuration: Configuration) throws {
        // Read before writing anything: this is where a foreign or newer file is refused.
        let version: Int, objects: Int64
        do {
            (version, objects) = try Migrator.schemaVersionAndObjects(connection)
        } catch where error.isNotADatabase {
            throw StoreError.notADatabase(path: path)
        } catch {
            throw StoreError.cannotOpen(path: path, reason: explain(error))
        }
        if version > SchemaMigrations.latestVersion {
            throw StoreError.newerSchema(path: path, found: version, supported: SchemaMigrations.latestVersion)
        }
        // Another application's SQLite file: has tables, but never had our schema.
        if version == 0, objects > 0 {
            throw StoreError.foreignDatabase(path: path)
        }
        do {
            try enableWriteAheadLog(connection, path: path, timeout: configuration.busyTimeout)
            try connection.execute("PRAGMA synchronous = NORMAL")
            // After a checkpoint resets the log, trim the file back to this: a burst (or a
            // reader that held checkpoints off) does not leave a large -wal behind for good.
            try connection.execute("PRAGMA journal_size_limit = \(Self.walSizeLimit)")
            try configuration.prepareDatabase?(connection)
            try Migrator.migrate(connection, path: path)
        } catch let error as DatabaseError where error.isBusy {
            throw StoreError.busy(path: path, waited: configuration.busyTimeout,
                                  holder: WriteLockHolder.find(database: path)?.description)
        } catch let error as DatabaseError {
            throw StoreError.cannotOpen(path: path, reason: Self.explain(error))
        }
    }

    /// Switching to WAL needs a moment alone with the file; when two processes create the
    /// database together one of them sees `SQLITE_BUSY`, which the busy handler does not
    /// cover for this pragma, so retry until the busy timeout.
    private static func enableWriteAheadLog(_ connection: Connection, path: String, timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                let mode = try connection.prepare("PRAGMA journal_mode = WAL").rows { $0.text(at: 0) }.first ?? nil
                guard mode?.lowercased() == "wal" else {
                    throw StoreError.cannotOpen(path: path, reason: "the file system refused WAL mode (got \(mode ?? "nothing"))")
                }
                return
            } catch let error as DatabaseError where error.isBusy && ContinuousClock.now < deadline {
                usleep(2_000)
            }
        }
    }

    static func explain(_ error: DatabaseError) -> String {
        switch error.resultCode {
        case SQLITE_READONLY, SQLITE_CANTOPEN:
            "\(error.message): the file or its directory is not writable "
                + "(SQLite needs to create the -wal and -shm files beside the database)"
        case SQLITE_FULL:
            "\(error.message): the disk or the database's size limit is full"
        default:
            error.description
        }
    }
}
