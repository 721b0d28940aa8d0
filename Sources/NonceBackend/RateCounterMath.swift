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

    /// A counter as a backend keeps it: its level and when that level was written.
    package typealias Saved = (level: Double, at: Int64)

    /// Taking `cost` from a counter last saved as `saved`, at `now`: the nanoseconds to wait
    /// first (nothing is written then: ask again after waiting), or 0 and the counter to save.
    /// Every backend reads the row, calls this, and writes what it returns, in one
    /// transaction: the rule is written once.
    package static func take(
        _ saved: Saved?, cost: Double, maximum: Double, perSecond: Double, now: Int64
    ) -> (wait: Int64, save: Saved?) {
        let level = saved.map { decayed(level: $0.level, from: $0.at, to: now, perSecond: perSecond) } ?? 0
        let wait = wait(level: level, cost: cost, maximum: maximum, perSecond: perSecond)
        guard wait == 0 else { return (wait, nil) }
        return (0, (level + cost, max(now, saved?.at ?? now)))
    }

    /// Holding a finished call's charge (taken at `takenAt`) until `now`: the exchange counts
    /// a call when it arrives, up to the end of the body that sent it, so what the counter
    /// decayed since the take is added back, at most `cost`. Nil when nothing is to be added.
    package static func hold(_ saved: Saved?, cost: Double, perSecond: Double, takenAt: Int64, now: Int64) -> Saved? {
        let level = saved.map { decayed(level: $0.level, from: $0.at, to: now, perSecond: perSecond) } ?? 0
        let held = min(cost, Double(max(0, now - takenAt)) / 1e9 * perSecond)
        guard held > 0 else { return nil }
        return (level + held, max(now, saved?.at ?? now))
    }
}
