public import NonceBackend
import NonceSQLite

/// A read-only view of a NonceStore database: what `nonce stats`, `history`, `verify` and
/// `prune` show and do, for any stream, while other processes issue.
///
/// It cannot issue, move a high-water mark, claim or release a stream, or write history:
/// the only change it makes is ``pruneHistory(of:issuedBefore:keep:)``, which deletes old
/// history rows and never the state that keeps nonces increasing. Issuing goes through
/// ``NonceManager``.
///
/// ```swift
/// let inspector = try NonceInspector(path: "nonces.sqlite")
/// for stats in try inspector.streams() { print(stats.stream, stats.lastIssued) }
/// ```
public final class NonceInspector: Sendable {
    package let store: any NonceBackend
    let clock: any NonceClock

    /// The database, as given: a file's path, or a server's name.
    public var path: String { store.path }

    /// Opens the database at `path`, which must exist: a mistyped path is an error, never a
    /// new database.
    ///
    /// - Parameters:
    ///   - path: the database file.
    ///   - wait: how long a read or a prune waits for other processes' writes.
    ///   - clock: what the figures' lead over the wall clock is measured against.
    public convenience init(path: String, wait: Duration = .seconds(10), clock: any NonceClock = SystemClock()) throws(NonceStoreError) {
        try DatabaseLocation.refuseServerURI(path)
        self.init(store: try NonceStoreError.only(.cannotOpen, database: path) {
            try SQLiteStore(path: path, configuration: .init(busyTimeout: wait, createIfMissing: false))
        }, clock: clock)
    }

    /// Reads `store`, which another door opened (the PostgreSQL library's, for one).
    package init(store: any NonceBackend, clock: any NonceClock = SystemClock()) {
        self.store = store
        self.clock = clock
    }

    /// Every stream's figures, by name.
    public func streams() throws(NonceStoreError) -> [NonceStats] {
        try reading { try store.streams().map { try stats(of: $0.name) } }
    }

    /// `stream`'s figures as the database holds them, without claiming it.
    ///
    /// - Throws: `NonceStoreError` `.streamNotFound` when there is no such stream.
    public func stats(of stream: String) throws(NonceStoreError) -> NonceStats {
        try reading { try NonceManager.stats(of: StreamName.normalized(stream), in: store, clock: clock) }
    }

    /// The newest `limit` issued nonces of `stream`, newest first.
    public func history(of stream: String, limit: Int) throws(NonceStoreError) -> [HistoryEntry] {
        let stream = StreamName.normalized(stream)
        return try reading {
            guard try store.stream(named: stream) != nil else { throw NonceStoreError.streamNotFound(stream, path: store.path) }
            return try store.history(stream: stream, limit: limit)
        }
    }

    /// The newest `limit` events of `stream` (jumps, clock regressions, imports, repairs), newest first.
    public func events(of stream: String, limit: Int) throws(NonceStoreError) -> [EventEntry] {
        try reading { try store.events(stream: StreamName.normalized(stream), limit: limit) }
    }

    /// SQLite's `integrity_check` and the invariants of every stream, or of `stream` alone.
    public func verify(stream: String? = nil) throws(NonceStoreError) -> VerificationReport {
        try reading { try store.verify(stream: stream.map(StreamName.normalized)) }
    }

    /// Deletes `stream`'s history rows issued before `issuedBefore` (nanoseconds since the
    /// epoch), or all but the newest `keep`, or both limits together. The stream's state,
    /// and so its floor, is untouched.
    public func pruneHistory(of stream: String, issuedBefore: Int64? = nil, keep: Int64? = nil) throws(NonceStoreError) -> PruneResult {
        try NonceStoreError.only(.writeFailed, database: store.path) {
            try store.pruneHistory(stream: StreamName.normalized(stream), issuedBefore: issuedBefore, keep: keep)
        }
    }

    private func reading<T>(_ body: () throws -> T) throws(NonceStoreError) -> T {
        try NonceStoreError.only(.readFailed, database: store.path, body)
    }
}
