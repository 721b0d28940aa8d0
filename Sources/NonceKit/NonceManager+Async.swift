public import NonceBackend

/// The async forms of the calls that may wait for the disk or for another process. Each
/// suspends its task and does the waiting off Swift's cooperative thread pool
/// (``BlockingWork``), so a program's other tasks keep running while one waits for a
/// flush or a turn at the write lock. An exclusive stream's nonce that needs no wait is
/// still issued at once, on the caller's thread.
extension NonceManager {
    /// Opens a manager without blocking the calling task: see ``init(path:configuration:)``.
    /// Opening may wait for the database's write lock and, with
    /// ``Configuration/Timing/claimWait``, for another process to release the stream.
    public static func open(path: String, configuration: Configuration = Configuration()) async throws -> NonceManager {
        try await BlockingWork.run { () throws -> NonceManager in try NonceManager(path: path, configuration: configuration) }
    }

    /// The async form of ``next(label:cost:applyRateLimiting:)-3k7v6``: waiting for the rate
    /// limit, a lease renewal or a shared stream's transaction suspends the task.
    public func next(label: String? = nil, cost: Double = CallCost.standard, applyRateLimiting: Bool = true) async throws -> UInt64 {
        if applyRateLimiting && limiter.isActive { try await limiter.acquire(cost: cost) }
        return try await issue(label: label)
    }

    /// Issues without rate limiting; from memory when no wait is due, else off the pool.
    func issue(label: String?) async throws(NonceStoreError) -> UInt64 {
        try Self.check(label: label)
        if let memoryIssuer = memoryIssuer, let nonce = try memoryIssuer.issueWithoutWaiting(label: label) {
            return UInt64(clamping: nonce)
        }
        return try await BlockingWork.run { [self] () throws(NonceStoreError) -> UInt64 in try issue(label: label) }
    }

    /// The async form of ``jump(by:reason:)-5pwr6``.
    @discardableResult
    public func jump(by duration: Duration, reason: String = "manual") async throws(NonceStoreError) -> UInt64 {
        try await BlockingWork.run { [self] () throws(NonceStoreError) -> UInt64 in try jump(by: duration, reason: reason) }
    }

    /// The async form of ``recordRejection(reason:)-8h9fw``.
    @discardableResult
    public func recordRejection(reason: String = "EAPI:Invalid nonce") async throws(NonceStoreError) -> RecoveryAction {
        try await BlockingWork.run { [self] () throws(NonceStoreError) -> RecoveryAction in try recordRejection(reason: reason) }
    }

    /// The async form of ``recordSuccess()-98ygu``.
    public func recordSuccess() async throws(NonceStoreError) {
        try await BlockingWork.run { [self] () throws(NonceStoreError) in try recordSuccess() }
    }

    /// The async form of ``close()-6sng5``: writing the remaining history suspends the task.
    public func close() async throws(NonceStoreError) {
        try await BlockingWork.run { [self] () throws(NonceStoreError) in try close() }
    }
}
