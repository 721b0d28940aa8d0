import ArgumentParser
import NonceKit

struct JumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jump",
        abstract: "Move a stream forward by a duration, durably, and print the new floor.",
        discussion: "Every later nonce is above the printed floor. The jump is recorded in nonce_events."
    )

    @OptionGroup var options: DatabaseOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("How far to jump: \(Duration.parsingForms).", valueName: "duration"))
    var by: DurationArgument

    func validate() throws {
        try by.requirePositive("--by")
    }

    @Flag(help: "Print JSON: {\"stream\": ..., \"floor\": ...}.")
    var json = false

    @Option(help: "Why, recorded with the event.")
    var reason = "manual (nonce jump)"

    func run() throws {
        let manager = try options.openExistingManager()
        defer { try? manager.close() }
        let floor = try manager.jump(by: by.duration, reason: reason)
        try Output.line(json ? try JSONOutput.encode(CommandResult(stream: manager.stream, floor: floor, keys: ["floor"])) : String(floor))
        try manager.close()
    }
}
