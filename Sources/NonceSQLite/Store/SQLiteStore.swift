import CSQLite
import NonceSchema
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NonceBackend

/// The SQLite database that holds streams, their high-water marks, the history of issued
/// nonces, events and legacy imports.
///
/// `SQLiteStore` keeps the records consistent (the floor only rises, history and state move
/// together, a stream with history is never forgotten); the policy of issuing (leases,
/// jumps, rate limits) is `NonceKit`'s. It is safe to share
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
/// - ``claim(_:wait:shared:)``
/// - ``isHeld(_:)``
/// ### Legacy imports
/// - ``recordLegacyImport(id:stream:files:floor:summary:)``
/// - ``wasImported(_:stream:)``
/// ### Checking
/// - ``verify(stream:)``
package final class SQLiteStore: Sendable {
    /// Connection settings.
    package struct Configuration: Sendable {
        /// How long one write waits for its turn at the database's write lock while other
        /// connections hold it, retrying at a short flat interval; a write fails with
        /// ``NonceStoreError/busy(path:waited:)`` only when the whole wait passed without a turn.
        package var busyTimeout: Duration = .seconds(10)
        /// Runs on the connection after it is opened and before migrations: a place for
        /// pragmas such as `max_page_count`.
        package var prepareDatabase: (@Sendable (Connection) throws -> Void)?
        /// Create the file when it is missing. Read-only tools turn this off, so that a
        /// mistyped path is an error rather than a new empty database.
        package var createIfMissing: Bool

        package init(
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
    package static let walSizeLimit: Int64 = 16 << 20

    /// How long a write waits for the write lock (``Configuration/busyTimeout``).
    package let busyTimeout: Duration
    /// The database file's path, as given.
    package let path: String
    /// The path with symlinks and `..` resolved: what identifies the file, for locks.
    package let resolvedPath: String
    /// Guards `connection`: SQLite connections are opened without their own mutex.
    private let lock = Mutex(())
    /// Only touched inside `lock`, which is what makes the class `Sendable`.
    nonisolated(unsafe) private let connection: Connection
    /// A second connection for reads: WAL lets it read the last committed state while the
    /// writer holds `connection` for a long transaction.
    private let readLock = Mutex(())
    /// Only touched inside `readLock`.
    nonisolated(unsafe) private let reader: Connection
    /// Test hooks; empty in production.
    let hooks = Mutex(StoreHooks())

    /// Runs after a write transaction's body and before its `COMMIT`: a test's window
    /// into the moment a commit is about to happen. Nil in production.
    package var beforeCommit: (@Sendable () -> Void)? {
        get { hooks.withLock { $0.beforeCommit } }
        set { hooks.withLock { $0.beforeCommit = newValue } }
    }

    /// Opens the database at `path`, creating it (mode 0600) and its schema when missing.
    ///
    /// A file that is not an SQLite database, or whose schema is newer than this build, is
    /// refused with ``NonceStoreError`` and left byte-for-byte untouched.
    package init(path: String, configuration: Configuration = Configuration()) throws {
        self.path = path
        busyTimeout = configuration.busyTimeout
        try Self.refuseLogWithoutDatabase(path)
        if configuration.createIfMissing {
            try Self.createDatabaseIfMissing(path, configuration: configuration)
        } else if access(path, F_OK) != 0 {
            throw NonceStoreError.cannotOpen(path: path, reason: "no such file")
        }
        try Self.checkFile(path)
        // Before SQLite sees it: SQLite would open a read-only file read-only and make its
        // -wal and -shm read-only too, which then outlive a chmod that gives write back.
        if access(path, W_OK) != 0, errno == EACCES || errno == EROFS {
            throw NonceStoreError.cannotOpen(path: path, reason: errno == EROFS
                ? "it is on a read-only file system; NonceStore writes to its database to issue and record nonces"
                : "the file is read-only for this user; NonceStore writes to its database to issue and record "
                    + "nonces: give the user write permission (chmod u+w), nothing was created beside it")
        }
        let pageSize = try Self.recognise(path)
        // The first connection after every process stopped rebuilds the log's index, and
        // silently drops commits after a damaged frame: look first. While any process (this
        // one too) has the database open, no rebuild happens, and the log is not read.
        if WriteLockHolder.processesLocking(path + "-shm", excludingThis: false).isEmpty,
           let damage = WriteAheadLogCheck.damage(inLog: path + "-wal", pageSize: pageSize) {
            throw NonceStoreError.damagedLog(path: path, log: path + "-wal", offset: damage.offset, commitsLost: damage.commitsLost)
        }
        let resolvedPath = Self.resolved(path) ?? path
        self.resolvedPath = resolvedPath
        let connection: Connection, reader: Connection
        do {
            connection = try Connection(path: path, mode: .readWrite)
            reader = try Connection(path: path, mode: .readWrite)
        } catch {
            throw NonceStoreError.cannotOpen(path: path, reason: Self.explain(error), cause: error)
        }
        connection.setBusyWait(configuration.busyTimeout)
        reader.setBusyWait(configuration.busyTimeout)
        try Self.prepare(connection, path: path, configuration: configuration)
        // Opened by path: the file may have been swapped since it was checked.
        if connection.hasMoved || reader.hasMoved { throw NonceStoreError.databaseMoved(path: path) }
        do {
            try Self.checkLocation(connection, path: path, resolvedPath: resolvedPath)
        } catch let error as DatabaseError {
            throw NonceStoreError.cannotOpen(path: path, reason: Self.explain(error), cause: error)
        }
        self.connection = connection
        self.reader = reader
    }

    /// Runs `body` with the connection, under the store's lock. Package-only: a connection
    /// that escaped the lock would race the background writer inside SQLite.
    package func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        try lock.withLock { _ in try body(connection) }
    }

    /// Runs `body` with the read connection: reads never queue behind a write transaction
    /// (a 32,768-row history batch, a disk flush). It sees the last committed state; a
    /// read inside a write transaction uses that transaction's connection instead.
    /// An SQLite failure arrives as `read_failed` (or `busy`), naming the file.
    package func withReadConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        do {
            return try readLock.withLock { _ in try body(reader) }
        } catch let error as DatabaseError where error.isBusy {
            throw NonceStoreError.busy(path: path, waited: busyTimeout, holder: nil)
        } catch let error as DatabaseError {
            throw NonceStoreError(.readFailed, "reading '\(path)' failed: \(Self.explain(error))", database: path, cause: error)
        }
    }

    // MARK: Opening

    /// Creates the database complete or not at all: built under a temporary name beside
    /// `path` (schema, WAL mode), then renamed into place unless a file appeared there. So an empty file at `path` is never
    /// one of ours half made, and ``checkFile(_:)`` can refuse every empty file.
    private static func createDatabaseIfMissing(_ path: String, configuration: Configuration) throws {
        guard access(path, F_OK) != 0 else { return }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        removeLeftoverCreations(in: directory.isEmpty ? "/" : directory, name: name)
        let temporary = "\(directory.isEmpty ? "/" : directory)/.\(name).creating-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { for suffix in ["", "-wal", "-shm"] { unlink(temporary + suffix) } }
        let fd = open(temporary, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            throw NonceStoreError.cannotOpen(path: path, reason: code == EACCES || code == EROFS
                ? "cannot create it: its directory is not writable" : String(cString: strerror(code)))
        }
        close(fd)
        do {
            // Closed at the end of this scope: the log is checkpointed into the file.
            let connection = try Connection(path: temporary, mode: .readWrite)
            try prepare(connection, path: path, configuration: configuration)
            // The path it will live at, in the file itself (the log is folded in at close).
            let folder = resolved(directory.isEmpty ? "/" : directory) ?? directory
            try recordLocation(connection, resolvedPath: (folder == "/" ? "" : folder) + "/" + name)
        } catch let error as DatabaseError {
            throw NonceStoreError.cannotOpen(path: path, reason: explain(error), cause: error)
        }
        guard noncestore_rename_noreplace(temporary, path) == 0 else {
            let code = errno
            // Another process created it first: use theirs.
            if code == EEXIST && access(path, F_OK) == 0 { return }
            throw NonceStoreError.cannotOpen(path: path, reason: code == EEXIST
                ? "it is a symbolic link to a missing file" : String(cString: strerror(code)))
        }
        let directoryFD = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// `path` with symbolic links and `..` resolved; nil when it cannot be (a missing file).
    private static func resolved(_ path: String) -> String? {
        realpath(path, nil).map { resolved in
            defer { free(resolved) }
            return String(cString: resolved)
        }
    }

    /// Removes what a creation killed before its rename left: `.NAME.creating-PID-TOKEN`
    /// (a decimal token here, a hexadecimal one from the Python package) and its `-wal`,
    /// `-shm` and `-journal`, of processes that no longer exist. Never a live creator's, and
    /// never anything but these temporary names.
    private static func removeLeftoverCreations(in directory: String, name: String) {
        guard let folder = opendir(directory) else { return }
        defer { closedir(folder) }
        let prefix = ".\(name).creating-"
        while let entry = readdir(folder) {
            let file = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard file.hasPrefix(prefix) else { continue }
            let rest = file.dropFirst(prefix.count)
            guard let dash = rest.firstIndex(of: "-"), let pid = Int32(rest[..<dash]), pid > 0 else { continue }
            let tail = rest[rest.index(after: dash)...]
            let token = tail.prefix { $0.isASCII && ($0.isNumber || $0.isLetter) }
            guard !token.isEmpty, ["", "-wal", "-shm", "-journal"].contains(String(tail.dropFirst(token.count))) else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink("\(directory)/\(file)") }
        }
    }

    /// Refuses files that must not become (or be used as) a database:
    /// - an empty file: NonceStore creates databases complete, so an empty one is not ours,
    ///   or is one of ours truncated; opened, SQLite would start it afresh and delete a
    ///   write-ahead log beside it that may hold the newest marks;
    /// - a file with several hard links: SQLite keeps the log beside each name, so two names
    ///   of one database corrupt it.
    private static func checkFile(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw NonceStoreError.cannotOpen(path: path, reason: "it is a directory")
        }
        if info.st_size == 0 {
            let beside = ["-wal", "-shm", "-locks"].filter { access(path + $0, F_OK) == 0 }
            throw NonceStoreError.emptyFile(path: path, besideFiles: beside.map { path + $0 })
        }
        if info.st_nlink > 1 {
            throw NonceStoreError.hardLinked(path: path, links: Int(info.st_nlink))
        }
    }

    private static func prepare(_ connection: Connection, path: String, configuration: Configuration) throws {
        // Read before writing anything: this is where a foreign or newer file is refused.
        let version: Int, objects: Int64
        do {
            (version, objects) = try Migrator.schemaVersionAndObjects(connection)
        } catch where error.isNotADatabase {
            throw NonceStoreError.notADatabase(path: path)
        } catch {
            throw NonceStoreError.cannotOpen(path: path, reason: explain(error), cause: error)
        }
        if version > SchemaMigrations.latestVersion {
            throw NonceStoreError.newerSchema(path: path, found: version, supported: SchemaMigrations.latestVersion)
        }
        // Another application's SQLite file: has tables, but never had our schema.
        if version == 0, objects > 0 {
            throw NonceStoreError.foreignDatabase(path: path)
        }
        do {
            try enableWriteAheadLog(connection, path: path, timeout: configuration.busyTimeout)
            try connection.execute("PRAGMA synchronous = NORMAL")
            // SQLite leaves foreign keys unchecked unless each connection asks: history,
            // events, imports and rate counters must belong to a stream that exists.
            try connection.execute("PRAGMA foreign_keys = ON")
            // After a checkpoint resets the log, trim the file back to this: a burst (or a
            // reader that held checkpoints off) does not leave a large -wal behind for good.
            try connection.execute("PRAGMA journal_size_limit = \(Self.walSizeLimit)")
            try configuration.prepareDatabase?(connection)
            try Migrator.migrate(connection, path: path)
        } catch let error as DatabaseError where error.isBusy {
            throw NonceStoreError.busy(path: path, waited: configuration.busyTimeout,
                                  holder: WriteLockHolder.find(database: path)?.description)
        } catch let error as DatabaseError {
            throw NonceStoreError.cannotOpen(path: path, reason: Self.explain(error), cause: error)
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
                    throw NonceStoreError.cannotOpen(path: path, reason: "the file system refused WAL mode (got \(mode ?? "nothing"))")
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

extension SQLiteStore {
    /// The SQLite library in use, as it reports itself (`sqlite3_libversion`).
    package static var libraryVersion: String { String(cString: sqlite3_libversion()) }
}
