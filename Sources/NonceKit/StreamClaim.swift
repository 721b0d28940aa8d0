import NonceStore

/// A process's exclusive hold on a stream: a lock on the stream's byte of the lock file
/// beside the database (`<database>-locks`, named after the database's resolved path so
/// that a symlink and its target share one lock). The kernel releases it when the process
/// dies, so a kill -9 leaves no stale claim.
final class StreamClaim: Sendable {
    private let lock: FileRangeLock

    /// Takes the claim on `record`, waiting up to `wait` (nil: not at all).
    init(record: StreamRecord, store: NonceStore, wait: Duration?) throws {
        do {
            lock = try FileRangeLock(path: Self.lockFilePath(store), offset: record.id)
            let acquired = try wait.map { try lock.lock(timeout: $0) } ?? lock.tryLock()
            if !acquired {
                let holder = (try? store.stream(named: record.name))?.holderPID
                if let wait {
                    throw NonceError.claimTimedOut(stream: record.name, holderPID: holder, database: store.path, waited: wait)
                }
                throw NonceError.streamHeld(stream: record.name, holderPID: holder, database: store.path)
            }
        } catch let error as LockFileError {
            throw StoreError.cannotOpen(path: store.path, reason: error.description)
        }
    }

    /// Releases the claim (also released when this object goes away, or the process dies).
    func release() {
        lock.unlock()
    }

    static func lockFilePath(_ store: NonceStore) -> String { store.resolvedPath + "-locks" }

    /// True when some live claim holds `record` (for read-only commands that report it).
    static func isHeld(_ record: StreamRecord, in store: NonceStore) -> Bool {
        guard let probe = try? FileRangeLock(path: lockFilePath(store), offset: record.id),
              let free = try? probe.tryLock()
        else { return false }
        if free { probe.unlock() }
        return !free
    }
}
