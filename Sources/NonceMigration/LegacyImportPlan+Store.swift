import Foundation
public import NonceStore

extension LegacyImportPlan {
    /// Writes the import: raises the stream's floor to ``floor`` and records every file and
    /// an `import` event, all in one durable transaction (see
    /// ``NonceStore/recordLegacyImport(id:stream:files:floor:summary:)``).
    ///
    /// - Throws: ``LegacyImportError/rejected(_:)`` when a file holds a suspect value, before
    ///   the store is touched; ``StoreError`` when the stream is held by a running process
    ///   or the write fails. Nothing is written in either case.
    public func apply(to store: NonceStore) throws -> LegacyImportReport {
        try checkAccepted()
        let id = UUID().uuidString.lowercased()
        let commit = try store.recordLegacyImport(
            id: id, stream: options.stream, files: files.map(\.record), floor: floor, summary: summary(id: id))
        var result = report(dryRun: false, outcome: outcome(before: commit.floorBefore, alreadyImported: !commit.recorded))
        result.importID = commit.recorded ? id : nil
        result.floorBefore = commit.floorBefore
        result.floorAfter = commit.floorAfter
        return result
    }

    /// Throws ``LegacyImportError/rejected(_:)`` when a file holds a suspect value: what
    /// ``apply(to:)`` checks first. Call it before opening (and so creating) a database.
    public func checkAccepted() throws(LegacyImportError) {
        guard rejected.isEmpty else { throw .rejected(report(dryRun: false, outcome: .rejected)) }
    }

    /// What ``apply(to:)`` would do, writing nothing. `store` is nil when the database does
    /// not exist yet (the floor before is then 0).
    public func preview(against store: NonceStore?) throws -> LegacyImportReport {
        guard rejected.isEmpty else { return report(dryRun: true, outcome: .rejected) }
        let before = try store?.stream(named: options.stream)?.floor ?? 0
        let seen = try store?.wasImported(files.map(\.record), stream: options.stream) ?? false
        var result = report(dryRun: true, outcome: outcome(before: before, alreadyImported: seen))
        result.floorBefore = before
        result.floorAfter = max(before, floor ?? 0)
        return result
    }

    private func outcome(before: Int64, alreadyImported: Bool) -> LegacyImportReport.Outcome {
        if let floor, floor > before { return .raised }
        return alreadyImported ? .alreadyImported : .unchanged
    }

    private func report(dryRun: Bool, outcome: LegacyImportReport.Outcome) -> LegacyImportReport {
        LegacyImportReport(
            importID: nil, stream: options.stream, dryRun: dryRun, outcome: outcome, files: files,
            floorBefore: nil, floorAfter: nil, floorSource: source?.path, judgedAt: judgedAt,
            maxLeadNanoseconds: options.maxLead.wholeNanoseconds)
    }

    private func summary(id: String) -> String {
        let counted = files.filter { $0.status == .counted }.count
        let skipped = files.filter { $0.status == .skipped }.count
        var text = "legacy import \(id): \(files.count) file(s) examined, \(counted) counted"
        if skipped > 0 { text += ", \(skipped) skipped" }
        if let source { text += "; largest \(source.normalized ?? 0) from \(source.path)" }
        return text
    }
}

extension LegacyFileReport {
    /// The row recorded in `legacy_imports`.
    var record: LegacyFileRecord {
        LegacyFileRecord(
            path: path, size: size, sha256: sha256, format: format, unit: unit?.rawValue,
            rawValue: rawValues.isEmpty ? nil : rawValues.joined(separator: "\n"), normalized: normalized,
            accepted: status == .counted, reason: reason)
    }
}
