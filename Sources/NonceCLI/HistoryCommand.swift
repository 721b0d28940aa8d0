import ArgumentParser

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the newest issued nonces of a stream, newest first."
    )

    @OptionGroup var options: DatabaseOptions

    @Option(help: "How many rows to show.")
    var limit = 20

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let rows = try options.openInspector().history(of: options.stream, limit: limit)
        if json {
            try Output.line(try JSONOutput.encode(rows))
            return
        }
        try Output.line("nonce\tissued_at\tpid\tlabel")
        for row in rows {
            try Output.line("\(row.nonce)\t\(row.issuedAt)\t\(row.pid)\t\(row.label ?? "")")
        }
    }
}
