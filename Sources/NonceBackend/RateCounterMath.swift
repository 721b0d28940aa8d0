/// The arithmetic of a counter that rises by each call's cost and decays continuously.
package enum RateCounterMath {
    /// `level` at `from`, decayed at `perSecond` until `to`. A clock that stepped back
    /// decays nothing (it never raises the counter either).
    package static func decayed(level: Double, from: Int64, to: Int64, perSecond: Double) -> Double {
        let elapsed = Double(max(0, to - from)) / 1e9
        return max(0, level - elapsed * perSecond)
    }

    /// Nanoseconds until `cost` fits under `maximum`, or 0 when it fits now.
    package static func wait(level: Double, cost: Double, maximum: Double, perSecond: Double) -> Int64 {
        let excess = level + cost - maximum
        // A hair of tolerance: decimal rates (0.33/s) leave binary remainders.
        guard excess > 1e-9 else { return 0 }
        guard perSecond > 0 else { return .max }
        // Clamped: a tiny rate makes the wait too long for Int64, and the conversion would trap.
        let nanoseconds = (excess / perSecond * 1e9).rounded(.up)
        return nanoseconds.isFinite && nanoseconds < 9.2e18 ? Int64(nanoseconds) : .max
    }
}
