public import NonceBackend
import Foundation

/// A NonceStore database opened for administration: create streams, switch their modes, copy
/// them to another database. What `nonce stream` and `nonce copy-stream` do, for a program.
///
/// None of it can lower a floor: a mode changes only while no process holds the stream, and
/// a copy holds both streams' claims and only ever raises the destination's floor. Issuing
/// goes through ``NonceManager`` (``NonceManager/init(database:configuration:)-(NonceDatabase,_)``
/// opens one on this database); reading through ``inspector``.
///
/// ```swift
/// let database = try NonceDatabase("nonces.sqlite")
/// try database.createStream("kraken-main", mode: .shared)
/// let copies = try database.copyStreams(to: NonceDatabase("postgresql://bot@db.internal/nonces"))
/// ```
public final class NonceDatabase: Sendable {
    package let store: any NonceBackend

    /// The database, as messages name it: a file's path, or a server and database name
    /// (never a password).
    public var location: String { store.path }

    /// Opens `location`, a SQLite file's path or a PostgreSQL URI.
    ///
    /// - Parameters:
    ///   - location: a SQLite file's path, or a `postgresql://` URI.
    ///   - create: make a missing file or PostgreSQL schema; when false a missing one is
    ///     an error, so a mistyped path never becomes a new, empty database.
    ///   - wait: how long a write waits for other processes' turns.
    /// - Throws: `NonceStoreError`, naming the database.
    public convenience init(_ location: String, create: Bool = true, wait: Duration = .seconds(10)) throws(NonceStoreError) {
        self.init(store: try NonceStoreError.only(.cannotOpen, database: location) {
            try BackendOpener.open(location, create: create, wait: wait)
        })
    }

    package init(store: any NonceBackend) {
        self.store = store
    }

    /// The database at `location` if there is one, or nil: no file there, or a server without
    /// NonceStore's schema. Creates nothing; what `--dry-run` previews against.
    public static func existing(_ location: String, wait: Duration = .seconds(10)) throws(NonceStoreError) -> NonceDatabase? {
        let isServer = DatabaseLocation.isServerURI(location)
        if !isServer, !FileManager.default.fileExists(atPath: location) { return nil }
        do {
            return try NonceDatabase(location, create: false, wait: wait)
        } catch where isServer && error.code == .cannotOpen && error.cause == nil {
            return nil
        }
    }

    /// True when `location` names a database server (`postgres://` or `postgresql://`), not a file.
    public static func isServer(_ location: String) -> Bool { DatabaseLocation.isServerURI(location) }

    /// Whether this build can open `postgresql://` URIs (the `PostgreSQL` package trait).
    public static var hasPostgreSQL: Bool { BackendOpener.hasPostgreSQL }

    /// Reads this database's streams, history and events.
    public var inspector: NonceInspector { NonceInspector(store: store) }

    /// The mode of the stream called `name`, or nil when there is none.
    public func mode(of name: String) throws(NonceStoreError) -> StreamMode? {
        try NonceStoreError.only(.readFailed, database: location) { try store.stream(named: StreamName.normalized(name))?.mode }
    }

    /// Creates the stream called `name` in `mode` with `rules`, or finds it.
    ///
    /// - Returns: the stream's mode and rules (an existing stream keeps its own) and whether
    ///   it was created.
    /// - Throws: `NonceStoreError` `.invalidStreamName`; `.orphanedHistory` when history of a
    ///   stream of that name outlived its row (a new stream could start below it).
    @discardableResult
    public func createStream(
        _ name: String, mode: StreamMode = .exclusive, rules: StreamRules = .nanoseconds
    ) throws(NonceStoreError) -> (mode: StreamMode, rules: StreamRules, created: Bool) {
        let name = StreamName.normalized(name)
        try rules.validate()
        return try writing {
            if let existing = try store.stream(named: name) { return (existing.mode, existing.rules, false) }
            let record = try store.openStream(named: name, mode: mode, rules: rules)
            return (record.mode, record.rules, true)
        }
    }

    /// The unit, ceiling and exchange preset of the stream called `name`, or nil when there is none.
    public func rules(of name: String) throws(NonceStoreError) -> StreamRules? {
        try NonceStoreError.only(.readFailed, database: location) { try store.stream(named: StreamName.normalized(name))?.rules }
    }

