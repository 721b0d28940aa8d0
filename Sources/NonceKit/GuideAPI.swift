public import NonceBackend
import Foundation
import Synchronization

/// The process-wide manager behind the guide's `get_global_nonce_manager()`.
///
/// Set it up once with ``configure(path:configuration:)``, or let the first use open
/// `$NONCE_DB` (else `./nonces.sqlite`), stream `$NONCE_STREAM` (else `default`), with the
/// guide's startup burst protection.
public enum GlobalNonceManager {
    private static let current = Mutex<NonceManager?>(nil)

    /// The guide's defaults: startup burst protection on, no tier limit.
    public static var guideConfiguration: NonceManager.Configuration {
        let environment = ProcessInfo.processInfo.environment
        return NonceManager.Configuration(
            stream: environment["NONCE_STREAM"].flatMap { $0.isEmpty ? nil : $0 } ?? "default",
            protection: NonceManager.Configuration.Protection(burstProtection: .startup))
    }

    /// Sets up the process-wide manager. Call it once, early.
    ///
    /// - Throws: `NonceStoreError` `.invalidArgument` when it is already set up (close it with
    ///   ``reset()`` first), or what opening the manager throws.
    @discardableResult
    public static func configure(path: String, configuration: NonceManager.Configuration = guideConfiguration) throws(NonceStoreError) -> NonceManager {
        try current.withLock { manager throws(NonceStoreError) -> NonceManager in
            if let manager {
                throw NonceStoreError.invalidArgument("the global nonce manager is already set up (stream '\(manager.stream)' in '\(manager.store.path)')")
            }
            let opened = try NonceManager(path: path, configuration: configuration)
            manager = opened
            return opened
        }
    }

    /// The process-wide manager, opened from the environment on first use.
    public static func shared() throws(NonceStoreError) -> NonceManager {
        try current.withLock { manager throws(NonceStoreError) -> NonceManager in
            if let manager { return manager }
            let environment = ProcessInfo.processInfo.environment
            let path = environment["NONCE_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "nonces.sqlite"
            let opened = try NonceManager(path: path, configuration: guideConfiguration)
            manager = opened
            return opened
        }
    }

    /// Closes the process-wide manager and forgets it; the next use opens a new one.
    ///
    /// - Throws: what ``NonceManager/close()-6sng5`` reports (a failed history write).
    public static func reset() throws(NonceStoreError) {
        let manager = current.withLock { manager in
            defer { manager = nil }
            return manager
        }
        try manager?.close()
    }
}

/// The guide's `get_kraken_api_lock()`: the global stream's API lock.
public struct KrakenAPILock: Sendable {
    let manager: NonceManager

    /// Runs `body` holding the lock, with a nonce taken inside it (the guide's
    /// `with lock: nonce = manager.get_nonce()`). See ``NonceManager/withAPILock(timeout:label:cost:applyRateLimiting:_:)``.
    public func withLock<T>(timeout: Duration? = nil, label: String? = nil, _ body: (UInt64) throws -> T) throws -> T {
        try manager.withAPILock(timeout: timeout, label: label, body)
    }

    /// The async form: waiting suspends the task.
    public func withLock<T>(
        timeout: Duration? = nil, label: String? = nil, isolation: isolated (any Actor)? = #isolation,
        _ body: (UInt64) async throws -> T
    ) async throws -> T {
        try await manager.withAPILock(timeout: timeout, label: label, isolation: isolation, body)
    }
}

/// The guide's `get_global_nonce_manager()`.
public func getGlobalNonceManager() throws(NonceStoreError) -> NonceManager {
    try GlobalNonceManager.shared()
}

/// The guide's legacy `get_kraken_nonce()`: the next nonce of the global manager.
public func getKrakenNonce() throws(NonceStoreError) -> UInt64 {
    try GlobalNonceManager.shared().getNonce()
}

/// The guide's `get_global_kraken_nonce()` (its recommended alias of ``getKrakenNonce()``).
public func getGlobalKrakenNonce() throws(NonceStoreError) -> UInt64 {
    try GlobalNonceManager.shared().getNonce()
}

/// The guide's `get_global_nonce_stats()`.
public func getGlobalNonceStats() throws(NonceStoreError) -> NonceStats {
    try GlobalNonceManager.shared().stats()
}

/// The guide's `get_kraken_api_lock()`.
public func getKrakenAPILock() throws(NonceStoreError) -> KrakenAPILock {
    KrakenAPILock(manager: try GlobalNonceManager.shared())
}

extension NonceManager {
    /// The guide's `manager.get_nonce(apply_rate_limiting=...)`.
    public func getNonce(applyRateLimiting: Bool = true) throws(NonceStoreError) -> UInt64 {
        try next(applyRateLimiting: applyRateLimiting)
    }

    /// The guide's `manager.jump_forward(...)`, with the unit in the type: the old call took
    /// nanoseconds in one version and milliseconds in another.
    @discardableResult
    public func jumpForward(by duration: Duration) throws(NonceStoreError) -> UInt64 {
        try jump(by: duration, reason: "jump_forward")
    }

    /// The guide's `manager.get_stats()`.
    public func getStats() -> NonceStats {
        stats()
    }
}
