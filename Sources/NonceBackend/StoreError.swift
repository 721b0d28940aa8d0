/// Errors the store reports in its own terms, each naming the file or stream at fault.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file exists but is not an SQLite database. It was left untouched.
    case notADatabase(path: String)
    /// An SQLite database of some other application. It was left untouched.
    case foreignDatabase(path: String)
    /// The database was written by a newer NonceStore. It was left untouched.
    case newerSchema(path: String, found: Int, supported: Int)
    /// The file is empty. NonceStore creates databases complete, so an empty file is not
    /// one of its databases, or is one truncated (`besideFiles` lists the `-wal`, `-shm` or
    /// `-locks` files that say it was in use). It was left untouched.
    case emptyFile(path: String, besideFiles: [String])
    /// The database file has several hard links; SQLite keeps a log beside each name, so
    /// using more than one name corrupts it.
    case hardLinked(path: String, links: Int)
    /// The database could not be opened or prepared for writing.
    case cannotOpen(path: String, reason: String)
    /// A stream name that is empty, too long (as seen or as stored), or holds invisible or
    /// control characters; `reason` says which.
    case invalidStreamName(String, reason: String)
    /// No stream has that name.
    case streamNotFound(String, path: String)
    /// The stream exists in another mode than the one asked for.
    case modeMismatch(stream: String, actual: StreamMode, requested: StreamMode)
    /// A write failed (a full disk, an I/O error) and was rolled back: nothing of it is in the file.
    case writeFailed(path: String, reason: String)
    /// Other connections kept the database's write lock for the whole wait: this one got no
    /// turn. Nothing was written. `holder` names the process holding it at the end, and what
    /// it was doing, when that could be seen.
    case busy(path: String, waited: Duration, holder: String?)
    /// Another claim (in this process or another) holds the exclusive stream.
    case streamHeld(stream: String, holderPID: Int32?, database: String)
    /// The stream is missing while history of a stream whose row is gone remains: created
    /// from the clock, it could issue below nonces already sent.
    case orphanedHistory(stream: String, largestNonce: Int64, path: String)
    /// Waited for a stream's claim and the holder kept it.
    case claimTimedOut(stream: String, holderPID: Int32?, database: String, waited: Duration)

    public var description: String {
        switch self {
        case .notADatabase(let path):
            "'\(path)' is not a NonceStore database (not an SQLite file); it was left untouched"
        case .foreignDatabase(let path):
            "'\(path)' is an SQLite database of another application (it has tables but no NonceStore schema); "
                + "it was left untouched"
        case .newerSchema(let path, let found, let supported):
            "'\(path)' has schema version \(found), newer than this build supports (\(supported)); "
                + "upgrade NonceStore to use it. The file was left untouched"
        case .emptyFile(let path, let beside) where beside.isEmpty:
            "'\(path)' is an empty file, not a NonceStore database (NonceStore creates its databases complete); "
                + "it was left untouched. Give another path, or remove the file if nothing else uses it"
        case .emptyFile(let path, let beside):
            "'\(path)' is empty but \(beside.joined(separator: ", ")) beside it show it was a database in use: "
                + "it was truncated or replaced, and its nonces' floor is gone from it. Nothing was touched. To start "
                + "over, move all of these files aside and create the database with the last nonce the exchange "
                + "accepted as its floor: nonce import-legacy --value NONCE --stream NAME"
        case .hardLinked(let path, let links):
            "'\(path)' has \(links) hard links: SQLite keeps its write-ahead log beside each name, so a database "
                + "used through two names is corrupted. Remove the other links (a symbolic link is safe)"
        case .cannotOpen(let path, let reason):
            "cannot open database '\(path)': \(reason)"
        case .invalidStreamName(let name, let reason):
            "invalid stream name '\(StreamName.shown(name))': \(reason); use 1 to 200 visible characters"
        case .streamNotFound(let name, let path):
            "no stream named '\(name)' in '\(path)'"
        case .modeMismatch(let stream, let actual, let requested):
            "stream '\(stream)' is \(actual.rawValue), not \(requested.rawValue); open it as \(actual.rawValue), or switch it "
                + "with 'nonce stream set-mode \(stream) \(requested.rawValue)' while no process holds it"
        case .writeFailed(let path, let reason):
            "writing to '\(path)' failed and was rolled back: \(reason)"
        case .busy(let path, let waited, let holder):
            "'\(path)' stayed write-locked by other connections for the whole wait of \(waited): this process got no turn "
                + "and wrote nothing" + (holder.map { "; the lock was held by \($0)" } ?? "")
                + "; give it a longer wait, or look for a process stopped inside a transaction"
        case .streamHeld(let stream, let pid, let database):
            "stream '\(stream)' in '\(database)' is held by \(Self.holder(pid)); "
                + "stop that process, use another stream, or wait for it"
        case .orphanedHistory(let stream, let top, let path):
            "no stream named '\(stream)' in '\(path)', but its history holds nonces of a stream whose row is gone, "
                + "the largest \(top); a new stream would start from the clock, possibly below nonces already sent. "
                + "To continue above them, create the stream with that floor: "
                + "nonce import-legacy --value \(top) --stream '\(stream)' (it adopts that history)"
        case .claimTimedOut(let stream, let pid, let database, let waited):
            "stream '\(stream)' in '\(database)' is still held by \(Self.holder(pid)) after waiting \(waited)"
        }
    }

    private static func holder(_ pid: Int32?) -> String {
        pid.map { "process \($0)" } ?? "another process"
    }
}
