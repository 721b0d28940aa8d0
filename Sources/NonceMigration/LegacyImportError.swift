/// Why an import stopped. Nothing was written to the database, and no legacy file is ever
/// written, whatever the error.
public enum LegacyImportError: Error, Sendable, CustomStringConvertible {
    /// A path given to the import does not exist.
    case pathNotFound(String)
    /// A value given on the command line is empty or blank.
    case emptyValue
    /// Nothing to import: no paths and no values.
    case nothingGiven
    /// Files with suspect values; the report lists every file and why.
    case rejected(LegacyImportReport)

    public var description: String {
        switch self {
        case .pathNotFound(let path):
            return "no such file or directory: '\(path)'; nothing was imported"
        case .emptyValue:
            return "an empty value was given (--value ''): give the nonce, digits only; nothing was imported"
        case .nothingGiven:
            return "give at least one legacy file or directory (or a value)"
        case .rejected(let report):
            let rejected = report.files.filter { $0.status == .rejected }
            var text = "import stopped, nothing written: \(rejected.count) file(s) hold values that cannot count as they are:"
            for file in rejected { text += "\n  \(file.path): \(file.reason)" }
            text += "\nCheck them; then fix or remove them, or rerun with --skip-invalid to leave them out"
            if rejected.contains(where: { ($0.leadNanoseconds ?? 0) > report.maxLeadNanoseconds }) {
                text += ", or with --accept-future to accept values ahead of the clock"
            }
            return text
        }
    }
}
