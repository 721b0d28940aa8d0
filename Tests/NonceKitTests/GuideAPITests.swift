import Foundation
import NonceKit
import NonceKitTesting
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

/// The guide's calls, one test each. Serialized: they share the process-wide manager.
@Suite("The guide's API", .serialized)
struct GuideAPITests {
    /// Sets up the global manager on a fresh database for one test, and tears it down.
    static func withGlobal(clock: (any NonceClock)? = nil, _ body: (TemporaryDirectory) throws -> Void) throws {
        let directory = try TemporaryDirectory()
        try GlobalNonceManager.reset()
        var configuration = GlobalNonceManager.guideConfiguration
        if let clock { configuration.timing.clock = clock }
        try GlobalNonceManager.configure(path: directory.database, configuration: configuration)
        defer { try? GlobalNonceManager.reset() }
        try body(directory)
    }

    @Test("get_global_nonce_manager() returns one process-wide manager; configuring twice is refused")
    func globalManager() throws {
        try Self.withGlobal { directory in
            let first = try getGlobalNonceManager()
            #expect(first === (try getGlobalNonceManager()))
            #expect(first.store.path == directory.database)
            #expect(throws: NonceStoreError.self) { try GlobalNonceManager.configure(path: directory.database) }
        }
    }

    @Test("get_kraken_nonce() and get_global_kraken_nonce() share one increasing 19-digit sequence")
    func legacyAliases() throws {
        try Self.withGlobal { _ in
            let a = try getKrakenNonce(), b = try getGlobalKrakenNonce(), c = try getKrakenNonce()
            #expect(a < b && b < c)
            #expect(String(a).count == 19)
        }
    }

    @Test("manager.get_nonce(apply_rate_limiting=False) skips the startup burst protection")
    func getNonceWithoutLimits() throws {
        // On a manual clock a limited call would sleep until the test moves it: the calls
        // returning at all is the proof that they never waited.
        let clock = ManualClock()
        try Self.withGlobal(clock: clock) { _ in
            let manager = try getGlobalNonceManager()
            // The guide's defaults include burst protection (3, then 1/s); 50 unlimited calls never wait.
            for _ in 0..<50 { _ = try manager.getNonce(applyRateLimiting: false) }
            #expect(clock.sleepers == 0)
            #expect(try manager.getNonce() > 0)
        }
    }

    @Test("get_global_nonce_stats() and manager.get_stats() report what was issued")
    func stats() throws {
        try Self.withGlobal { _ in
            for _ in 0..<3 { _ = try getKrakenNonce() }
            #expect(try getGlobalNonceStats().issuedThisProcess == 3)
            #expect(try getGlobalNonceManager().getStats().issuedTotal == 3)
        }
    }

    @Test("get_kraken_api_lock(): the body runs with a nonce, reentrantly")
    func apiLock() throws {
        try Self.withGlobal { _ in
            let lock = try getKrakenAPILock()
            let (outer, inner) = try lock.withLock { outer in (outer, try lock.withLock { $0 }) }
            #expect(inner > outer)
        }
    }

    @Test("jump_forward takes a Duration, not a bare integer of unknown unit")
    func jumpForward() throws {
        try Self.withGlobal { _ in
            let manager = try getGlobalNonceManager()
            let before = try manager.getNonce(applyRateLimiting: false)
            let floor = try manager.jumpForward(by: .seconds(60))
            #expect(floor >= before + 60_000_000_000)
            #expect(try manager.getNonce(applyRateLimiting: false) > floor)
        }
    }

    @Test("without configure(), the first use opens $NONCE_DB")
    func fromEnvironment() throws {
        let directory = try TemporaryDirectory()
        try GlobalNonceManager.reset()
        defer { try? GlobalNonceManager.reset() }
        setenv("NONCE_DB", directory.database, 1)
        defer { unsetenv("NONCE_DB") }
        #expect(try getGlobalNonceManager().store.path == directory.database)
    }
}
