import NonceKit
import NonceMigration

/// A library error with the `nonce` command that deals with it: the libraries describe what
/// happened; only the command line knows its own flags.
struct HintedError: Error, CustomStringConvertible {
    let error: NonceStoreError

    var description: String {
        guard let hint else { return error.description }
        return error.description + "\nHint: " + hint
    }

    private var hint: String? {
        let stream = error.stream ?? "NAME"
        switch error.code {
        case .modeMismatch:
            return "nonce stream set-mode \(stream) exclusive|shared switches it while no process holds it"
        case .orphanedHistory:
            return "nonce import-legacy --value \(error.nonce.map(String.init) ?? "NONCE") --stream \(stream)"
        case .emptyFile:
            return "if it was a database in use, move it and the files beside it aside, then: nonce import-legacy "
                + "--value NONCE --stream NAME, with the last nonce the exchange accepted"
        case .damagedLog:
            return "to start over, move the database and every file beside it aside, then: nonce import-legacy "
                + "--value NONCE --stream NAME, with the last nonce the exchange accepted"
        case .importRejected:
            let report = (error.cause as? LegacyImportRejection)?.report
            let ahead = report?.files.contains { $0.status == .rejected && ($0.leadNanoseconds ?? 0) > report?.maxLeadNanoseconds ?? .max } ?? false
            return "--skip-invalid leaves them out" + (ahead ? "; --accept-future accepts values ahead of the clock" : "")
        case .busy:
            return "--wait D waits longer for a turn"
        case .streamHeld:
            return "--wait D waits for the holder to release it"
        default:
            return nil
        }
    }
}
