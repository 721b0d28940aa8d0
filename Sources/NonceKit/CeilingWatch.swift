public import NonceBackend

/// When a stream's ceiling is near enough to warn: within a year at the clock's pace (a
/// stream's nonce moves at least one step per unit of time), or within 1% of it. The warning
/// comes long before the refusal, so a new API key and a new stream can be set up calmly.
public enum CeilingWatch {
    /// How far ahead the warning looks: a year.
    public static let horizon = Duration.seconds(365 * 86_400)

    /// Whether a stream at `floor` under `rules` is near its ceiling, the wall clock being
    /// `now` (nanoseconds): its next nonce is at least the clock in its unit.
    public static func isNear(floor: Int64, rules: StreamRules, now: Int64? = nil) -> Bool {
        let ceiling = rules.ceiling
        let left = ceiling - max(0, floor, rules.unit.steps(ofNanoseconds: now ?? WallClock.nanoseconds()))
        if left <= ceiling / 100 { return true }
        return rules.unit.duration(ofSteps: left) < horizon
    }
}
