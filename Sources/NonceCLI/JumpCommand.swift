import ArgumentParser
import NonceKit

struct JumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jump",
        abstract: "Move a stream forward by a duration, durably, and print the new floor.",
        discussion: "Every later nonce is above the printed floor. The jump is recorded in nonce_events."
    )

    @OptionGroup var options: DatabaseOptions

    @Option(help: ArgumentHelp("How far to jump: 500ms, 60s, 10m, 2h, ...", valueName: "duration"))
    var by: DurationArgument

    @Option(help: "Why, recorded with the event.")
    var reason = "manual (nonce jump)"

    func run() throws {
        let manager = try NonceManager(path: options.path, configuration: options.managerConfiguration())
        defer { manager.close() }
        print(try manager.jump(by: by.duration, reason: reason))
    }
}
