import NonceMigration

extension LegacyImportReport {
    /// The report for people: one block per file that carries (or should carry) a nonce,
    /// then the ignored names, then the floor.
    func text(database: String) -> String {
        var lines = ["legacy import into stream '\(stream)' of \(database)\(dryRun ? " (dry run: nothing written)" : "")"]
        let unrecognized = files.filter { $0.format == "unrecognized" }
        for file in files where file.format != "unrecognized" {
            lines.append("  \(file.status.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(file.path)")
            var facts = [file.format]
            if !file.rawValues.isEmpty { facts.append("raw \(file.rawValues.joined(separator: " "))") }
            if let unit = file.unit, let normalized = file.normalized { facts.append("read as \(unit.legacySymbol) = \(normalized) ns") }
            lines.append("           \(facts.joined(separator: "; ")); \(file.reason)")
        }
        if !unrecognized.isEmpty {
            lines.append("  ignored (names match no legacy nonce file): "
                + unrecognized.map { $0.path.split(separator: "/").last.map(String.init) ?? $0.path }.joined(separator: ", "))
        }
        lines.append(floorLine)
        if let importID { lines.append("recorded as import \(importID) (see the legacy_imports view)") }
        return lines.joined(separator: "\n")
    }

    private var floorLine: String {
        let before = floorBefore.map(String.init) ?? "?"
        let after = floorAfter.map(String.init) ?? "?"
        let from = (floorSource.map { " from \($0)" } ?? "")
            + (unit.map { $0 == .nanoseconds ? "" : " (in \($0.rawValue): the values' nanoseconds rounded up)" } ?? "")
        switch outcome {
        case .raised:
            return dryRun ? "floor would rise: \(before) -> \(after)\(from)" : "floor raised: \(before) -> \(after)\(from)"
        case .unchanged:
            return "floor stays \(before): the stream is already above every value that counts"
        case .alreadyImported:
            return "nothing to do: these files were imported before, and the floor stays \(before)"
        case .rejected:
            return "stopped: nothing written"
        }
    }
}
