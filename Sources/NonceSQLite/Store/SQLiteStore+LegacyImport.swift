package import NonceBackend
extension SQLiteStore {
    /// Records a legacy import and raises `stream`'s floor to `floor`, in one durable
    /// `BEGIN IMMEDIATE` transaction: the stream (when new), the `legacy_files` rows, the
    /// new high-water mark and an `import` event land together or not at all.
    ///
    /// The floor only ever rises (the SQL takes the maximum). When every file was recorded
    /// before with the same checksum and outcome, and `floor` would not raise the floor,
    /// nothing is written and the result says so. An exclusive stream is claimed for the
    /// length of the transaction, so no process can be issuing from a lease below the new
    /// floor; a missing stream is created exclusive.
    ///
    /// - Parameters:
    ///   - id: names this import in `legacy_imports.import_id`.
    ///   - files: every file examined, counted or not.
    ///   - floor: the largest accepted value in nanoseconds, or nil when none counted.
    ///   - summary: the event's text, for people; the floor's change is appended.
    /// - Throws: ``NonceStoreError/streamHeld(stream:holderPID:database:)`` while a process
    ///   holds the exclusive stream, ``NonceStoreError/writeFailed(path:reason:)`` when the
    ///   write fails (a full disk); nothing is written then.
    package func recordLegacyImport(
        id: String, stream name: String, files: [LegacyFileRecord], floor: Int64?, summary: String
    ) throws -> LegacyImportCommit {
        try Self.validate(streamName: name)
        return try write(durable: true) { connection, held in
            try recordLegacyImport(on: connection, held: held, id: id, stream: name, files: files, floor: floor, summary: summary)
        }
    }

    private func recordLegacyImport(
        on connection: Connection, held: ClaimsHeldUntilCommit, id: String, stream name: String, files: [LegacyFileRecord], floor: Int64?,
        summary: String
    ) throws -> LegacyImportCommit {
        // Created inside this transaction, so a failed import leaves no stream behind.
        let now = WallClock.nanoseconds()
        let record = try Self.createStreamIfMissing(named: name, mode: .exclusive, floor: floor, path: path, on: connection)
        // Held past the commit: no process can be issuing from a lease below the new floor.
        // The lock is not SQLite's, and the attempt does not wait, so taking it inside the
        // transaction cannot deadlock.
        if record.mode == .exclusive { try held.claim(record) }

        let before = record.floor
        let after = max(before, try record.rules.importedFloor(floor, stream: name) ?? 0)
        if after == before, try Self.allRecorded(files, streamID: record.id, on: connection) {
            return LegacyImportCommit(floorBefore: before, floorAfter: before, recorded: false, unit: record.rules.unit)
        }
        let insert = try connection.cachedStatement("""
            INSERT INTO legacy_files (import_id, stream_id, imported_at, path, size, sha256, format, unit,
                                      raw_value, normalized, accepted, reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for file in files {
            try insert.execute([
                .text(id), .integer(record.id), .integer(now), .text(file.path),
                file.size.map { .integer($0) } ?? .null, file.sha256.map { .text($0) } ?? .null,
                .text(file.format), file.unit.map { .text($0) } ?? .null,
                file.rawValue.map { .text($0) } ?? .null, file.normalized.map { .integer($0) } ?? .null,
                .integer(file.accepted ? 1 : 0), .text(file.reason),
            ])
        }
        try connection.cachedStatement("UPDATE streams SET high_water_mark = max(high_water_mark, ?), updated_at = ? WHERE id = ?")
            .execute([.integer(after), .integer(now), .integer(record.id)])
        let change = after > before ? "floor raised from \(before) to \(after)" : "floor unchanged at \(before)"
        try connection.cachedStatement("INSERT INTO events (stream_id, at, kind, detail, floor) VALUES (?, ?, ?, ?, ?)")
            .execute([.integer(record.id), .integer(now), .text(EventKind.`import`.rawValue), .text("\(summary); \(change)"),
                      after > 0 ? .integer(after) : .null])
        return LegacyImportCommit(floorBefore: before, floorAfter: after, recorded: true, unit: record.rules.unit)
    }

    /// True when an earlier import of `stream` recorded every one of `files` with the same
    /// checksum and outcome: importing them again would add nothing. A dry run asks this.
    package func wasImported(_ files: [LegacyFileRecord], stream name: String) throws -> Bool {
        guard let record = try stream(named: name) else { return files.isEmpty }
        return try withConnection { connection in
            try Self.allRecorded(files, streamID: record.id, on: connection)
        }
    }

    private static func allRecorded(_ files: [LegacyFileRecord], streamID: Int64, on connection: Connection) throws -> Bool {
        let lookup = try connection.cachedStatement("""
            SELECT 1 FROM legacy_files
            WHERE stream_id = ? AND path = ? AND sha256 IS ? AND raw_value IS ? AND accepted = ? LIMIT 1
            """)
        for file in files {
            let found = try lookup.rows([
                .integer(streamID), .text(file.path), file.sha256.map { .text($0) } ?? .null,
                file.rawValue.map { .text($0) } ?? .null, .integer(file.accepted ? 1 : 0),
            ]) { _ in true }
            if found.isEmpty { return false }
        }
        return true
    }
}
