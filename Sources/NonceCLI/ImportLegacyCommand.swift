import ArgumentParser
import Foundation
import NonceKit
import NonceMigration

struct ImportLegacyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-legacy",
        abstract: "Import the old Python managers' nonce files: their largest value becomes the stream's floor.",
        discussion: """
            Give the old bot's directory (its top level and data/ are searched) or single files. \
            Units (ms, µs, ns) are inferred from each value's magnitude, never from the file name, and \
            everything is normalized to nanoseconds. Values that fit no unit, exceed 64 bits, or lie further \
            ahead of the clock than --max-lead stop the import with nothing written. The old files are only \
            read. Each import and each file (with its SHA-256) is recorded in the legacy_imports view.
            """
    )

    @OptionGroup var options: DatabaseOptions

    @Argument(help: ArgumentHelp("Legacy nonce files or directories.", valueName: "path"))
    var paths: [String] = []

    @Option(name: .customLong("value"), help: ArgumentHelp(
        "A nonce not on disk, such as the old Redis key's value (repeatable).", valueName: "nonce"))
    var values: [String] = []

    @Flag(help: "Print what the import would do and write nothing.")
    var dryRun = false

    @Flag(help: "Leave files with suspect values out (they are reported) instead of stopping.")
    var skipInvalid = false

    @Flag(help: "Accept values further ahead of the clock than --max-lead (they are reported with their lead).")
    var acceptFuture = false

    @Option(help: ArgumentHelp("How far ahead of the clock a value may be: 30m, 24h, ...", valueName: "duration"))
    var maxLead = DurationArgument(argument: "24h")!

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        if paths.isEmpty && values.isEmpty {
            throw ValidationError("give at least one legacy file or directory, or --value")
        }
    }

    func run() throws {
        let importOptions = LegacyImportOptions(
            stream: options.stream, skipInvalid: skipInvalid, acceptFuture: acceptFuture, maxLead: maxLead.duration)
        let plan = try LegacyImportPlan(paths: paths, values: values, options: importOptions)
        let report: LegacyImportReport
        do {
            if dryRun {
                report = try plan.preview(against: options.file.openForPreview())
            } else {
                // Checked before opening: a rejected import must not even create the database.
                try plan.checkAccepted()
                report = try plan.apply(to: options.file.openDatabase())
            }
        } catch let error as NonceStoreError where error.code == .importRejected {
            if let rejected = (error.cause as? LegacyImportRejection)?.report {
                try Output.line(json ? try JSONOutput.encode(rejected) : rejected.text(database: options.path))
            }
            throw error
        }
        try Output.line(json ? try JSONOutput.encode(report) : report.text(database: options.path))
        // A dry run is a check scripts can use: it fails when the real import would be refused.
        if report.dryRun && report.outcome == .rejected { throw ExitCode(1) }
    }
}
