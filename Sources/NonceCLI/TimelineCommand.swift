import ArgumentParser
import Foundation
import NonceKit

/// `nonce timeline`: the minutes around an incident, as one self-contained HTML page or JSON.
struct TimelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeline",
        abstract: "Draw what happened on streams over a window: nonces per process and label, the lead over the clock, the events.",
        discussion: """
            Writes one self-contained HTML page (--html FILE: no network, inline SVG, readable printed and \
            without script) and/or prints the same buckets and events as JSON (--json). The default window is \
            the last hour of every stream. The database sums the buckets from its per-second rollup of the \
            history (history_seconds, which prune keeps), so the time and the page's size follow the buckets, \
            not the number of nonces.
            """
    )

    @OptionGroup var database: DatabaseFileOption

    @Option(name: .customLong("stream"), help: ArgumentHelp("A stream to show (repeatable; default: every stream).", valueName: "name"))
    var streams: [String] = []

    @Option(help: ArgumentHelp("Write the page to this file.", valueName: "file"))
    var html: String?

    @Option(help: ArgumentHelp("The window: this long before --until (default 1h): \(Duration.parsingForms).", valueName: "duration"))
    var since: DurationArgument?

    @Option(help: ArgumentHelp("The window's start: \(UTCTime.parsingForms).", valueName: "time"))
    var from: TimeArgument?

    @Option(help: ArgumentHelp("The window's end (default: now), as --from.", valueName: "time"))
    var until: TimeArgument?

    @Option(help: ArgumentHelp("About how many buckets to cut the window into (1 to 1000).", valueName: "n"))
    var buckets = 120

    @Flag(help: "Print the buckets and events as JSON.")
    var json = false

    func validate() throws {
        if html == nil && !json { throw ValidationError("give --html FILE, --json, or both") }
        if since != nil && from != nil { throw ValidationError("--since and --from both set the window's start: give one") }
        try since?.requirePositive("--since")
        guard (1...1_000).contains(buckets) else { throw ValidationError("--buckets must be 1 to 1000, not \(buckets)") }
        if let from, let until, until.nanoseconds <= from.nanoseconds {
            throw ValidationError("--until must be after --from")
        }
    }

    func run() throws {
        let end = until?.nanoseconds ?? SystemClock().now()
        let start = from?.nanoseconds ?? end - (since?.duration ?? .seconds(3_600)).wholeNanoseconds
        guard end > start else { throw ValidationError("--until must be after --from") }
        let timeline = try database.openInspector().timeline(streams: streams, from: start, until: end, buckets: buckets)
        if let html {
            let page = TimelinePage(timeline).html
            do {
                try page.write(toFile: html, atomically: true, encoding: .utf8)
            } catch {
                throw ValidationError("cannot write '\(html)': \(error.localizedDescription)")
            }
            if !json {
                try Output.line("wrote \(html): \(timeline.streams.count) stream(s), \(UTCTime.text(timeline.from)) to "
                    + "\(UTCTime.text(timeline.until)), \(page.utf8.count) bytes")
            }
        }
        if json { try Output.line(try JSONOutput.encode(timeline)) }
    }
}

/// Parses an instant for `--from` and `--until` (``UTCTime/nanoseconds(parsing:)``).
struct TimeArgument: ExpressibleByArgument {
    let nanoseconds: Int64

    init?(argument: String) {
        guard let nanoseconds = UTCTime.nanoseconds(parsing: argument) else { return nil }
        self.nanoseconds = nanoseconds
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
