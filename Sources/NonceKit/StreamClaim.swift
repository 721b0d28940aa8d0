import NonceStore

/// A process's exclusive hold on a stream: a lock on the stream's byte of the lock file
/// beside the database (`<database>-locks`). The kernel releases it when the process dies,
/// so a kill -9 leaves no stale claim.
final class StreamClaim: Sendable {
    private let lockFile: FileRangeLock
    private let offset: Int64

    /// Takes the claim on `record`, waiting up to `wait` (nil: not at all).
    init(record: StreamRecord, store: NonceStore, wait: Duration?) throws {
        let path = Self.lockFilePath(database: store.path)
        do {
            lockFile = try FileRangeLock(path: path)
            offset = record.id
            let acquired = try wait.map { try lockFile.lock(offset: record.id, timeout: $0) }
                ?? lockFile.tryLock(offset: record.id)
            if !acquired {
                let holder = try? store.stream(named: record.name)?.holderPID
                if let wait { throw NonceError.claimTimedOut(stream: record.name, holderPID: holder ?? nil, database: store.path, waited: wait) }
                throw NonceError.streamHeld(stream: record.name, holderPID: holder ?? nil, database: store.path)
            }
        } catch let error as LockFileError {
            throw StoreError.cannotOpen(path: store.path, reason: error.description)
        }
    }

    /// Releases the claim (also released when this object goes away, or the process dies).
    func release() {
        lockFile.unlock(offset: offset)
    }

    /// The lock file that holds the claims of the database at `database`.
    static func lockFilePath(database: String) -> String { database + "-locks" }

    /// True when some live claim holds `record` (used by read-only commands to report it).
    static func isHeld(_ record: StreamRecord, database: String) -> Bool {
        guard let lockFile = try? FileRangeLock(path: lockFilePath(database: database)) else { return false }
        guard let free = try? lockFile.tryLock(offset: record.id) else { return false }
        if free { lockFile.unlock(offset: record.id) }
        return !free
    }
}
