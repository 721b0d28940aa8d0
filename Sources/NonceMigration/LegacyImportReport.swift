public import NonceBackend
/// What the import found in one file (or command-line value), and whether it counts.
public struct LegacyFileReport: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        /// Its value is a candidate for the floor.
        case counted
        /// It carries no nonce: a companion file, an empty file, a name no old manager wrote.
        case ignored
        /// Its value is suspect and `--skip-invalid` left it out.
        case skipped
        /// Its value is suspect: the import stops and writes nothing.
        case rejected
    }

    /// Absolute path, or `(command line)` for a value given as an argument.
    public var path: String
    public var size: Int64?
    /// Lower-case hex SHA-256 of the file's bytes.
    public var sha256: String?
    /// The detected format, such as `account-text` or `platform-state.bak`.
    public var format: String
    /// The unit inferred from the magnitude of the value that counts.
    public var unit: NonceUnit?
    /// Every value in the file, as written.
    public var rawValues: [String]
    /// The file's value in nanoseconds: the largest when it held several.
    public var normalized: UInt64?
    /// How far `normalized` is ahead of the clock, when it is.
    public var leadNanoseconds: Int64?
    public var status: Status
    /// Why it counts or not, for people.
    public var reason: String

    /// Writes every field, an absent one as `null`, so readers see one shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(size, forKey: .size)
        try container.encode(sha256, forKey: .sha256)
        try container.encode(format, forKey: .format)
        try container.encode(unit, forKey: .unit)
        try container.encode(rawValues, forKey: .rawValues)
        try container.encode(normalized, forKey: .normalized)
        try container.encode(leadNanoseconds, forKey: .leadNanoseconds)
        try container.encode(status, forKey: .status)
        try container.encode(reason, forKey: .reason)
    }
}

/// The outcome of an import or of its dry run, file by file.
public struct LegacyImportReport: Sendable, Codable, Equatable {
    public enum Outcome: String, Sendable, Codable {
        /// The floor rose (or, in a dry run, would rise).
        case raised
        /// The files were recorded (or would be) but the floor was already higher.
        case unchanged
        /// The same files were imported before and the floor would not move: nothing written.
        case alreadyImported
        /// Suspect values stopped the import: nothing written.
        case rejected
    }

    /// Names this import in `legacy_imports.import_id`; nil when nothing was written.
    public var importID: String?
    public var stream: String
    /// True when nothing was meant to be written.
    public var dryRun: Bool
    public var outcome: Outcome
    public var files: [LegacyFileReport]
    /// The stream's floor before, in its ``unit`` (0 for a new stream; nil when the database
    /// was not consulted because the import was rejected first).
    public var floorBefore: UInt64?
    /// The floor after, in the stream's ``unit``: every nonce issued later is above it. The
    /// files' values are read as nanoseconds and, for a stream of a coarser unit, rounded up
    /// to it.
    public var floorAfter: UInt64?
    /// The stream's unit (nil when the database was not consulted).
    public var unit: NonceUnit?
    /// The file whose value is the largest that counted.
    public var floorSource: String?
    /// The wall clock the values were judged against, in nanoseconds.
    public var judgedAt: Int64
    /// The lead over that clock a value may have without `--accept-future`, in nanoseconds.
    public var maxLeadNanoseconds: Int64

    /// Writes every field, an absent one as `null`, so readers see one shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(importID, forKey: .importID)
        try container.encode(stream, forKey: .stream)
        try container.encode(dryRun, forKey: .dryRun)
        try container.encode(outcome, forKey: .outcome)
        try container.encode(files, forKey: .files)
        try container.encode(floorBefore, forKey: .floorBefore)
        try container.encode(floorAfter, forKey: .floorAfter)
        try container.encode(unit, forKey: .unit)
        try container.encode(floorSource, forKey: .floorSource)
        try container.encode(judgedAt, forKey: .judgedAt)
        try container.encode(maxLeadNanoseconds, forKey: .maxLeadNanoseconds)
    }
}
