/// One legacy file examined by an import: a row of the public `legacy_imports` view.
public struct LegacyFileRecord: Sendable, Equatable, Codable {
    /// The file's absolute path when it was read.
    public var path: String
    /// Its size in bytes (nil for a value given on the command line).
    public var size: Int64?
    /// Lower-case hex SHA-256 of its bytes (nil for a value given on the command line).
    public var sha256: String?
    /// The detected format, such as `account-text` or `platform-state.bak`.
    public var format: String
    /// The unit inferred from the value's magnitude: `ms`, `us` or `ns`.
    public var unit: String?
    /// The value(s) as written, one per line.
    public var rawValue: String?
    /// The value in nanoseconds (the largest, when the file held several).
    public var normalized: Int64?
    /// Whether the value counted towards the floor.
    public var accepted: Bool
    /// Why it counted or not, for people.
    public var reason: String

    public init(
        path: String, size: Int64?, sha256: String?, format: String, unit: String?,
        rawValue: String?, normalized: Int64?, accepted: Bool, reason: String
    ) {
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.format = format
        self.unit = unit
        self.rawValue = rawValue
        self.normalized = normalized
        self.accepted = accepted
        self.reason = reason
    }
}

/// What ``NonceStore/recordLegacyImport(id:stream:files:floor:summary:)`` did.
public struct LegacyImportCommit: Sendable, Equatable {
    /// The stream's floor (`max(last_issued, high_water)`) before the import; 0 for a new stream.
    public var floorBefore: Int64
    /// The floor after it: never below ``floorBefore``.
    public var floorAfter: Int64
    /// False when the same files had been imported before and the floor did not move:
    /// nothing was written.
    public var recorded: Bool
}
