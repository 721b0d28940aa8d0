import ArgumentParser
import NonceKit

struct StreamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Create streams, list them, and switch them between exclusive and shared.",
        subcommands: [Create.self, List.self, SetMode.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a stream (exclusive unless --shared).",
            discussion: """
                Exclusive: one process at a time issues, from memory, fastest. Shared: any number of \
                processes (and other languages, through the SQL contract) issue; each nonce is one \
                durable transaction.
                """
        )

        @OptionGroup var database: DatabaseFileOption

        @Argument(help: "The stream's name, usually naming one API key.")
        var name: String

        @Flag(help: "Let several processes issue from the stream.")
        var shared = false

        @Flag(help: "Print JSON: stream, mode, created.")
        var json = false

        func run() throws {
            let stream = try database.openDatabase().createStream(name, mode: shared ? .shared : .exclusive)
            if json {
                try Output.line(try JSONOutput.encode(CommandResult(stream: name, mode: stream.mode.rawValue, created: stream.created,
                                                          keys: ["mode", "created"])))
            } else {
                try Output.line(stream.created ? "created \(stream.mode.rawValue) stream '\(name)'"
                                      : "stream '\(name)' already exists (\(stream.mode.rawValue))")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the streams with their modes and figures.")

        @OptionGroup var database: DatabaseFileOption

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let stats = try database.openInspector().streams()
            if json {
                try Output.line(try JSONOutput.encode(stats))
                return
            }
            let rows = [["STREAM", "MODE", "LAST ISSUED", "ISSUED", "HELD BY"]] + stats.map { stats in
                [stats.stream, stats.mode.rawValue, String(stats.lastIssued), String(stats.issuedTotal),
                 stats.holderPID.map { "process \($0)" } ?? (stats.isHeld ? "processes" : "-")]
            }
            let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                try Output.line(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
            }
        }
    }

    struct SetMode: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-mode",
            abstract: "Switch a stream to exclusive or shared; only while no process holds it."
        )

        @OptionGroup var database: DatabaseFileOption

        @Argument(help: "The stream.")
        var name: String

        @Argument(help: "exclusive or shared.")
        var mode: ModeArgument

        @Flag(help: "Print JSON: stream, mode, changed.")
        var json = false

        func run() throws {
            let changed = try database.openExistingDatabase().setMode(mode.mode, of: name)
            if json {
                try Output.line(try JSONOutput.encode(CommandResult(stream: name, mode: mode.rawValue, changed: changed, keys: ["mode", "changed"])))
                return
            }
            try Output.line(changed ? "stream '\(name)' is now \(mode.rawValue)" : "stream '\(name)' already is \(mode.rawValue)")
        }
    }
}

/// `exclusive` or `shared` on the command line.
enum ModeArgument: String, CaseIterable, ExpressibleByArgument {
    case exclusive, shared

    var mode: StreamMode { self == .shared ? .shared : .exclusive }
}
