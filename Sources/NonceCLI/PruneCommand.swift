import ArgumentParser
import Foundation
import NonceKit

struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete old history rows; never the state that keeps nonces increasing.",
        discussion: """
            Deletes a stream's history rows issued longer ago than --older-than, and all but the newest \
            --keep. The stream's last nonce, high-water mark and counters stay: the next nonce is above \
            every nonce ever issued, pruned or not. Safe while processes issue (rows go in short chunks).
            """
    )

    @OptionGroup var options: DatabaseOptions

    @Option(help: ArgumentHelp("Delete rows issued longer ago than this: 30d, 12h, ...", valueName: "duration"))
    var olderThan: DurationArgument?

    @Option(parsing: .unconditional, help: ArgumentHelp("Keep at most this many newest rows.", valueName: "n"))
    var keep: Int64?

    @Flag(help: "Prune every stream, not just --stream.")
    var all = false

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        if olderThan == nil && keep == nil { throw ValidationError("give --older-than, --keep, or both") }
        if let keep, keep < 0 { throw ValidationError("--keep must be 0 or more") }
    }

    func run() throws {
        let inspector = try options.openInspector()
        // Named: it must exist (stats(of:) says so if not).
        let streams = all ? try inspector.streams().map(\.stream) : [try inspector.stats(of: options.stream).stream]
        let cutoff = olderThan.map { SystemClock().now() - $0.duration.wholeNanoseconds }
        let results = try streams.map { try inspector.pruneHistory(of: $0, issuedBefore: cutoff, keep: keep) }
        if json {
            try Output.line(try JSONOutput.encode(results))
        } else {
            for result in results {
                try Output.line("stream '\(result.stream)': deleted \(result.deleted) history row(s), \(result.remaining) left")
            }
        }
    }
}