    /// Moves the stream called `name` to the finer `unit` while no process holds it: its floor
    /// is multiplied (ms to us: by 1,000) and a `unit` event records it.
    ///
    /// - Returns: false when it already was in `unit`.
    /// - Throws: `.invalidArgument` for a coarser unit (the exchange has accepted the larger
    ///   values already: a new API key and a new stream are the way); `.streamHeld`;
    ///   `.exhausted` when the multiplied floor would pass the ceiling.
    @discardableResult
    public func setUnit(_ unit: NonceUnit, of name: String) throws(NonceStoreError) -> Bool {
        try writing { try store.setUnit(unit, stream: StreamName.normalized(name)) }
    }

    /// Switches the stream called `name` to `mode` while no process holds it.
    ///
    /// - Returns: false when it already was in `mode`.
    /// - Throws: `NonceStoreError` `.streamHeld` while a process holds it; `.streamNotFound`.
    @discardableResult
    public func setMode(_ mode: StreamMode, of name: String) throws(NonceStoreError) -> Bool {
        try writing { try store.setMode(mode, stream: StreamName.normalized(name)) }
    }

    /// Copies streams to `destination`, floors and all: each arrives in its mode with a floor
    /// of at least its largest nonce and high-water mark, so the destination continues above
    /// every nonce this database issued. Both streams' claims are held for the copy (neither
    /// may be in use), a `copy` event is recorded on both sides, and copying again only ever
    /// raises the floor.
    ///
    /// - Parameters:
    ///   - names: the streams to copy; empty copies every stream.
    ///   - destination: the database they go to, opened with `create: true` to make it.
    ///   - withHistory: also append the history rows above the destination's floor.
    /// - Throws: `NonceStoreError` `.streamNotFound`, `.streamHeld` (either side in use),
    ///   `.modeMismatch` (the destination has the stream in the other mode); `.invalidArgument`
    ///   when `destination` is this database. Streams copied before a failure stay copied.
    public func copyStreams(_ names: [String] = [], to destination: NonceDatabase, withHistory: Bool = false) throws(NonceStoreError) -> [StreamCopy] {
        guard destination.store !== store, destination.location != location else {
            throw NonceStoreError(.invalidArgument, "a stream cannot be copied into the database it comes from",
                                  database: location)
        }
        return try writing {
            let names = names.isEmpty ? try store.streams().map(\.name) : names.map(StreamName.normalized)
            return try names.map { try copyStream($0, to: destination, withHistory: withHistory) }
        }
    }

    private func copyStream(_ name: String, to destination: NonceDatabase, withHistory: Bool) throws -> StreamCopy {
        guard let found = try store.stream(named: name) else { throw NonceStoreError.streamNotFound(name, path: location) }
        // Held for the whole copy, in either mode: nothing issues from the source meanwhile.
        let claim = try store.claim(found, wait: nil, shared: false)
        defer { claim.release() }
        _ = try store.repairFloor(streamID: found.id)
        guard let record = try store.stream(named: name) else { throw NonceStoreError.streamNotFound(name, path: location) }
        let history = withHistory ? try store.history(stream: name, limit: Int.max) : []
        let commit = try destination.store.receiveCopy(
            of: record, floor: record.floor, history: history, detail: "copied from \(location) (floor \(record.floor))")
        var event = StreamChange(streamID: record.id)
        event.events = [EventRow(at: WallClock.nanoseconds(), kind: .copy, detail:
            "copied to \(destination.location): its floor is now \(commit.floorAfter), \(commit.historyRows) history row(s) added")]
        try store.apply(event, durable: true)
        return StreamCopy(stream: name, floorBefore: commit.floorBefore, floorAfter: commit.floorAfter, historyRows: commit.historyRows)
    }

    /// Folds the write-ahead log back into the database file (SQLite), when no reader holds
    /// it; a server does its own.
    ///
    /// - Returns: false when a reader kept part of the log.
    @discardableResult
    public func checkpoint() throws(NonceStoreError) -> Bool { try writing { try store.checkpoint() } }

    private func writing<T>(_ body: () throws -> T) throws(NonceStoreError) -> T {
        try NonceStoreError.only(.writeFailed, database: location, body)
    }
}

/// What ``NonceDatabase/copyStreams(_:to:withHistory:)`` did to one stream.
public struct StreamCopy: Sendable, Equatable, Codable {
    /// The stream's name.
    public var stream: String
    /// The destination's floor before the copy (0 for a stream it did not have).
    public var floorBefore: Int64
    /// The destination's floor after: at least the source's largest nonce and mark.
    public var floorAfter: Int64
    /// History rows appended (those above the destination's floor before).
    public var historyRows: Int

    enum CodingKeys: String, CodingKey {
        case stream, floorBefore = "floor_before", floorAfter = "floor_after", historyRows = "history_rows"
    }
}
