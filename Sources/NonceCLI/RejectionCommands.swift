import ArgumentParser
import NonceKit

struct RejectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reject",
        abstract: "Record that the exchange rejected a nonce; a run of rejections moves the stream forward.",
        discussion: """
            Schedule: nothing for the first two rejections in a row, then 10s, 20s, 30s, then 60s for each \
            further one. The count is kept in the database until 'nonce ok' (or recordSuccess()) ends the run. \
            Prints the rejections in a row and the jump.
            """
    )

    @OptionGroup var options: DatabaseOptions

    @Option(help: "The exchange's message, recorded with the event.")
    var reason = "EAPI:Invalid nonce"

    @Flag(help: "Print JSON: rejections_in_a_row, jump_nanoseconds, floor (null when it did not move).")
    var json = false

    func run() throws {
        let manager = try options.openExistingManager()
        defer { try? manager.close() }
        let action = try manager.recordRejection(reason: reason)
        if json {
            try Output.line(try JSONOutput.encode(CommandResult(
                stream: manager.stream, floor: action.floor, jumpNanoseconds: action.jump.wholeNanoseconds,
                rejectionsInARow: action.rejectionsInARow, keys: ["floor", "jumpNanoseconds", "rejectionsInARow"])))
            try manager.close()
            return
        }
        var line = "rejections in a row: \(action.rejectionsInARow)"
        if let floor = action.floor { line += "; jumped \(action.jump), new floor \(floor)" } else { line += "; no jump yet" }
        try Output.line(line)
        try manager.close()
    }
}

struct AcceptedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ok",
        abstract: "Record that the exchange accepted a nonce: a run of rejections ends."
    )

    @OptionGroup var options: DatabaseOptions

    @Flag(help: "Print JSON: {\"stream\": ..., \"rejections_in_a_row\": 0}.")
    var json = false

    func run() throws {
        let manager = try options.openExistingManager()
        defer { try? manager.close() }
        try manager.recordSuccess()
        try Output.line(json ? try JSONOutput.encode(CommandResult(stream: manager.stream, rejectionsInARow: 0, keys: ["rejectionsInARow"]))
              : "rejections in a row: 0")
        try manager.close()
    }
}
