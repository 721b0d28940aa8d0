import ArgumentParser
import Logging
import NonceKit

@main
struct NonceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nonce",
        abstract: "Strictly increasing, crash-safe nanosecond nonces for exchange API keys, kept in SQLite.",
        discussion: """
            Every subcommand takes --db PATH (default: $NONCE_DB, else ./nonces.sqlite) and --wait, \
            before or after the subcommand's name; --stream (default: $NONCE_STREAM, else 'default') \
            too, for the subcommands that work on one stream. A stream is usually one API key.
            """,
        version: "nonce \(NonceStoreVersion.current) (SQLite \(NonceStoreVersion.sqliteLibrary); backends: \(NonceStoreVersion.backends.joined(separator: ", ")))",
        subcommands: [
            NextCommand.self, StatsCommand.self, HistoryCommand.self, TimelineCommand.self, JumpCommand.self, VerifyCommand.self,
            ImportLegacyCommand.self, StreamCommand.self, ExecCommand.self, RejectCommand.self, AcceptedCommand.self,
            PruneCommand.self, CopyStreamCommand.self, ExchangesCommand.self, BenchCommand.self, ManualCommand.self, BenchMemoryRunCommand.self,
            BenchPostgresBareCommand.self,
        ]
    )

    static func main() {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        Output.ignoreBrokenPipe()
        do {
            let arguments = GlobalOptions.movedAfterSubcommand(Array(CommandLine.arguments.dropFirst()))
            try checkSubcommand(arguments)
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch let error as NonceStoreError {
            exit(withError: HintedError(error: error))
        } catch {
            exit(withError: error)
        }
    }

    /// A mistyped subcommand (`nonce nxt`, `nonce help nosuch`) is named as such, with the
    /// nearest real one, rather than reported as an unexpected argument.
    static func checkSubcommand(_ arguments: [String]) throws {
        let names = configuration.subcommands.map { $0._commandName }
        let asked: String?
        if arguments.first == "help" { asked = arguments.dropFirst().first } else { asked = arguments.first }
        guard let asked, !asked.hasPrefix("-"), !names.contains(asked), asked != "help" else { return }
        let visible = names.filter { $0 != BenchMemoryRunCommand._commandName && $0 != BenchPostgresBareCommand._commandName }
        let nearest = visible.min { distance($0, asked) < distance($1, asked) }
        let hint = nearest.flatMap { distance($0, asked) <= 2 ? " (did you mean '\($0)'?)" : nil } ?? ""
        throw ValidationError("no subcommand '\(asked)'\(hint); 'nonce --help' lists them")
    }

    /// Edit distance, for "did you mean".
    private static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var diagonal = row[0]
            row[0] = i
            for j in 1...b.count {
                let above = row[j]
                row[j] = min(above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1))
                diagonal = above
            }
        }
        return row[b.count]
    }
}
