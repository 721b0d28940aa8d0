extension NonceManager {
    /// Runs `body` holding the stream's API lock, with a nonce taken inside the lock, so
    /// requests leave in nonce order. Wrap "take a nonce" through "request sent" in it.
    ///
    /// Reentrant: calling it again from inside `body` (same thread) runs at once with a new
    /// nonce instead of deadlocking.
    ///
    /// - Parameter timeout: how long to wait for the lock; nil waits as long as it takes.
    /// - Throws: ``NonceError/apiLockTimedOut(stream:timeout:)`` after `timeout`, any error
    ///   of ``next(label:)``, or what `body` throws.
    public func withAPILock<T>(
        timeout: Duration? = nil, label: String? = nil, _ body: (UInt64) throws -> T
    ) throws -> T {
        if HeldAPILock.isHeld(apiLock) { return try body(try next(label: label)) }
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
    /// instead of blocking a thread. Reentrant within the task and its child tasks.
    public func withAPILock<T>(
        timeout: Duration? = nil, label: String? = nil,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (UInt64) async throws -> T
    ) async throws -> T {
        if HeldAPILock.isHeld(apiLock) { return try await body(try next(label: label)) }
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
