/// One legacy file examined by an import: a row of the package `legacy_imports` view.
package struct LegacyFileRecord: Sendable, Equatable, Codable {
    /// The file's absolute path when it was read.
    package var path: String
    /// Its size in bytes (nil for a value given on the command line).
    package var size: Int64?
    /// Lower-case hex SHA-256 of its bytes (nil for a value given on the command line).
    package var sha256: String?
    /// The detected format, such as `account-text` or `platform-state.bak`.
    package var format: String
    /// The unit inferred from the value's magnitude: `ms`, `us` or `ns`.
    package var unit: String?
    /// The value(s) as written, one per line.
    package var rawValue: String?
    /// The value in nanoseconds (the largest, when the file held several).
    package var normalized: Int64?
    /// Whether the value counted towards the floor.
    package var accepted: Bool
    /// Why it counted or not, for people.
    package var reason: String

    package init(
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

/// What ``SQLiteStore/recordLegacyImport(id:stream:files:floor:summary:)`` did.
package struct LegacyImportCommit: Sendable, Equatable {
    /// The stream's floor (`max(last_issued, high_water_mark)`) before the import; 0 for a new stream.
    package var floorBefore: Int64
    /// The floor after it: never below ``floorBefore``.
    package var floorAfter: Int64
    /// False when the same files had been imported before and the floor did not move:
    /// nothing was written.
    package var recorded: Bool
    /// The stream's unit: the floors are in it (the import's nanoseconds rounded up).
    package var unit: NonceUnit
    /// Every field, as stored.
    package init(floorBefore: Int64, floorAfter: Int64, recorded: Bool, unit: NonceUnit = .nanoseconds) {
        self.floorBefore = floorBefore
        self.floorAfter = floorAfter
        self.recorded = recorded
        self.unit = unit
    }
}
