import ArgumentParser
import Foundation
import NonceBackend
import NonceKit
import NoncePostgres

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

    struct Copied: Encodable {
        var stream: String
        var floorBefore: Int64
        var floorAfter: Int64
        var historyRows: Int
        enum CodingKeys: String, CodingKey {
            case stream, floorBefore = "floor_before", floorAfter = "floor_after", historyRows = "history_rows"
        }
    }

    func run() throws {
        let source = try NonceDatabase.open(from, create: false)
        let destination = try NonceDatabase.open(to, create: true)
        let names = streams.isEmpty ? try source.streams().map(\.name) : streams
        var copied: [Copied] = []
        for name in names {
            guard let found = try source.stream(named: name) else {
                throw ValidationError("no stream named '\(name)' in '\(source.path)'")
            }
            // Held for the whole copy, in either mode: nothing issues from the source meanwhile.
            let claim = try source.claim(found, wait: nil, shared: false)
            defer { claim.release() }
            _ = try source.repairFloor(streamID: found.id)
            guard let record = try source.stream(named: name) else { throw ValidationError("stream '\(name)' disappeared") }
            let history = withHistory ? try source.history(stream: name, limit: Int.max) : []
            let commit = try destination.receiveCopy(
                of: record, floor: record.floor, history: history, detail: "copied from \(source.path) (floor \(record.floor))")
            var event = StreamChange(streamID: record.id)
            event.events = [EventRow(at: WallClock.nanoseconds(), kind: .copy, detail:
                "copied to \(destination.path): its floor is now \(commit.floorAfter), \(commit.historyRows) history row(s) added")]
            try source.apply(event, durable: true)
            copied.append(Copied(stream: name, floorBefore: commit.floorBefore, floorAfter: commit.floorAfter, historyRows: commit.historyRows))
        }
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
