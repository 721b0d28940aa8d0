public import NonceBackend

extension NonceManager.Configuration {
    /// Checks every value before anything is opened, so that a wrong setting is an error
    /// naming it, never a trap (a decay so small that a wait overflows) or a caller asleep
    /// for centuries (a decay of zero).
    ///
    /// - Throws: `NonceStoreError` `.invalidArgument` naming the setting and the rule.
    public func validate() throws(NonceStoreError) {
        if let rateLimit = protection.rateLimit { try rateLimit.validate(as: "protection.rateLimit") }
        if let burst = protection.burstProtection {
            try Self.require(burst.window >= .zero, "protection.burstProtection.window must not be negative, not \(burst.window)")
            try burst.limit.validate(as: "protection.burstProtection.limit")
        }
        try Self.require(protection.recovery.steps.allSatisfy { $0 >= .zero } && protection.recovery.thereafter >= .zero,
                         "protection.recovery: every jump must be zero or forward")
        try Self.require(protection.leadWarning >= .zero, "protection.leadWarning must not be negative, not \(protection.leadWarning)")
        try Self.require(timing.leaseSpan > .zero && timing.leaseSpan <= .seconds(3_600),
                         "timing.leaseSpan must be positive and at most 1 h (a crash skips at most one lease), not \(timing.leaseSpan)")
        try Self.require(timing.claimWait.map { $0 >= .zero } ?? true, "timing.claimWait must not be negative")
        try Self.require(timing.databaseWait > .zero, "timing.databaseWait must be positive, not \(timing.databaseWait)")
        try Self.require(history.batchSize > 0, "history.batchSize must be positive, not \(history.batchSize)")
        try Self.require(history.flushInterval > .zero, "history.flushInterval must be positive, not \(history.flushInterval)")
        try Self.require(history.bufferLimit >= history.batchSize,
                         "history.bufferLimit (\(history.bufferLimit)) must be at least history.batchSize (\(history.batchSize))")
    }

    private static func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(NonceStoreError) {
        if !condition { throw .invalidArgument(message()) }
    }
}

extension RateLimit {
    /// The slowest decay accepted: one unit in a day. Anything slower is a unit mistake,
    /// and a call waiting on it would wait for years.
    public static let slowestDecayPerSecond = 1.0 / 86_400

    /// Checks that the counter can work: a finite maximum a call of cost 1 fits under, and a
    /// finite decay no slower than ``slowestDecayPerSecond``.
    ///
    /// - Parameter name: how the message names this limit.
    public func validate(as name: String = "rate limit") throws(NonceStoreError) {
        guard maximum.isFinite, maximum >= CallCost.standard else {
            throw .invalidArgument("\(name): maximum must be a finite number of at least 1, not \(maximum)")
        }
        guard decayPerSecond.isFinite, decayPerSecond >= Self.slowestDecayPerSecond else {
            throw .invalidArgument("\(name): decayPerSecond must be a finite rate of at least 1 per day "
                + "(\(Self.slowestDecayPerSecond)), not \(decayPerSecond)")
        }
    }
}
