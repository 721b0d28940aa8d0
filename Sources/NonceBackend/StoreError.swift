/// The errors of the database and its streams, whatever backend keeps them.
extension NonceStoreError {
    package static func notADatabase(path: String) -> Self {
        Self(.notADatabase, "'\(path)' is not a NonceStore database (not an SQLite file); it was left untouched", database: path)
    }

    package static func foreignDatabase(path: String) -> Self {
        Self(.foreignDatabase, "'\(path)' is an SQLite database of another application (it has tables but no NonceStore "
            + "schema); it was left untouched", database: path)
    }

    package static func newerSchema(path: String, found: Int, supported: Int) -> Self {
        Self(.newerSchema, "'\(path)' has schema version \(found), newer than this build supports (\(supported)); "
            + "upgrade NonceStore to use it. The file was left untouched", database: path)
    }

    /// `besideFiles`: the `-wal`, `-shm` or `-locks` files that show it was in use.
    package static func emptyFile(path: String, besideFiles: [String]) -> Self {
        guard !besideFiles.isEmpty else {
            return Self(.emptyFile, "'\(path)' is an empty file, not a NonceStore database (NonceStore creates its "
                + "databases complete); it was left untouched. Give another path, or remove the file if nothing else uses it",
                database: path)
        }
        return Self(.emptyFile, "'\(path)' is empty but \(besideFiles.joined(separator: ", ")) beside it show it was a "
            + "database in use: it was truncated or replaced, and its nonces' floor is gone from it. Nothing was touched. "
            + "To start over, move all of these files aside and create the database with the last nonce the exchange "
            + "accepted as its floor, by a legacy import of that value", database: path)
    }

    package static func hardLinked(path: String, links: Int) -> Self {
        Self(.hardLinked, "'\(path)' has \(links) hard links: SQLite keeps its write-ahead log beside each name, so a "
            + "database used through two names is corrupted. Remove the other links (a symbolic link is safe)", database: path)
    }

    /// `path` is missing but `besideFiles` (its `-wal`, `-shm`) are there.
    package static func logWithoutDatabase(path: String, besideFiles: [String]) -> Self {
        Self(.databaseMoved, "'\(path)' is missing but \(besideFiles.joined(separator: ", ")) beside it remain: the database "
            + "was moved or deleted while a process had it open, and that log may hold its newest nonces. Nothing was "
            + "created or deleted. Put the database back at this path (a process may still be using it there), or open it "
            + "where it is now once every process that used it here has stopped", database: path)
    }

    /// The database at `path` was last used at `earlier`, where its log `log` remains.
    package static func logLeftElsewhere(path: String, earlier: String, log: String) -> Self {
        Self(.databaseMoved, "'\(path)' was last used as '\(earlier)', which is gone while its write-ahead log '\(log)' "
            + "remains: the database was moved while in use, and that log may hold its newest nonces, which this copy "
            + "lacks. Nothing was touched. Move the database back to '\(earlier)' and open it there once (its log is "
            + "then folded in), or stop the process still using it there first", database: path)
    }

    /// The path this process opened no longer leads to the file it has open.
    package static func databaseMoved(path: String) -> Self {
        Self(.databaseMoved, "'\(path)' no longer leads to the database this process has open: it was moved, replaced or "
            + "deleted while in use. This process issues nothing more from it (a process opening that path would not see "
            + "its nonces); stop it, put the database back, and start again", database: path)
    }

    /// `log` fails its checksum at `offset`, and `commitsLost` commits beyond it are intact.
    package static func damagedLog(path: String, log: String, offset: Int, commitsLost: Int) -> Self {
        Self(.damagedLog, "the write-ahead log '\(log)' of '\(path)' is damaged at byte \(offset): SQLite would drop "
            + "the \(commitsLost) committed transactions after it without a word, the newest high-water marks among "
            + "them, and the next nonce could be below nonces already sent. Nothing was touched. Restore the database "
            + "and its log from a copy, or start over above the last nonce the exchange accepted: move the database "
            + "and every file beside it aside and create a new one with that value as its floor (a legacy import)",
             database: path)
    }

    package static func cannotOpen(path: String, reason: String, cause: (any Error)? = nil) -> Self {
        Self(.cannotOpen, "cannot open database '\(path)': \(reason)", database: path, cause: cause)
    }

    package static func writeFailed(path: String, reason: String, cause: (any Error)? = nil) -> Self {
        Self(.writeFailed, "writing to '\(path)' failed and was rolled back: \(reason)", database: path, cause: cause)
    }

    /// `holder` names the process holding the lock at the end, and what it was doing.
    package static func busy(path: String, waited: Duration, holder: String?) -> Self {
        Self(.busy, "'\(path)' stayed write-locked by other connections for the whole wait of \(waited): this process got "
            + "no turn and wrote nothing" + (holder.map { "; the lock was held by \($0)" } ?? "")
            + "; wait longer, or look for a process stopped inside a transaction", database: path)
    }

    package static func invalidStreamName(_ name: String, reason: String) -> Self {
        Self(.invalidStreamName, "invalid stream name '\(StreamName.shown(name))': \(reason); use 1 to 200 visible characters")
    }

    package static func streamNotFound(_ name: String, path: String) -> Self {
        Self(.streamNotFound, "no stream named '\(name)' in '\(path)'", stream: name, database: path)
    }

    package static func modeMismatch(stream: String, actual: StreamMode, requested: StreamMode) -> Self {
        Self(.modeMismatch, "stream '\(stream)' is \(actual.rawValue), not \(requested.rawValue); open it as "
            + "\(actual.rawValue), or switch its mode to \(requested.rawValue) while no process holds it", stream: stream)
    }

    package static func streamHeld(stream: String, holderPID: Int32?, holderHost: String? = nil, database: String) -> Self {
        var error = Self(.streamHeld, "stream '\(stream)' in '\(database)' is held by \(holder(holderPID, holderHost)); stop that "
            + "process, use another stream, or wait for it", stream: stream, database: database, holderPID: holderPID)
        error.holderHost = holderHost
        return error
    }

    package static func claimTimedOut(
        stream: String, holderPID: Int32?, holderHost: String? = nil, database: String, waited: Duration
    ) -> Self {
        var error = Self(.streamHeld, "stream '\(stream)' in '\(database)' is still held by \(holder(holderPID, holderHost)) "
            + "after waiting \(waited)", stream: stream, database: database, holderPID: holderPID)
        error.holderHost = holderHost
        return error
    }

    /// History of a stream whose row is gone remains, up to `largestNonce`.
    package static func orphanedHistory(stream: String, largestNonce: Int64, path: String) -> Self {
        Self(.orphanedHistory, "no stream named '\(stream)' in '\(path)', but its history holds nonces of a stream whose "
            + "row is gone, the largest \(largestNonce); a new stream would start from the clock, possibly below nonces "
            + "already sent. To continue above them, create the stream with that floor by a legacy import of "
            + "\(largestNonce) (it adopts that history)", stream: stream, database: path, nonce: largestNonce)
    }

    private static func holder(_ pid: Int32?, _ host: String? = nil) -> String {
        let process = pid.map { "process \($0)" } ?? "another process"
        return host.map { "\(process) on host '\($0)'" } ?? process
    }
}
