#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NonceBackend

extension NonceManager {
    /// The descriptors that keep other processes from issuing on this stream: the claim,
    /// and on a shared stream the cross-process API lock. A command started inside
    /// ``withAPILock(timeout:label:cost:applyRateLimiting:_:)`` that inherits them (as
    /// `nonce exec` passes them on) keeps the stream's requests in order even if the
    /// process that started it is killed: the locks last until the command exits too.
    public var lockDescriptors: [Int32] {
        claim.inheritableDescriptors + (interProcessAPILock?.inheritableDescriptors ?? [])
    }

    /// Runs `body` holding the stream's API lock, with a nonce taken inside the lock, so
    /// requests leave in nonce order. Wrap "take a nonce" through "request sent" in it.
    ///
    /// Reentrant: calling it again from inside `body` (same thread or task) runs at once
    /// with a new nonce instead of deadlocking. On a shared stream the lock also excludes
    /// every other process using the stream (a lock on bytes of the database file, which the kernel
    /// releases if the holder dies), so requests from different processes leave in nonce
    /// order too.
    ///
    /// This form blocks the calling thread while it waits: from async code, use the async
    /// form (give it an `async` body), so a waiting task does not hold a pool thread.
    ///
    /// A configured rate limit is waited for once the lock is held: a charge taken while
    /// waiting for the lock would decay in the counter before its call reaches the exchange,
    /// and another process could spend that room on a call that arrives after it. (Every
    /// private call on the key waits its turn for the lock anyway, so waiting for the counter
    /// inside it delays no one who could have gone first.) The exchange counts a call when it
    /// arrives, which may be as late as the end of `body`, so when `body` ends the charge is
    /// held until then: the counter gets back what it decayed since the nonce was taken (at
    /// most the call's cost), and never runs below the exchange's.
    ///
    /// - Parameters:
    ///   - timeout: how long to wait for the lock, in this process and across processes
    ///     together; nil waits as long as it takes.
    ///   - label: stored with the nonce in `nonce_history` (for example the API method).
    ///   - cost: what the call adds to the rate counter (see ``next(label:cost:applyRateLimiting:)-3k7v6``).
    ///   - applyRateLimiting: false skips the limits for this call.
    ///   - body: the private call, given the nonce; it runs holding the lock.
    /// - Throws: `NonceStoreError` `.apiLockTimedOut` after `timeout`, any error
    ///   of ``next(label:cost:applyRateLimiting:)-3k7v6``, or what `body` throws.
    public func withAPILock<T>(
        timeout: Duration? = nil, label: String? = nil, cost: Double = CallCost.standard, applyRateLimiting: Bool = true,
        _ body: (UInt64) throws -> T
    ) throws -> T {
        switch HeldAPILock.status(of: apiLock) {
        case .heldByCurrent:
            let takenAt = applyRateLimiting && limiter.isActive ? try limiter.acquire(cost: cost) : nil
            defer { holdCharge(cost: cost, takenAt: takenAt) }
            return try body(try issue(label: label))
        case .heldByParentTask: throw NonceStoreError.apiLockHeldByParentTask(stream: stream)
        case .notHeld: break
        }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        guard apiLock.acquire(timeout: timeout) else {
            throw NonceStoreError.apiLockTimedOut(stream: stream, timeout: timeout ?? .zero)
        }
        let held = HeldAPILock(lock: apiLock, parent: HeldAPILock.current)
        defer {
            held.active.store(false, ordering: .releasing)
            apiLock.release()
        }
        try lockOtherProcessesOut(until: deadline, timeout: timeout)
        defer { interProcessAPILock?.unlock() }
        let takenAt = applyRateLimiting && limiter.isActive ? try limiter.acquire(cost: cost) : nil
        // Before the lock goes: the next holder's take then sees this call's held charge.
        defer { holdCharge(cost: cost, takenAt: takenAt) }
        return try HeldAPILock.$current.withValue(held) { try body(try issue(label: label)) }
    }

