/// A model of the exchange's per-key call counter: each call raises it by its cost, it
/// decays continuously, and a call that would take it over the maximum waits until it fits.
///
/// Kraken's private endpoints work this way: most calls cost 1, ledger and trade-history
/// queries 2, and the counter decays at the tier's rate. Waiting here, before the nonce is
/// taken, turns `EAPI:Rate limit exceeded` into a short pause.
public struct RateLimit: Sendable, Equatable, Codable {
    /// The highest the counter may go.
    public var maximum: Double
    /// How much the counter falls per second.
    public var decayPerSecond: Double

    public init(maximum: Double, decayPerSecond: Double) {
        self.maximum = maximum
        self.decayPerSecond = decayPerSecond
    }

    /// Kraken Starter tier: maximum 15, decays 0.33 per second.
    public static let starter = RateLimit(maximum: 15, decayPerSecond: 0.33)
    /// Kraken Intermediate tier: maximum 20, decays 0.5 per second.
    public static let intermediate = RateLimit(maximum: 20, decayPerSecond: 0.5)
    /// Kraken Pro tier: maximum 20, decays 1 per second.
    public static let pro = RateLimit(maximum: 20, decayPerSecond: 1)
}

/// What a call costs against a ``RateLimit``.
public enum CallCost {
    /// Most private calls.
    public static let standard: Double = 1
    /// Ledger and trade-history queries.
    public static let history: Double = 2
}

/// The guide's startup burst protection: for a while after a manager opens, a tighter
/// limit on top of the tier's, so that a restart (or a crash loop) cannot fire a burst of
/// calls the moment it comes up. Kept in memory: it is about this process's start.
public struct BurstProtection: Sendable, Equatable {
    /// How long after opening the limit applies.
    public var window: Duration
    /// The limit during the window.
    public var limit: RateLimit

    public init(window: Duration, limit: RateLimit) {
        self.window = window
        self.limit = limit
    }

    /// For 30 seconds after opening, at most a burst of 3, then 1 call per second.
    public static let startup = BurstProtection(window: .seconds(30), limit: RateLimit(maximum: 3, decayPerSecond: 1))
}

/// How far the stream moves forward after consecutive "invalid nonce" rejections.
///
/// One rejection is usually a request reordered in flight, two can be a race; a run of
/// them means the exchange has seen a nonce ahead of ours (another client, an old process,
/// a clock), and only moving forward ends it.
public struct RecoverySchedule: Sendable, Equatable {
    /// The jump after the first, second, ... rejection in a row.
    public var steps: [Duration]
    /// The jump after each rejection beyond ``steps``.
    public var thereafter: Duration

    public init(steps: [Duration], thereafter: Duration) {
        self.steps = steps
        self.thereafter = thereafter
    }

    /// Nothing for the first two, then 10 s, 20 s, 30 s, then 60 s for each further one.
    public static let standard = RecoverySchedule(
        steps: [.zero, .zero, .seconds(10), .seconds(20), .seconds(30)], thereafter: .seconds(60))

    /// The jump for the `count`th rejection in a row (1 for the first).
    public func jump(afterRejection count: Int64) -> Duration {
        count >= 1 && count <= Int64(steps.count) ? steps[Int(count) - 1] : (count < 1 ? .zero : thereafter)
    }
}
