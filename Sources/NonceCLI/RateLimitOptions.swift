import ArgumentParser
import NonceKit

/// `--tier`, `--rate-max`/`--rate-decay`, `--cost`, `--burst-protection` and
/// `--no-rate-limit`, shared by `next` and `exec`.
struct RateLimitOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Wait to stay under this Kraken tier's call counter: starter, intermediate, pro.", valueName: "tier"))
    var tier: TierArgument?

    @Option(help: ArgumentHelp("A custom counter maximum (with --rate-decay) instead of a tier.", valueName: "n"))
    var rateMax: Double?

    @Option(help: ArgumentHelp("How much the custom counter decays per second.", valueName: "per-second"))
    var rateDecay: Double?

    @Option(parsing: .unconditional, help: "What each call costs: 1, or 2 for ledger and trade-history queries.")
    var cost: Double = CallCost.standard

    @Flag(help: "Apply the startup burst protection (a burst of 3, then 1 per second, for 30 s after start).")
    var burstProtection = false

    @Flag(help: "Skip every limit for this run.")
    var noRateLimit = false

    func validate() throws {
        if (rateMax == nil) != (rateDecay == nil) { throw ValidationError("--rate-max and --rate-decay go together") }
        if tier != nil && rateMax != nil { throw ValidationError("give --tier or --rate-max/--rate-decay, not both") }
        if let rateMax, let rateDecay, rateMax <= 0 || rateDecay <= 0 {
            throw ValidationError("--rate-max and --rate-decay must be positive")
        }
        if !(cost > 0) { throw ValidationError("--cost must be a positive number, not \(cost)") }
    }

    /// Sets the limits on `configuration`.
    func apply(to configuration: inout NonceManager.Configuration) {
        guard !noRateLimit else { return }
        if let tier { configuration.protection.rateLimit = tier.limit }
        if let rateMax, let rateDecay { configuration.protection.rateLimit = RateLimit(maximum: rateMax, decayPerSecond: rateDecay) }
        if burstProtection { configuration.protection.burstProtection = .startup }
    }
}

enum TierArgument: String, CaseIterable, ExpressibleByArgument {
    case starter, intermediate, pro

    var limit: RateLimit {
        switch self {
        case .starter: .starter
        case .intermediate: .intermediate
        case .pro: .pro
        }
    }
}
