import ArgumentParser
import Foundation
import NonceKit

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show a stream's figures: last nonce, high-water mark, totals, lead over the clock."
    )

    @OptionGroup var options: DatabaseOptions

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Print every stream in the Prometheus text exposition format.")
    var prometheus = false

    func validate() throws {
        if json && prometheus { throw ValidationError("--json and --prometheus are two output formats: give one") }
        if prometheus && options.streamOption != nil {
            throw ValidationError("--prometheus prints every stream; drop --stream (or use --json for one stream)")
        }
    }

    func run() throws {
        let inspector = try options.openInspector()
        if prometheus {
            try Output.line(PrometheusText.render(try inspector.streams()))
            return
        }
        let stats = try inspector.stats(of: options.stream)
        if json {
            try Output.line(try JSONOutput.encode(stats))
            return
        }
        let rows: [(String, String)] = [
            ("stream", stats.stream),
            ("mode", stats.mode.rawValue),
            ("unit", stats.unit.rawValue + (stats.exchange.map { " (\($0) preset)" } ?? "")),
            ("ceiling", (stats.maxNonce.map(String.init) ?? "none (2^63-1)")
                + (stats.isCeilingNear ? "  (NEAR: within a year or 1%; set up a new API key and stream before it refuses)" : "")),
            ("last issued", String(stats.lastIssued)),
            ("high-water mark", String(stats.highWaterMark)),
            ("issued total", stats.uncleanStops == 0 ? String(stats.issuedTotal)
                : "at least \(stats.issuedTotal) (\(stats.uncleanStops) unclean stop(s): each loses the count of the nonces "
                + "issued in its last history flush interval)"),
            ("lead over clock", Self.describe(nanoseconds: stats.leadOverClockNanoseconds)
                + (stats.isLeadLarge ? "  (large: nonces stay this far ahead until the clock catches up; check the jumps)" : "")),
            ("clock regressions", String(stats.clockRegressions)),
            ("mark renewals", String(stats.markRenewals)),
            ("jumps", String(stats.jumps)),
            ("floor repairs", stats.floorRepairs == 0 ? "0"
                : "\(stats.floorRepairs) (the state was found below the history; see the floor_repair events)"),
            ("database size", Self.bytes(stats.databaseBytes) + " (write-ahead log " + Self.bytes(stats.walBytes) + ")"),
            ("rejections", "\(stats.consecutiveRejections) in a row, \(stats.rejectionsTotal) in total"),
            ("held by", stats.holderPID.map { "process \($0)" } ?? (stats.isHeld ? "shared by running processes" : "nobody")),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        for (name, value) in rows {
            try Output.line(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value)
        }
    }

    static func bytes(_ count: Int64?) -> String {
        guard let count else { return "?" }
        return count >= 1 << 20 ? String(format: "%.1f MiB", Double(count) / 1_048_576) : String(format: "%.1f KiB", Double(count) / 1024)
    }

    static func describe(nanoseconds: Int64) -> String {
        let seconds = Double(nanoseconds) / 1e9
        return String(format: "%.3f s", seconds)
    }
}

/// The CLI's JSON: snake_case keys, as the SQL views name the same things.
enum JSONOutput {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
