import ArgumentParser
import Foundation
import NonceKit

/// `nonce copy-stream`: moves streams between databases, SQLite to PostgreSQL or back.
struct CopyStreamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy-stream",
        abstract: "Copy streams to another database (a SQLite file or a PostgreSQL URI), floors and all.",
        discussion: """
            Each stream arrives in the same mode with a floor of at least the larger of its last nonce and its \
            high-water mark (and its history's largest nonce), so the destination continues above every nonce the \
            source issued. Neither side may be in use by a process while its stream is copied: the copy holds both \
            streams' claims. A copy event is recorded on both sides. Copying again only ever raises the floor.
            """
    )

    @Option(help: ArgumentHelp("The database to copy from.", valueName: "path-or-uri"))
    var from: String

    @Option(help: ArgumentHelp("The database to copy to (created when missing).", valueName: "path-or-uri"))
    var to: String

    @Option(name: .customLong("stream"), help: ArgumentHelp("A stream to copy (repeat for several; default: every stream).", valueName: "name"))
    var streams: [String] = []

    @Flag(help: "Copy the history rows too (those above the destination's floor).")
    var withHistory = false

    @Flag(help: "Print JSON: an array of {\"stream\", \"floor_before\", \"floor_after\", \"history_rows\"}.")
    var json = false

    func validate() throws {
        guard from != to else { throw ValidationError("--from and --to name the same database") }
    }

    func run() throws {
        let source = try NonceDatabase(from, create: false)
        let copied = try source.copyStreams(streams, to: NonceDatabase(to, create: true), withHistory: withHistory)
        if json {
            try Output.line(try JSONOutput.encode(copied))
        } else {
            for item in copied {
                try Output.line("copied '\(item.stream)': floor \(item.floorAfter) (was \(item.floorBefore) there), "
                    + "\(item.historyRows) history row(s)")
            }
        }
    }
}
