import ArgumentParser
import Logging

@main
struct NonceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nonce",
        abstract: "Strictly increasing, crash-safe nanosecond nonces for exchange API keys, kept in SQLite.",
        discussion: """
            Every subcommand takes --db PATH (default: $NONCE_DB, else ./nonces.sqlite).
            A stream is usually one API key; the default stream is 'default'.
            """,
        subcommands: [
            NextCommand.self, StatsCommand.self, HistoryCommand.self, JumpCommand.self, VerifyCommand.self,
            ImportLegacyCommand.self, StreamCommand.self, ExecCommand.self, RejectCommand.self, AcceptedCommand.self,
            PruneCommand.self, BenchCommand.self, BenchMemoryRunCommand.self,
        ]
    )

    static func main() {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
