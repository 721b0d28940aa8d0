import NonceBackend
extension SQLiteStore {
    /// Runs `body` in one `BEGIN IMMEDIATE` transaction (synced when `durable`) and reports
    /// an SQLite failure as ``NonceStoreError/writeFailed(path:reason:)``: the transaction was
    /// rolled back, nothing of it is in the file.
    func write<T>(durable: Bool, _ body: (Connection) throws -> T) throws -> T {
        do {
            return try writeTransaction(durable: durable, body)
        } catch let error as DatabaseError where error.isExhaustion {
            // The schema's own refusal (its triggers' words are the whole story): the same code
            // a server gives.
            throw NonceStoreError(.exhausted, "'\(path)': \(error.message)", database: path)
        } catch let error as DatabaseError {
            throw NonceStoreError.writeFailed(path: path, reason: Self.explain(error), cause: error)
        }
    }

    /// As ``write(durable:_:)``, for a body that claims streams: each claim `held` takes is
    /// released only once the transaction has committed or rolled back. Released inside the
    /// body, a claim would end before the commit, and in that window a manager could claim
    /// the stream, read the old row and issue from memory below the floor being written.
    func write<T>(durable: Bool, holdingClaims body: (Connection, ClaimsHeldUntilCommit) throws -> T) throws -> T {
        let held = ClaimsHeldUntilCommit(store: self)
        defer { held.releaseAll() }
        return try write(durable: durable) { connection in try body(connection, held) }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction once this process has its turn at the
    /// write lock: queued for the write turn first (see ``WriteTurn``), then for SQLite's
    /// lock, which only clients outside this package still contend for. One wait,
    /// ``busyTimeout``, bounds both; when it passes with no turn the error is
    /// ``NonceStoreError/busy(path:waited:holder:)``. Other SQLite failures are thrown as they are.
    func writeTransaction<T>(durable: Bool, _ body: (Connection) throws -> T) throws -> T {
        let deadline = ContinuousClock.now + busyTimeout
        do {
            return try withConnection { connection in
                let taken: WriteTurn.Held?
                do {
                    taken = try WriteTurn(path: resolvedPath).acquire(until: deadline)
                } catch where connection.hasMoved {
                    // The turn's lock is taken through the path: a moved file is reported as
                    // moved, not as a path that cannot be locked.
                    throw NonceStoreError.databaseMoved(path: path)
                }
                guard let turn = taken else { throw busyError() }
                defer { turn.release() }
                connection.busyWait?.beginWrite(remaining: deadline - ContinuousClock.now)
                defer { connection.busyWait?.endWrite() }
                return try connection.transaction(.immediate, durable: durable) {
                    // Checked under the write lock, before every change: a process that kept
                    // writing to a moved file would issue where no process at this path looks.
                    if connection.hasMoved { throw NonceStoreError.databaseMoved(path: path) }
                    let result = try body(connection)
                    hooks.withLock { $0.beforeCommit }?()
                    return result
                }
            }
        } catch let error as LockFileError {
            throw NonceStoreError.cannotOpen(path: path, reason: error.description, cause: error)
        } catch let error as DatabaseError where error.isBusy {
            throw busyError()
        }
    }

    private func busyError() -> NonceStoreError {
        .busy(path: path, waited: busyTimeout, holder: WriteLockHolder.find(database: resolvedPath)?.description)
    }
}

/// Claims taken inside a write transaction (see ``SQLiteStore/write(durable:holdingClaims:)``).
final class ClaimsHeldUntilCommit {
    private let store: SQLiteStore
    private var claims: [SQLiteStreamClaim] = []

    init(store: SQLiteStore) { self.store = store }

    /// Claims `record`'s stream without waiting, until the transaction has ended: the
    /// holder's pid for a refusal comes from `record`, because reading it again would need
    /// the connection the caller holds.
    func claim(_ record: StreamRecord) throws {
        claims.append(try store.claimInTransaction(record))
    }

    func releaseAll() {
        for claim in claims { claim.release() }
        claims.removeAll()
    }
}

/// Points where a test can act inside the store's work, deterministically.
struct StoreHooks: Sendable {
    /// Runs after a write transaction's body and before its `COMMIT`.
    var beforeCommit: (@Sendable () -> Void)?
}
