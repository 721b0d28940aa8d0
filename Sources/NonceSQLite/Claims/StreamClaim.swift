package import NonceBackend
/// A process's hold on a stream: a lock on the stream's byte of the database file itself
/// (``LockBytes/claim(streamID:)``), so a symlink, a hard link and the file share one lock
/// and no file beside it can be deleted to sidestep it. The kernel releases it when the
/// process dies, so a kill -9 leaves no stale claim.
///
/// The one issuer of an exclusive stream holds it exclusively; every process using a shared
/// stream holds it shared, so that a mode switch (which needs it exclusively) cannot
/// happen under them.
///
/// Whoever changes an exclusive stream's floor from outside its issuing process (the
/// legacy importer, a mode switch) takes the claim first, so it can never race a holder
/// that issues from memory.
package final class SQLiteStreamClaim: StreamClaim {
    /// The stream held.
    package let stream: String
    private let lock: FileRangeLock

    /// - Parameter holder: reads the holder's pid for the error; called only on failure.
    fileprivate init(record: StreamRecord, store: SQLiteStore, wait: Duration?, shared: Bool, holder: () -> Int32?) throws {
        stream = record.name
        do {
            lock = try FileRangeLock(database: store.resolvedPath, offset: LockBytes.claim(streamID: record.id))
            let acquired = try wait.map { try lock.lock(timeout: $0, shared: shared) } ?? lock.tryLock(shared: shared)
            if !acquired {
                // The process holding the lock now, which is not always the one recorded: a
                // command started by `nonce exec` keeps the claim after exec is killed.
                let holder = lock.otherHolders().first ?? holder()
                if let wait {
                    throw NonceStoreError.claimTimedOut(stream: record.name, holderPID: holder, database: store.path, waited: wait)
                }
                throw NonceStoreError.streamHeld(stream: record.name, holderPID: holder, database: store.path)
            }
        } catch let error as LockFileError {
            throw NonceStoreError.cannotOpen(path: store.path, reason: error.description, cause: error)
        }
    }

    /// The descriptor holding the claim: a child that inherits it holds the claim too.
    package var inheritableDescriptors: [Int32] { [lock.fileDescriptor] }

    /// Releases the claim (also released when this object goes away, or the process dies).
    package func release() {
        lock.unlock()
    }
}

extension SQLiteStore {
    /// Claims `record`'s stream for this caller, waiting up to `wait` (nil: not at all).
    ///
    /// - Parameter shared: hold it alongside other shared holders (the processes of a
    ///   shared stream) instead of alone.
    /// - Throws: ``NonceStoreError/streamHeld(stream:holderPID:database:)`` or
    ///   ``NonceStoreError/claimTimedOut(stream:holderPID:database:waited:)`` while another
    ///   claim holds it, in this process or another.
    package func claim(_ record: StreamRecord, wait: Duration? = nil, shared: Bool = false) throws -> any StreamClaim {
        try SQLiteStreamClaim(record: record, store: self, wait: wait, shared: shared) { (try? stream(named: record.name))?.holderPID }
    }

    /// Claims without waiting, from inside a transaction: the holder's pid comes from
    /// `record`, because reading it again would need the connection the caller holds.
    func claimInTransaction(_ record: StreamRecord) throws -> SQLiteStreamClaim {
        try SQLiteStreamClaim(record: record, store: self, wait: nil, shared: false) { record.holderPID }
    }

    /// True when some live claim (exclusive or shared) holds `record`, in any process. A snapshot: the answer may
    /// change at once; take a claim to act on it.
    package func isHeld(_ record: StreamRecord) -> Bool {
        guard let probe = try? FileRangeLock(database: resolvedPath, offset: LockBytes.claim(streamID: record.id)) else {
            return false
        }
        return probe.isLockedElsewhere()
    }
}


extension SQLiteStore {
    /// A shared stream's API lock: its byte of the database file (``LockBytes/apiLock(streamID:)``).
    package func apiLock(for record: StreamRecord) throws -> any InterProcessLock {
        do {
            return try FileRangeLock(database: resolvedPath, offset: LockBytes.apiLock(streamID: record.id))
        } catch {
            throw NonceStoreError.cannotOpen(path: path, reason: error.description, cause: error)
        }
    }
}

extension SQLiteStore: NonceBackend {}
