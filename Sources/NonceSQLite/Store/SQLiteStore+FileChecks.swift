import CSQLite
import NonceSchema
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NonceBackend

/// What is checked about the file before SQLite may write to it: a database moved while in
/// use, and files that are not NonceStore's.
extension SQLiteStore {
    /// `PRAGMA application_id` of every NonceStore database since schema 8: 'NONC'.
    package static let applicationID: UInt32 = 0x4E4F_4E43

    /// A `-wal` or `-shm` with no database beside it: the database was moved or deleted while
    /// a process had it open, and the log may hold its newest commits. Creating a database
    /// here would delete that log and start below the nonces it recorded.
    static func refuseLogWithoutDatabase(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) != 0, errno == ENOENT else { return }
        let beside = ["-wal", "-shm"].map { path + $0 }.filter { access($0, F_OK) == 0 }
        if !beside.isEmpty { throw NonceStoreError.logWithoutDatabase(path: path, besideFiles: beside) }
    }

    /// Decides from the file's own bytes, before any read-write connection exists, whether
    /// it is NonceStore's: a read-write connection to another program's database could fold
    /// that program's log into the file and delete the log under it.
    ///
    /// Ours: the header's application id says so; or, written before the id existed, its
    /// `schema_migrations` records NonceStore's first migration; or it is an SQLite file with
    /// nothing in it and no log beside it. Anything else is refused untouched. Files without
    /// the id are read through an immutable connection, which takes no lock and never opens
    /// the `-wal` or `-shm`.
    /// - Returns: the database's page size, from its header.
    @discardableResult
    static func recognise(_ path: String) throws -> Int {
        var header = [UInt8](repeating: 0, count: 100)
        let descriptor: LockDescriptor
        do {
            descriptor = try LockDescriptor(database: path)
        } catch {
            throw NonceStoreError.cannotOpen(path: path, reason: error.description, cause: error)
        }
        let count = header.withUnsafeMutableBytes { pread(descriptor.fd, $0.baseAddress, 100, 0) }
        guard count == 100, Array(header[0..<16]) == Array("SQLite format 3\0".utf8) else {
            throw NonceStoreError.notADatabase(path: path)
        }
        func word(at offset: Int) -> UInt32 {
            header[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        let storedPageSize = Int(header[16]) << 8 | Int(header[17])
        let pageSize = storedPageSize == 1 ? 65_536 : storedPageSize
        let application = word(at: 68)
        if application == applicationID { return pageSize }
        if application != 0 { throw NonceStoreError.foreignDatabase(path: path) }
        let version = Int(word(at: 60))
        if version > SchemaMigrations.latestVersion {
            throw NonceStoreError.newerSchema(path: path, found: version, supported: SchemaMigrations.latestVersion)
        }
        var log = stat()
        let hasLog = stat(path + "-wal", &log) == 0 && log.st_size > 0
        // The file alone first. With a log beside it that no other process has open, the log
        // may hold the newest schema (an older NonceStore stopped before a checkpoint): then
        // a read-only connection reads through it, disturbing no one.
        if try readOwnSchema(path, throughLog: false) { return pageSize }
        if hasLog, WriteLockHolder.processesLocking(path + "-shm", excludingThis: true).isEmpty, try readOwnSchema(path, throughLog: true) {
            return pageSize
        }
        throw NonceStoreError.foreignDatabase(path: path)
    }

    /// Whether `path` holds NonceStore's schema (its first migration recorded), or nothing at
    /// all; read without the log (immutable: no lock, no `-wal` or `-shm` opened) or, when
    /// `throughLog`, read-only through it.
    private static func readOwnSchema(_ path: String, throughLog: Bool) throws -> Bool {
        let (objects, migrations): (Int64, Int64)
        do throws(DatabaseError) {
            let probe = try throughLog ? Connection(path: path, mode: .readOnly) : Connection(immutable: path)
            objects = try probe.scalarInt64("SELECT count(*) FROM sqlite_schema") ?? 0
            let hasLog = try probe.scalarInt64(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'schema_migrations' AND type = 'table'") ?? 0
            migrations = try hasLog == 0 ? 0 : probe.scalarInt64(
                "SELECT count(*) FROM schema_migrations WHERE version = 1 AND name = ?",
                [.text(SchemaMigrations.all[0].name)]) ?? 0
        } catch {
            if error.isNotADatabase { throw NonceStoreError.notADatabase(path: path) }
            throw NonceStoreError.cannotOpen(path: path, reason: error.description, cause: error)
        }
        if migrations > 0 { return true }
        // An empty SQLite file is made ours; one with a log beside it is judged through it.
        var log = stat()
        return objects == 0 && (throughLog || !(stat(path + "-wal", &log) == 0 && log.st_size > 0))
    }

    /// Refuses a database whose previous path still holds its write-ahead log with no
    /// database beside it (moved while in use: that log may hold commits this file lacks),
    /// then records where it is now. The record is best effort: a read-only file keeps the
    /// old one.
    static func checkLocation(_ connection: Connection, path: String, resolvedPath: String) throws {
        let recorded = try connection.scalarText("SELECT path FROM database_location WHERE id = 1")
        guard recorded != resolvedPath else { return }
        if let earlier = recorded {
            var info = stat()
            let earlierGone = lstat(earlier, &info) != 0 && errno == ENOENT
            if earlierGone, let log = ["-wal", "-shm"].map({ earlier + $0 }).first(where: { access($0, F_OK) == 0 }) {
                throw NonceStoreError.logLeftElsewhere(path: path, earlier: earlier, log: log)
            }
        }
        try? recordLocation(connection, resolvedPath: resolvedPath)
        // Into the file itself, not only the log: the record must be there for whoever opens
        // the file after it moves, without this log. Best effort: a reader can hold it back.
        _ = try? connection.scalarInt64("PRAGMA wal_checkpoint(PASSIVE)")
    }

    /// Writes where the database is.
    static func recordLocation(_ connection: Connection, resolvedPath: String) throws {
        try connection.transaction(.immediate) {
            try connection.cachedStatement("""
                INSERT INTO database_location (id, path, recorded_at) VALUES (1, ?1, ?2)
                ON CONFLICT (id) DO UPDATE SET path = ?1, recorded_at = ?2
                """).execute([.text(resolvedPath), .integer(WallClock.nanoseconds())])
        }
    }
}
