package import NonceBackend

/// Why an import stopped. Nothing was written to the database, and no legacy file is ever
/// written, whatever the error.
extension NonceStoreError {
    package static func pathNotFound(_ path: String) -> Self {
        Self(.pathNotFound, "no such file or directory: '\(path)'; nothing was imported")
    }

    package static var emptyValue: Self {
        Self(.nothingToImport, "an empty value was given: give the nonce, digits only; nothing was imported")
    }

    package static var nothingGiven: Self {
        Self(.nothingToImport, "give at least one legacy file or directory (or a value)")
    }

    /// Files with suspect values: the cause is a ``LegacyImportRejection`` with the report.
    package static func rejected(_ report: LegacyImportReport) -> Self {
        let rejected = report.files.filter { $0.status == .rejected }
        var text = "import stopped, nothing written: \(rejected.count) file(s) hold values that cannot count as they are:"
        for file in rejected { text += "\n  \(file.path): \(file.reason)" }
        text += "\nCheck them; then fix or remove them, or leave them out as invalid"
        if rejected.contains(where: { ($0.leadNanoseconds ?? 0) > report.maxLeadNanoseconds }) {
            text += ", or accept values ahead of the clock"
        }
        return Self(.importRejected, text, stream: report.stream, cause: LegacyImportRejection(report: report))
    }
}

/// The cause of an code `.importRejected` error: the report, file by file.
public struct LegacyImportRejection: Error, Sendable, CustomStringConvertible {
    public let report: LegacyImportReport
    public var description: String { "\(report.files.filter { $0.status == .rejected }.count) suspect file(s)" }
}
