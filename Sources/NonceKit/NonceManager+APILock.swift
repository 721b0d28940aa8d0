extension NonceManager {
    /// Runs `body` holding the stream's API lock, with a nonce taken inside the lock, so
    /// requests leave in nonce order. Wrap "take a nonce" through "request sent" in it.
    ///
    /// Reentrant: calling it again from inside `body` (same thread or task) runs at once
    /// with a new nonce instead of deadlocking.
    ///
    /// This form blocks the calling thread while it waits: from async code, use the async
    /// form (give it an `async` body), so a waiting task does not hold a pool thread.
    ///
    /// - Parameter timeout: how long to wait for the lock; nil waits as long as it takes.
    /// - Throws: ``NonceError/apiLockTimedOut(stream:timeout:)`` after `timeout`, any error
    ///   of ``next(label:)``, or what `body` throws.
    public func withAPILock<T>(
        timeout: Duration? = nil, label: String? = nil, _ body: (UInt64) throws -> T
    ) throws -> T {
        switch HeldAPILock.status(of: apiLock) {
        case .heldByCurrent: return try body(try next(label: label))
        case .heldByParentTask: throw NonceError.apiLockHeldByParentTask(stream: stream)
        case .notHeld: break
        }
        guard apiLock.acquire(timeout: timeout) else {
            throw NonceError.apiLockTimedOut(stream: stream, timeout: timeout ?? .zero)
        }
        let held = HeldAPILock(lock: apiLock, parent: HeldAPILock.current)
        defer {
            held.active.store(false, ordering: .releasing)
            apiLock.release()
        }
        return try HeldAPILock.$current.withValue(held) { try body(try next(label: label)) }
    }

    /// The async form of ``withAPILock(timeout:label:_:)``: waiting suspends the task
    /// instead of blocking a thread. Reentrant within the task; a child task of the holder
    /// gets ``NonceError/apiLockHeldByParentTask(stream:)`` rather than running beside it.
    public func withAPILock<T>(
        timeout: Duration? = nil, label: String? = nil,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (UInt64) async throws -> T
    ) async throws -> T {
        switch HeldAPILock.status(of: apiLock) {
        case .heldByCurrent: return try await body(try next(label: label))
        case .heldByParentTask: throw NonceError.apiLockHeldByParentTask(stream: stream)
        case .notHeld: break
        }
        do {
            try await apiLock.acquire(timeout: timeout)
        } catch is APILockTimeout {
            throw NonceError.apiLockTimedOut(stream: stream, timeout: timeout ?? .zero)
        }
        let held = HeldAPILock(lock: apiLock, parent: HeldAPILock.current)
        defer {
            held.active.store(false, ordering: .releasing)
            apiLock.release()
        }
        return try await HeldAPILock.$current.withValue(held) { try await body(try next(label: label)) }
    }
}
