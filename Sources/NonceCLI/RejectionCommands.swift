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

    func run() throws {
        let manager = try options.openExistingManager()
        defer { manager.close() }
        let action = try manager.recordRejection(reason: reason)
        var line = "rejections in a row: \(action.rejectionsInARow)"
        if let floor = action.floor { line += "; jumped \(action.jump), new floor \(floor)" } else { line += "; no jump yet" }
        print(line)
    }
}

struct AcceptedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ok",
        abstract: "Record that the exchange accepted a nonce: a run of rejections ends."
    )

    @OptionGroup var options: DatabaseOptions

    func run() throws {
        let manager = try options.openExistingManager()
        defer { manager.close() }
        try manager.recordSuccess()
        print("rejections in a row: 0")
    }
}
