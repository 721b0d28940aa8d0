/// What one step of a stream's nonce is worth. A nonce is `max(now in the unit, last + 1)`:
/// Kraken takes any unit (NonceStore's default is nanoseconds), Bitfinex's WebSocket
/// authentication refuses anything above 2^53 - 1, and most exchanges' common client sends
/// milliseconds. A unit only ever changes to a finer one (the floor multiplied): an
/// exchange that accepted a large value keeps refusing smaller ones.
public enum NonceUnit: String, Sendable, Codable, CaseIterable, Comparable {
    case seconds = "s"
    case milliseconds = "ms"
    case microseconds = "us"
    /// python-kraken-sdk's unit (`time.time() * 1e8`, 18 digits today).
    case tenNanoseconds = "10ns"
    case nanoseconds = "ns"

    /// Nanoseconds per step.
    public var nanoseconds: Int64 {
        switch self {
        case .seconds: 1_000_000_000
        case .milliseconds: 1_000_000
        case .microseconds: 1_000
        case .tenNanoseconds: 10
        case .nanoseconds: 1
        }
    }

    /// How people write it.
    public var symbol: String {
        switch self {
        case .seconds: "s"
        case .milliseconds: "ms"
        case .microseconds: "µs"
        case .tenNanoseconds: "10 ns"
        case .nanoseconds: "ns"
        }
    }

    /// Coarser units first: a unit may only move to a larger one of these.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanoseconds > rhs.nanoseconds }

    /// A wall-clock reading in nanoseconds, in this unit (rounded down: the instant's step).
    @inline(__always)
    public func steps(ofNanoseconds nanoseconds: Int64) -> Int64 {
        self == .nanoseconds ? nanoseconds : nanoseconds / self.nanoseconds
    }

    /// A span in this unit, rounded up so that a jump or a lease is never shorter than asked
    /// (60 s is 60,000 on a ms stream; 1 ns is one step of any unit).
    public func steps(of duration: Duration) -> Int64 {
        let nanoseconds = duration.wholeNanoseconds
        guard self != .nanoseconds, nanoseconds > 0 else { return nanoseconds }
        return nanoseconds / self.nanoseconds + (nanoseconds % self.nanoseconds > 0 ? 1 : 0)
    }

    /// `steps` of this unit as a duration, for leads and waits people read.
    public func duration(ofSteps steps: Int64) -> Duration {
        let (product, overflow) = steps.multipliedReportingOverflow(by: nanoseconds)
        return overflow ? (steps < 0 ? .nanoseconds(Int64.min) : .nanoseconds(Int64.max)) : .nanoseconds(product)
    }
}

/// The rules a stream's nonces follow, set when it is created: the unit, the ceiling, and
/// the exchange preset they came from.
public struct StreamRules: Sendable, Equatable, Codable {
    /// What one step is worth.
    public var unit: NonceUnit
    /// The largest nonce the stream may issue; nil is 2^63-1.
    public var maxNonce: Int64?
    /// The exchange preset the rules came from, for people.
    public var exchange: String?

    /// Nanoseconds, no ceiling: every stream made before rules existed, and the default.
    public static let nanoseconds = StreamRules(unit: .nanoseconds)

    public init(unit: NonceUnit, maxNonce: Int64? = nil, exchange: String? = nil) {
        self.unit = unit
        self.maxNonce = maxNonce
        self.exchange = exchange
    }

    /// Refuses a ceiling that is not positive and an exchange id no one could read.
    public func validate() throws(NonceStoreError) {
        if let maxNonce, maxNonce <= 0 {
            throw NonceStoreError(.invalidArgument, "a stream's ceiling (max_nonce) must be positive, not \(maxNonce)")
        }
        if let exchange, exchange.isEmpty || exchange.count > 64 {
            throw NonceStoreError(.invalidArgument, "an exchange id must have 1 to 64 characters, not '\(exchange)'")
        }
    }

    /// The ceiling as a number: ``maxNonce`` or 2^63-1.
    public var ceiling: Int64 { maxNonce ?? .max }

    /// How people read them: "ms, at most 9007199254740991 (bitfinex)".
    public var description: String {
        var text = unit.rawValue
        if let maxNonce { text += ", at most \(maxNonce)" }
        if let exchange { text += " (\(exchange))" }
        return text
    }
}

extension StreamRules {
    /// `floor` moved to the finer `unit`: multiplied by the ratio of the units. The rule
    /// every backend applies to `set-unit`, written once.
    ///
    /// - Throws: `.invalidArgument` for a coarser unit (the exchange has accepted the larger
    ///   values already: a new API key and a new stream are the way), `.exhausted` when the
    ///   multiplied floor would pass the ceiling.
    package func floor(_ floor: Int64, movedTo newUnit: NonceUnit, stream: String) throws(NonceStoreError) -> Int64 {
        guard newUnit >= unit else {
            throw NonceStoreError(.invalidArgument, "stream '\(stream)' issues in \(unit.rawValue): a unit only moves to a finer one "
                + "(s -> ms -> us -> 10ns -> ns), since the exchange has accepted its larger values already and refuses smaller "
                + "ones for good; a new API key and a new stream are the way to \(newUnit.rawValue)", stream: stream)
        }
        let factor = unit.nanoseconds / newUnit.nanoseconds
        let (moved, overflow) = floor.multipliedReportingOverflow(by: factor)
        guard !overflow, moved <= ceiling else {
            throw NonceStoreError(.exhausted, "stream '\(stream)': its floor \(floor) in \(newUnit.rawValue) would pass its ceiling "
                + "\(ceiling)", stream: stream)
        }
        return moved
    }
}

extension StreamRules {
    /// What a destination with these rules takes from a copy of a stream with `source`'s:
    /// the floor in its own unit, and the history rows (only when the units are the same: a
    /// row records what was sent, in the unit it was sent in). Written once for every backend.
    ///
    /// - Throws: `.invalidArgument` when this unit is coarser than the source's (its numbers
    ///   would be read as far larger values), `.exhausted` when the floor passes the ceiling.
    package func receiving(
        floor: Int64, history: [HistoryEntry], from source: StreamRules, stream: String
    ) throws(NonceStoreError) -> (floor: Int64, history: [HistoryEntry]) {
        guard unit >= source.unit else {
            throw NonceStoreError(.invalidArgument, "stream '\(stream)' issues in \(unit.rawValue) here, coarser than the copy's "
                + "\(source.unit.rawValue): its nonces cannot continue above the copy's; copy it to a stream in \(source.unit.rawValue) "
                + "or finer", stream: stream)
        }
        let moved = try source.floor(floor, movedTo: unit, stream: stream)
        guard moved <= ceiling else {
            throw NonceStoreError(.exhausted, "stream '\(stream)': the copy's floor \(moved) passes the ceiling \(ceiling) here",
                                  stream: stream)
        }
        return (moved, unit == source.unit ? history : [])
    }
}

extension StreamRules {
    /// A legacy import's floor (nanoseconds, as the old managers' files are read) in this
    /// stream's unit, rounded up so that it still covers the value.
    ///
    /// - Throws: `.exhausted` when it passes the ceiling.
    package func importedFloor(_ nanoseconds: Int64?, stream: String) throws(NonceStoreError) -> Int64? {
        guard let nanoseconds else { return nil }
        let floor = unit.steps(of: .nanoseconds(nanoseconds))
        guard floor <= ceiling else {
            throw NonceStoreError(.exhausted, "stream '\(stream)': the imported floor \(floor) \(unit.rawValue) passes its ceiling "
                + "\(ceiling)", stream: stream)
        }
        return floor
    }
}
