import ArgumentParser
import NonceKit
import NonceBackend
import NonceSQLite

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
            let store = try database.openStore()
            let mode: StreamMode = shared ? .shared : .exclusive
            let existing = try store.stream(named: name)
            let record = try existing ?? store.openStream(named: name, mode: mode)
            if json {
                try Output.line(try JSONOutput.encode(CommandResult(stream: record.name, mode: record.mode.rawValue, created: existing == nil,
                                                          keys: ["mode", "created"])))
            } else {
                try Output.line(existing != nil ? "stream '\(record.name)' already exists (\(record.mode.rawValue))"
                                      : "created \(record.mode.rawValue) stream '\(record.name)'")
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
            let changed = try database.openExistingStore().setMode(mode.mode, stream: name)
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
