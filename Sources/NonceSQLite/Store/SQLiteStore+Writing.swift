import NonceBackend
extension SQLiteStore {
    /// Runs `body` in one `BEGIN IMMEDIATE` transaction (synced when `durable`) and reports
    /// an SQLite failure as ``NonceStoreError/writeFailed(path:reason:)``: the transaction was
    /// rolled back, nothing of it is in the file.
    func write<T>(durable: Bool, _ body: (Connection) throws -> T) throws -> T {
        do {
            return try writeTransaction(durable: durable, body)
        } catch let error as DatabaseError {
            throw NonceStoreError.writeFailed(path: path, reason: Self.explain(error), cause: error)
        }
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
                guard let turn = try WriteTurn(path: resolvedPath).acquire(until: deadline) else { throw busyError() }
                defer { turn.release() }
                connection.busyWait?.beginWrite(remaining: deadline - ContinuousClock.now)
                defer { connection.busyWait?.endWrite() }
                return try connection.transaction(.immediate, durable: durable) { try body(connection) }
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
