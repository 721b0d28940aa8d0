import Foundation
public import NonceKit

extension LegacyImportPlan {
    /// Writes the import into the database at `path` (a SQLite file, or a PostgreSQL URI), creating it (and the stream) when
    /// missing: raises the stream's floor to ``floor`` (it only ever rises) and records every
    /// file and an `import` event, in one durable transaction. An exclusive stream is claimed
    /// for that transaction, so the import is refused while a process issues from it.
    ///
    /// - Parameters:
    ///   - path: the database file.
    ///   - wait: how long to wait for a turn at the database's write lock.
    /// - Throws: `NonceStoreError` with code `.importRejected` when a file holds a suspect value, before
    ///   the database is touched (or created); `NonceStoreError` when the stream is held by a
    ///   running process or the write fails. Nothing is written in either case.
    public func apply(toDatabaseAt path: String, wait: Duration = .seconds(10)) throws(NonceStoreError) -> LegacyImportReport {
        try checkAccepted()
        return try apply(to: NonceDatabase(path, wait: wait))
    }

    /// What ``apply(toDatabaseAt:wait:)`` would do, writing nothing and creating nothing.
    public func preview(databaseAt path: String, wait: Duration = .seconds(10)) throws(NonceStoreError) -> LegacyImportReport {
        try preview(against: NonceDatabase.existing(path, wait: wait))
    }

    /// Writes the import into a database already open (see ``apply(toDatabaseAt:wait:)``).
    public func apply(to database: NonceDatabase) throws(NonceStoreError) -> LegacyImportReport {
        try NonceStoreError.only(.writeFailed, database: database.location) { try apply(to: database.store) }
    }

    /// What ``apply(to:)-(NonceDatabase)`` would do, writing nothing; `database` is nil when
    /// there is none yet (`NonceDatabase.existing(_:wait:)`): the floor before is then 0.
    public func preview(against database: NonceDatabase?) throws(NonceStoreError) -> LegacyImportReport {
        try NonceStoreError.only(.readFailed, database: database?.location ?? "") { try preview(against: database?.store) }
    }

    /// Writes the import through an open store (see ``apply(toDatabaseAt:wait:)``).
    ///
    /// - Throws: `NonceStoreError` with code `.importRejected` when a file holds a suspect value, before
    ///   the store is touched; `NonceStoreError` when the stream is held by a running process
    ///   or the write fails. Nothing is written in either case.
    package func apply(to store: any NonceBackend) throws -> LegacyImportReport {
        try checkAccepted()
        let id = UUID().uuidString.lowercased()
        let commit = try store.recordLegacyImport(
            id: id, stream: options.stream, files: files.map(\.record), floor: floor.map(Int64.init), summary: summary(id: id))
        let outcome: LegacyImportReport.Outcome = commit.floorAfter > commit.floorBefore ? .raised
            : commit.recorded ? .unchanged : .alreadyImported
        var result = report(dryRun: false, outcome: outcome)
        result.importID = commit.recorded ? id : nil
        result.floorBefore = UInt64(commit.floorBefore)
        result.floorAfter = UInt64(commit.floorAfter)
        result.unit = commit.unit
        return result
    }

    /// Throws `NonceStoreError` with code `.importRejected` when a file holds a suspect value: what
    /// ``apply(toDatabaseAt:wait:)`` checks first. Call it before opening (and so creating) a database.
    public func checkAccepted() throws(NonceStoreError) {
        guard rejected.isEmpty else { throw .rejected(report(dryRun: false, outcome: .rejected)) }
    }

    /// What an import would do, writing nothing. `store` is nil when the database does
    /// not exist yet (the floor before is then 0).
    package func preview(against store: (any NonceBackend)?) throws -> LegacyImportReport {
        guard rejected.isEmpty else { return report(dryRun: true, outcome: .rejected) }
        let record = try store?.stream(named: options.stream)
        let before = record?.floor ?? 0
        let rules = record?.rules ?? .nanoseconds
        let converted = try rules.importedFloor(floor.map(Int64.init), stream: options.stream)
        let seen = try store?.wasImported(files.map(\.record), stream: options.stream) ?? false
        let outcome: LegacyImportReport.Outcome = (converted ?? 0) > before ? .raised : seen ? .alreadyImported : .unchanged
        var result = report(dryRun: true, outcome: outcome)
        result.floorBefore = UInt64(before)
        result.floorAfter = UInt64(max(before, converted ?? 0))
        result.unit = rules.unit
        return result
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
            rawValue: rawValues.isEmpty ? nil : rawValues.joined(separator: "\n"), normalized: normalized.map(Int64.init),
            accepted: status == .counted, reason: reason)
    }
}
