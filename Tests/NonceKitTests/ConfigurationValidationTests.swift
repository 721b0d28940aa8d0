import Foundation
import NonceKit
import NonceBackend
import NonceTestSupport
import Testing

/// Every public setting is checked before anything is opened: a wrong one is an error that
/// names it, never a trap or a wait of centuries, and creates no file.
@Suite("Configuration values are validated")
struct ConfigurationValidationTests {
    static let wrongRateLimits: [RateLimit] = [
        RateLimit(maximum: 20, decayPerSecond: 1e-300),  // traps today: a wait beyond Int64
        RateLimit(maximum: 20, decayPerSecond: 0),  // a wait of 292 years today
        RateLimit(maximum: 20, decayPerSecond: -1),
        RateLimit(maximum: 20, decayPerSecond: .nan),
        RateLimit(maximum: .infinity, decayPerSecond: 1),
        RateLimit(maximum: 0.5, decayPerSecond: 1),
    ]

    @Test("a rate limit that cannot work is refused by name, and no database is created", arguments: wrongRateLimits)
    func rateLimits(limit: RateLimit) throws {
        let directory = try TemporaryDirectory()
        for configuration in [
            NonceManager.Configuration(protection: .init(rateLimit: limit)),
            NonceManager.Configuration(protection: .init(burstProtection: BurstProtection(window: .seconds(30), limit: limit))),
        ] {
            let error = #expect(throws: NonceStoreError.self) { try NonceManager(path: directory.database, configuration: configuration) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains("protection.") == true && error?.message.contains("decayPerSecond") == true
                        || error?.message.contains("maximum") == true, "\(String(describing: error))")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.database))
    }

    @Test("other settings out of range are refused by name")
    func otherSettings() throws {
        let directory = try TemporaryDirectory()
        let wrong: [(NonceManager.Configuration, String)] = [
            (.init(timing: .init(leaseSpan: .zero)), "timing.leaseSpan"),
            (.init(timing: .init(leaseSpan: .seconds(7_200))), "timing.leaseSpan"),
            (.init(timing: .init(claimWait: .seconds(-1))), "timing.claimWait"),
            (.init(timing: .init(databaseWait: .zero)), "timing.databaseWait"),
            (.init(history: .init(batchSize: 0)), "history.batchSize"),
            (.init(history: .init(flushInterval: .zero)), "history.flushInterval"),
            (.init(protection: .init(recovery: RecoverySchedule(steps: [.seconds(-5)], thereafter: .seconds(1)))), "protection.recovery"),
            (.init(protection: .init(leadWarning: .seconds(-1))), "protection.leadWarning"),
        ]
        for (configuration, name) in wrong {
            let error = #expect(throws: NonceStoreError.self) { try NonceManager(path: directory.database, configuration: configuration) }
            #expect(error?.code == .invalidArgument && error?.message.contains(name) == true, "\(name): \(String(describing: error))")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.database))
    }

    @Test("the counter's arithmetic never traps: a wait too long for Int64 is clamped")
    func waitClamped() {
        #expect(RateCounterMath.wait(level: 20, cost: 1, maximum: 20, perSecond: 1e-300) == .max)
        #expect(RateCounterMath.wait(level: 20, cost: 1, maximum: 20, perSecond: 1e-10) == .max)
        #expect(RateCounterMath.wait(level: 20, cost: 1, maximum: 20, perSecond: 1) == 1_000_000_000)
    }
}
