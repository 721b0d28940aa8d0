import NonceBackend

/// How an import judges values. The defaults stop on anything suspect.
public struct LegacyImportOptions: Sendable {
    /// The stream whose floor the import raises. The guide's global manager used one nonce
    /// for all users, hence `default`. Kept in Unicode normal form C, as stream names are.
    public var stream: String {
        didSet { if stream.utf8.contains(where: { $0 >= 0x80 }) { stream = StreamName.normalized(stream) } }
    }
    /// Leave suspect files out (reported) instead of stopping.
    public var skipInvalid: Bool
    /// Accept values further ahead of the clock than ``maxLead`` (reported with their lead).
    public var acceptFuture: Bool
    /// How far ahead of the clock a value may be without ``acceptFuture``. Reset scripts
    /// pushed nonces up to an hour ahead; a day covers every recovery the old code did.
    public var maxLead: Duration
    /// How far ahead a reading may be and still fit a unit at all (at least ``maxLead``).
    /// Beyond it a value fits no unit: even `acceptFuture` cannot let a truncated number,
    /// centuries ahead, become the floor.
    public var horizon: Duration
    /// The wall clock, in nanoseconds since the epoch; nil reads the system clock.
    public var now: Int64?

    public init(
        stream: String = "default",
        skipInvalid: Bool = false,
        acceptFuture: Bool = false,
        maxLead: Duration = .seconds(24 * 3_600),
        horizon: Duration = .seconds(366 * 86_400),
        now: Int64? = nil
    ) {
        self.stream = StreamName.normalized(stream)
        self.skipInvalid = skipInvalid
        self.acceptFuture = acceptFuture
        self.maxLead = maxLead
        self.horizon = horizon
        self.now = now
    }
}
