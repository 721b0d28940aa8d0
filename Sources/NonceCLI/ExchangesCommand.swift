import ArgumentParser
import NonceKit

/// `nonce exchanges`: the exchange presets, their families and the source of each rule.
struct ExchangesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exchanges",
        abstract: "List the exchange presets: each exchange's nonce rule, its family and where the rule is written.",
        discussion: """
            increasing: a strictly increasing nonce per API key; a stream helps, and --exchange ID gives it the unit \
            the exchange's common client sends and the exchange's ceiling. window: a timestamp within a window of the \
            server's time; a counter that runs ahead of the clock is refused there. random: a random nonce or an \
            expiry; there is nothing to count. Only increasing exchanges are stream presets.
            """
    )

    @Flag(help: "Print JSON: an array of {id, name, family, unit, max_nonce, rule, source}.")
    var json = false

    func run() throws {
        let presets = ExchangePreset.all
        if json {
            try Output.line(try JSONOutput.encode(presets))
            return
        }
        let rows = [["EXCHANGE", "FAMILY", "UNIT", "MAX", "RULE (SOURCE)"]] + presets.map { preset in
            [preset.id, preset.family.rawValue, preset.unit?.rawValue ?? "-", preset.maxNonce.map(String.init) ?? "-",
             "\(preset.rule) (\(preset.source))"]
        }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let padded = zip(row.prefix(4), widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
            try Output.line((padded + [row[4]]).joined(separator: "  "))
        }
    }
}
