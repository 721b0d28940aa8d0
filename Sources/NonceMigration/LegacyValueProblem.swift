/// Why a legacy value or file cannot count towards the floor as it stands.
public enum LegacyValueProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// More than 2^64-1: no unit could hold it (the old code's "multiply by 1e6" bug).
    case beyondUInt64
    /// At least 2^63: above the largest nonce SQLite's signed 64-bit integer holds.
    case beyondInt64
    /// No unit reads it as an instant between 2013 and the horizon; the text says how each reads.
    case fitsNoUnit(String)
    /// It fits a unit but stands further ahead of the clock than the allowed lead.
    case tooFarAhead(lead: Int64, allowed: Int64)
    /// A line that is not a whole decimal number.
    case notANumber(line: Int, text: String)
    /// Far larger than any nonce file.
    case tooLarge(bytes: Int64)
    /// The file could not be read.
    case unreadable(String)
    /// A directory, FIFO, device or socket with a nonce file's name.
    case notARegularFile(String)
    /// Only NUL bytes where a value should be: a write lost in a crash (the file's length
    /// survived, its bytes did not), whose value may have been the newest.
    case onlyZeroBytes
    /// A directory the import was to search could not be listed.
    case cannotList(String)

    public var description: String {
        switch self {
        case .beyondUInt64:
            "beyond 2^64: no nonce unit can hold it (a corrupt value)"
        case .beyondInt64:
            "beyond 2^63-1, the largest nonce a SQLite integer holds"
        case .fitsNoUnit(let readings):
            "fits no unit (\(readings)): a truncated or corrupt value"
        case .tooFarAhead(let lead, let allowed):
            "ahead of the clock by \(LeadText.describe(lead)), more than the allowed lead of \(LeadText.describe(allowed))"
        case .notANumber(let line, let text):
            "line \(line) is not a whole number: \"\(text)\""
        case .tooLarge(let bytes):
            "\(bytes) bytes: far too large for a nonce file"
        case .unreadable(let reason):
            "cannot be read: \(reason)"
        case .notARegularFile(let kind):
            "\(kind), not a file, under a nonce file's name: the value it should hold is not there"
        case .onlyZeroBytes:
            "holds only NUL bytes where a value should be: a write lost in a crash, and that value may have been "
                + "the newest"
        case .cannotList(let reason):
            "a directory that cannot be listed (\(reason)): its nonce files cannot be read"
        }
    }
}

/// Durations in reports: `35m`, `3h 10m`, `482 years`.
enum LeadText {
    static func describe(_ nanoseconds: Int64) -> String {
        let seconds = nanoseconds / 1_000_000_000
        let units: [(String, Int64)] = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)]
        if seconds >= 2 * 365 * 86_400 { return "\(seconds / (365 * 86_400)) years" }
        if seconds < 1 { return "\(nanoseconds / 1_000_000)ms" }
        var rest = seconds
        var parts: [String] = []
        for (symbol, size) in units where rest >= size && parts.count < 2 {
            parts.append("\(rest / size)\(symbol)")
            rest %= size
        }
        return parts.joined(separator: " ")
    }
}
