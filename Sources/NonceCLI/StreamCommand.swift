import ArgumentParser
import NonceKit

struct StreamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Create streams, list them, and switch them between exclusive and shared.",
        subcommands: [Create.self, List.self, SetMode.self, SetUnit.self]
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

        @Option(help: ArgumentHelp("What one step of the nonce is worth: s, ms, us, 10ns or ns (default: ns, or the exchange's).",
                                   valueName: "unit"))
        var unit: UnitArgument?

        @Option(name: .customLong("max"), help: ArgumentHelp("The largest nonce the stream may issue (default: none, or the exchange's).",
                                                             valueName: "n"))
        var maxNonce: Int64?

        @Option(help: ArgumentHelp("Take an exchange's unit and ceiling (see nonce exchanges).", valueName: "id"))
        var exchange: String?

        @Flag(help: "Print JSON: stream, mode, unit, max_nonce, exchange, created.")
        var json = false

        func run() throws {
            var configuration = NonceManager.Configuration(stream: name)
            configuration.unit = unit?.unit
            configuration.maxNonce = maxNonce
            configuration.exchange = exchange
            let rules = try configuration.streamRules()
            let stream = try database.openDatabase().createStream(name, mode: shared ? .shared : .exclusive, rules: rules)
            if json {
                try Output.line(try JSONOutput.encode(CommandResult(
                    stream: name, mode: stream.mode.rawValue, unit: stream.rules.unit.rawValue, maxNonce: stream.rules.maxNonce,
                    exchange: stream.rules.exchange, created: stream.created, keys: ["mode", "unit", "maxNonce", "exchange", "created"])))
            } else {
                try Output.line(stream.created ? "created \(stream.mode.rawValue) stream '\(name)' (\(stream.rules.description))"
                                      : "stream '\(name)' already exists (\(stream.mode.rawValue), \(stream.rules.description))")
            }
            let asked = unit != nil || maxNonce != nil || exchange != nil
            if !stream.created, asked, stream.rules.unit != rules.unit || stream.rules.maxNonce != rules.maxNonce {
                throw ValidationError("stream '\(name)' has other rules than asked (\(rules.description)); a stream keeps its "
                    + "rules: use a new stream (and API key), or nonce stream set-unit to move to a finer unit")
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
            let rows = [["STREAM", "MODE", "UNIT", "MAX", "LAST ISSUED", "ISSUED", "HELD BY"]] + stats.map { stats in
                [stats.stream, stats.mode.rawValue, stats.unit.rawValue, stats.maxNonce.map(String.init) ?? "-",
                 String(stats.lastIssued), String(stats.issuedTotal),
                 stats.holderPID.map { "process \($0)" } ?? (stats.isHeld ? "processes" : "-")]
            }
            let widths = (0..<7).map { column in rows.map { $0[column].count }.max() ?? 0 }
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

/// Moves a stream to a finer unit.
struct SetUnit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-unit",
        abstract: "Move a stream to a finer unit (ms -> us -> 10ns -> ns), its floor multiplied; only while no process holds it.",
        discussion: """
            A unit only moves to a finer one: the exchange has accepted the stream's larger values already and refuses \
            smaller ones for good, so a coarser unit needs a new API key and a new stream.
            """
    )

    @OptionGroup var database: DatabaseFileOption

    @Argument(help: "The stream.")
    var name: String

    @Argument(help: "s, ms, us, 10ns or ns.")
    var unit: UnitArgument

    @Flag(help: "Print JSON: stream, unit, changed.")
    var json = false

    func run() throws {
        let changed = try database.openExistingDatabase().setUnit(unit.unit, of: name)
        if json {
            try Output.line(try JSONOutput.encode(CommandResult(stream: name, unit: unit.rawValue, changed: changed, keys: ["unit", "changed"])))
            return
        }
        try Output.line(changed ? "stream '\(name)' now issues in \(unit.rawValue)" : "stream '\(name)' already issues in \(unit.rawValue)")
    }
}

/// A nonce unit on the command line.
struct UnitArgument: ExpressibleByArgument {
    let unit: NonceUnit
    var rawValue: String { unit.rawValue }

    init?(argument: String) {
        guard let unit = NonceUnit(rawValue: argument == "µs" ? "us" : argument) else { return nil }
        self.unit = unit
    }

    static var allValueStrings: [String] { NonceUnit.allCases.map(\.rawValue) }
}

/// `exclusive` or `shared` on the command line.
enum ModeArgument: String, CaseIterable, ExpressibleByArgument {
    case exclusive, shared

    var mode: StreamMode { self == .shared ? .shared : .exclusive }
}
