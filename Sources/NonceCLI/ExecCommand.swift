import ArgumentParser
import Foundation
import NonceKit

struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command with a fresh nonce in $NONCE, holding the stream's API lock until it exits.",
        discussion: """
            Takes the API lock, issues a nonce, runs COMMAND with NONCE and NONCE_STREAM in its \
            environment, releases the lock when it exits, and exits with its status. On a shared stream \
            the lock excludes every other process using the stream, so requests leave in nonce order. \
            SIGINT, SIGTERM and SIGHUP are passed on to COMMAND, and the lock is released only once it \
            has exited. COMMAND inherits the lock itself: if this process is killed (kill -9), the lock \
            stays held until COMMAND exits, so no other process can send a newer nonce ahead of it. \
            Example: nonce exec --stream kraken -- python3 place_order.py
            """
    )

    @OptionGroup var options: DatabaseOptions

    @Option(help: ArgumentHelp(
        "Give up after waiting this long for the API lock (or, on an exclusive stream, for its holder).",
        valueName: "duration"))
    var timeout: DurationArgument?

    @Option(help: "The label stored with the nonce (default: the command's name).")
    var label: String?

    @OptionGroup(title: "Rate limiting") var limits: RateLimitOptions

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command and its arguments, after --.", valueName: "command"))
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the command to run after --, e.g. nonce exec -- ./call.sh") }
    }

    func run() throws {
        var configuration = options.managerConfiguration()
        if let timeout { configuration.timing.claimWait = timeout.duration }
        limits.apply(to: &configuration)
        let manager = try NonceManager(database: options.path, configuration: configuration)
        defer { try? manager.close() }
        let status = try manager.withAPILock(timeout: timeout?.duration, label: label ?? command[0], cost: limits.cost) { nonce in
            var environment = ProcessInfo.processInfo.environment
            environment["NONCE"] = String(nonce)
            environment["NONCE_STREAM"] = manager.stream
            do {
                return try ChildCommand.run(command, environment: environment, inheriting: manager.lockDescriptors)
            } catch let error as ChildCommand.SpawnError {
                // As shells do: 127 for a command that cannot be run.
                FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
                return 127
            }
        }
        try manager.close()
        if status != 0 { throw ExitCode(status) }
    }
}
