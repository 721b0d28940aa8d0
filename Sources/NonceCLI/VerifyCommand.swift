import ArgumentParser

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the database's integrity and every stream's invariants.",
        discussion: """
            Checks SQLite's integrity_check; history nonces unique and strictly increasing in
            issue order; history maximum <= last issued <= high-water mark; the per-second
            rollup (history_seconds) counts at least every history row. Exits 0 when all
            hold, 1 with a report otherwise.
            """
    )

    @OptionGroup var options: DatabaseOptions

    @Flag(help: "Check every stream even when --stream (or $NONCE_STREAM) names one. Without a stream named, every stream is checked.")
    var all = false

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        // No stream named: every stream, as the help says.
        let report = try options.openInspector().verify(stream: all || !options.namesStream ? nil : options.stream)
        if json {
            try Output.line(try JSONOutput.encode(report))
        } else if report.isValid {
            try Output.line("ok: \(report.streamsChecked.count) stream(s), \(report.historyRowsChecked) history row(s) checked")
        } else {
            try Output.line("FAILED: \(report.problems.count) problem(s)")
            for problem in report.problems { try Output.line("- \(problem)") }
        }
        if !report.isValid { throw ExitCode(1) }
    }
}
