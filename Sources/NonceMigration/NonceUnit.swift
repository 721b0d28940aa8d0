public import NonceBackend


extension NonceUnit {
    /// The units the old managers wrote, finest last: seconds are not among them (a
    /// 10-digit value is no legacy nonce).
    static let legacyCandidates: [NonceUnit] = [.milliseconds, .microseconds, .tenNanoseconds, .nanoseconds]

    /// Added to a reading: an 18-digit value is also what a 19-digit nanosecond value
    /// becomes when its last digit is cut off, so it is read as the top of its 10 ns tick,
    /// at or above whichever it was.
    var tickTop: Int64 { self == .tenNanoseconds ? 9 : 0 }

    /// How an import report names it.
    public var legacySymbol: String { self == .tenNanoseconds ? "10 ns (python-kraken-sdk's unit)" : symbol }
}

/// The range of instants a legacy nonce can plausibly stand for: from Kraken's launch to a
/// horizon ahead of now. A unit fits a value when the value, read in that unit, falls in
/// it. The units' ranges do not overlap while the horizon ends before the year 2400 (the
/// closest pair, 10 ns and 1 ns, is tenfold apart), so at most one fits.
public struct PlausibleTimes: Sendable, Equatable {
    /// 2013-01-01T00:00:00Z in nanoseconds: no Kraken nonce is older.
    public static let krakenLaunch: Int64 = 1_356_998_400_000_000_000

    /// The wall clock when the values are judged, in nanoseconds since the epoch.
    public var now: Int64
    /// The latest instant a value may stand for (`now` + the horizon).
    public var latest: Int64

    /// - Parameters:
    ///   - now: the wall clock the values are judged against, in nanoseconds since the epoch.
    ///   - horizon: how far ahead of `now` a reading may still fit a unit. Values between
    ///     the import's maximum lead and this horizon fit but need accepting values ahead of
    ///     the clock; beyond it, no unit fits. A truncated 19-digit value lands centuries ahead, far
    ///   beyond any horizon, so it can never become a floor.
    public init(now: Int64, horizon: Duration) {
        self.now = now
        latest = now.addingReportingOverflow(horizon.wholeNanoseconds).overflow ? .max : now + horizon.wholeNanoseconds
    }

    /// The value in nanoseconds and its unit, or why no unit fits.
    public func normalize(_ digits: Substring) -> Result<(unit: NonceUnit, nanoseconds: Int64), LegacyValueProblem> {
        let significant = digits.drop { $0 == "0" }
        guard significant.count <= 20, let value = UInt64(significant.isEmpty ? "0" : significant) else {
            return .failure(.beyondUInt64)
        }
        guard value <= UInt64(Int64.max) else { return .failure(.beyondInt64) }
        var readings: [String] = []
        for unit in NonceUnit.legacyCandidates {
            let (product, overflow1) = Int64(value).multipliedReportingOverflow(by: unit.nanoseconds)
            let (scaled, overflow2) = product.addingReportingOverflow(unit.tickTop)
            let overflow = overflow1 || overflow2
            if overflow {
                readings.append("as \(unit.legacySymbol) past the year 2262 (2^63-1 ns)")
            } else if scaled < Self.krakenLaunch {
                readings.append("as \(unit.legacySymbol) before 2013")
            } else if scaled > latest {
                readings.append("as \(unit.legacySymbol) \(LeadText.describe(scaled - now)) ahead")
            } else {
                return .success((unit, scaled))
            }
        }
        return .failure(.fitsNoUnit(readings.joined(separator: ", ")))
    }
}
