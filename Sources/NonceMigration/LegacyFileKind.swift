import Foundation

/// What a legacy file is, decided from its name alone (never its unit: see `NonceUnit`).
public enum LegacyFileKind: Sendable, Equatable {
    /// A file that may carry a nonce, possibly as an interrupted-write or backup copy.
    case nonce(LegacyNonceFormat, copy: LegacyCopy)
    /// A file of the old managers that carries no nonce: skipped and reported.
    case companion(LegacyCompanion)
    /// A name no old manager wrote: ignored and listed.
    case unrecognized

    /// Classifies a file by its last path component.
    public init(fileName name: String) {
        if name.hasPrefix(".nonce_tmp_") {
            self = .nonce(.interruptedWrite, copy: .original)
            return
        }
        for (suffix, companion) in [(".lock", LegacyCompanion.lockFile), (".pid", .pidFile)] where name.hasSuffix(suffix) {
            // Only the companion of a nonce file counts as one; any other .lock is just unknown.
            if case .nonce = LegacyFileKind(fileName: String(name.dropLast(suffix.count))) {
                self = .companion(companion)
            } else {
                self = .unrecognized
            }
            return
        }
        let (base, copy) = LegacyCopy.split(name)
        if base == "kraken_nonce_offsets.json" {
            self = .companion(.offsets)
        } else if let format = LegacyNonceFormat(baseName: base) {
            self = .nonce(format, copy: copy)
        } else {
            self = .unrecognized
        }
    }

    /// The name recorded in `legacy_imports.format`: the format, then `.tmp` or `.bak` for copies.
    public var name: String {
        switch self {
        case .nonce(let format, let copy): format.rawValue + copy.suffix
        case .companion(let companion): companion.rawValue
        case .unrecognized: "unrecognized"
        }
    }
}

/// The nonce-carrying files of `legacy-formats`, by name pattern.
public enum LegacyNonceFormat: String, Sendable, CaseIterable {
    /// `kraken_nonce.txt`: the legacy broker code (µs historically).
    case brokerText = "broker-text"
    /// `kraken_nonce_<account or user id>.txt`: per-account and per-user managers; µs, ms or ns.
    case accountText = "account-text"
    /// `kraken_global_nonce.txt`: the guide's global manager (ns).
    case globalText = "global-text"
    /// `kraken_nonce.state`: the later platform manager (ms, sometimes several lines).
    case platformState = "platform-state"
    /// `kraken_nonce_<user id or key id>.state`: the later per-user and per-key managers (ms).
    case keyState = "key-state"
    /// `.nonce_tmp_*`: a temporary file of an atomic write that never got renamed.
    case interruptedWrite = "interrupted-write"
    /// A value given on the command line, such as a Redis key's.
    case commandLine = "command-line"

    init?(baseName base: String) {
        switch base {
        case "kraken_nonce.txt": self = .brokerText
        case "kraken_global_nonce.txt": self = .globalText
        case "kraken_nonce.state": self = .platformState
        default:
            let prefix = "kraken_nonce_"
            guard base.hasPrefix(prefix) else { return nil }
            let rest = base.dropFirst(prefix.count)
            if rest.hasSuffix(".txt"), rest.count > 4 {
                self = .accountText
            } else if rest.hasSuffix(".state"), rest.count > 6 {
                self = .keyState
            } else {
                return nil
            }
        }
    }
}

/// Whether a nonce file is the original or one of the copies the old code left behind.
public enum LegacyCopy: Sendable, Equatable {
    case original
    /// `<file>.tmp`: an interrupted write, whole, truncated or empty.
    case temporary
    /// `<file>.bak.<epoch seconds>` (or `.bak`): a byte copy kept by reset scripts.
    case backup(epochSeconds: Int64?)

    var suffix: String {
        switch self {
        case .original: ""
        case .temporary: ".tmp"
        case .backup: ".bak"
        }
    }

    /// Splits `kraken_nonce.txt.bak.1700000000` into `kraken_nonce.txt` and the copy.
    static func split(_ name: String) -> (base: String, copy: LegacyCopy) {
        if name.hasSuffix(".tmp") { return (String(name.dropLast(4)), .temporary) }
        if name.hasSuffix(".bak") { return (String(name.dropLast(4)), .backup(epochSeconds: nil)) }
        if let marker = name.range(of: ".bak.", options: .backwards) {
            let epoch = name[marker.upperBound...]
            if !epoch.isEmpty, epoch.allSatisfy(\.isASCIIDigit) {
                return (String(name[..<marker.lowerBound]), .backup(epochSeconds: Int64(epoch)))
            }
        }
        return (name, .original)
    }
}

/// Files beside the nonce files that carry no nonce.
public enum LegacyCompanion: String, Sendable {
    /// `<file>.lock`: an empty lock target.
    case lockFile = "lock-file"
    /// `<file>.pid`: the holder's PID (and sometimes JSON).
    case pidFile = "pid-file"
    /// `kraken_nonce_offsets.json`: smoothing offsets, not a nonce.
    case offsets = "offsets-json"
}

extension Character {
    var isASCIIDigit: Bool { asciiValue.map { (0x30...0x39).contains($0) } ?? false }
}