    /// The async form of ``withAPILock(timeout:label:cost:applyRateLimiting:_:)``: waiting
    /// (for the rate limit and for the lock) suspends the task instead of blocking a thread. Reentrant within the task; a child task of the holder
    /// gets `NonceStoreError` `.apiLockHeldByParentTask` rather than running beside it.
    public func withAPILock<T>(
        timeout: Duration? = nil, label: String? = nil, cost: Double = CallCost.standard, applyRateLimiting: Bool = true,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (UInt64) async throws -> T
    ) async throws -> T {
        switch HeldAPILock.status(of: apiLock) {
        case .heldByCurrent:
            let takenAt = applyRateLimiting && limiter.isActive ? try await limiter.acquire(cost: cost) : nil
            let outcome = await Self.outcome { try await body(try await issue(label: label)) }
            await holdCharge(cost: cost, takenAt: takenAt)
            return try outcome.get()
        case .heldByParentTask: throw NonceStoreError.apiLockHeldByParentTask(stream: stream)
        case .notHeld: break
        }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        do {
            try await apiLock.acquire(timeout: timeout)
        } catch is APILockTimeout {
            throw NonceStoreError.apiLockTimedOut(stream: stream, timeout: timeout ?? .zero)
        }
        let held = HeldAPILock(lock: apiLock, parent: HeldAPILock.current)
        defer {
            held.active.store(false, ordering: .releasing)
            apiLock.release()
        }
        try await lockOtherProcessesOut(until: deadline, timeout: timeout)
        defer { interProcessAPILock?.unlock() }
        let takenAt = applyRateLimiting && limiter.isActive ? try await limiter.acquire(cost: cost) : nil
        let outcome = await Self.outcome {
            try await HeldAPILock.$current.withValue(held) { try await body(try await issue(label: label)) }
        }
        // Before the lock goes: the next holder's take then sees this call's held charge.
        await holdCharge(cost: cost, takenAt: takenAt)
        return try outcome.get()
    }

    /// What `body` returned or threw, so the work after it (which awaits, so cannot sit in a
    /// `defer`) runs either way.
    private static func outcome<T>(
        isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T
    ) async -> Result<T, any Error> {
        do {
            return .success(try await body())
        } catch {
            return .failure(error)
        }
    }

    /// The async form of ``holdCharge(cost:takenAt:)``: the counter's write waits off the pool.
    private func holdCharge(cost: Double, takenAt: Int64?) async {
        guard takenAt != nil, limiter.tier != nil else { return }
        await BlockingWork.run { [self] () -> Void in holdCharge(cost: cost, takenAt: takenAt) }
    }

    /// Holds a finished body's rate charge (the exchange counted the call when it arrived,
    /// somewhere inside the body). A failure is logged, not thrown: the call has gone out,
    /// and the counter only errs towards waiting less than the exchange would like once.
    private func holdCharge(cost: Double, takenAt: Int64?) {
        guard let takenAt else { return }
        do {
            try limiter.hold(cost: cost, takenAt: takenAt)
        } catch {
            logger.error("could not hold the rate counter's charge for a finished call", metadata: ["error": "\(error)"])
        }
    }

    /// Takes the shared stream's inter-process lock, polling with a short backoff (a file
    /// lock has no wake-up to wait on without tying up a thread). Called only by the one
    /// holder of the in-process lock, so one thread per process polls at most.
    private func lockOtherProcessesOut(until deadline: ContinuousClock.Instant?, timeout: Duration?) throws {
        guard let lock = interProcessAPILock else { return }
        var pause = Duration.microseconds(100)
        while try !lock.tryLock() {
            if let deadline, ContinuousClock.now >= deadline {
                throw NonceStoreError.apiLockTimedOut(stream: stream, timeout: timeout ?? .zero)
            }
            let (seconds, attoseconds) = pause.components
            usleep(UInt32(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
            pause = min(pause * 2, .milliseconds(2))
        }
    }

    private func lockOtherProcessesOut(until deadline: ContinuousClock.Instant?, timeout: Duration?) async throws {
        guard let lock = interProcessAPILock else { return }
        var pause = Duration.microseconds(100)
        while try !lock.tryLock() {
            if let deadline, ContinuousClock.now >= deadline {
                throw NonceStoreError.apiLockTimedOut(stream: stream, timeout: timeout ?? .zero)
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(2))
        }
    }
}
