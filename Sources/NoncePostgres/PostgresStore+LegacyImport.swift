#if PostgreSQL  // Without the trait this module is empty and builds no network stack.
package import NonceBackend

extension PostgresStore {
    /// Raises a stream's floor to `floor` (only ever up), with one row per file and an
    /// event, in one durable transaction holding the stream's claim: no process can be
    /// issuing from a lease below the new floor meanwhile.
    package func recordLegacyImport(
        id: String, stream name: String, files: [LegacyFileRecord], floor: Int64?, summary: String
    ) throws -> LegacyImportCommit {
        if let reason = StreamName.problem(with: name) { throw NonceStoreError.invalidStreamName(name, reason: reason) }
        return try session.transaction(durable: true, within: location.maintenanceReplyLimit) { connection in
            let now = WallClock.nanoseconds()
            var record = try createStreamIfMissing(named: name, mode: .exclusive, floor: floor, on: connection)
            if record.mode == .exclusive { try claimForTransaction(record, on: connection) }
            record = try Self.decodeStream(try connection.query(
                "SELECT \(Self.streamColumns) FROM streams WHERE id = $1 FOR UPDATE", [.integer(record.id)])[0])
            let before = record.floor
            let after = max(before, try record.rules.importedFloor(floor, stream: name) ?? 0)
            if after == before, try allRecorded(files, streamID: record.id, on: connection) {
                return LegacyImportCommit(floorBefore: before, floorAfter: before, recorded: false, unit: record.rules.unit)
            }
            for file in files {
                try connection.execute("""
                    INSERT INTO legacy_files (import_id, stream_id, imported_at, path, size, sha256, format, unit, raw_value,
                                              normalized, accepted, reason)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                    """, [
                        .text(id), .integer(record.id), .integer(now), .text(file.path), .integer(file.size), .text(file.sha256),
                        .text(file.format), .text(file.unit), .text(file.rawValue), .integer(file.normalized),
                        .integer(file.accepted ? 1 : 0), .text(file.reason),
                    ])
            }
            try connection.execute("UPDATE streams SET high_water_mark = greatest(high_water_mark, $1), updated_at = $2 WHERE id = $3",
                                   [.integer(after), .integer(now), .integer(record.id)])
            let change = after > before ? "floor raised from \(before) to \(after)" : "floor unchanged at \(before)"
            try insertEvent(streamID: record.id, at: now, kind: .`import`, detail: "\(summary); \(change)", floor: after, on: connection)
            return LegacyImportCommit(floorBefore: before, floorAfter: after, recorded: true, unit: record.rules.unit)
        }
    }

    package func wasImported(_ files: [LegacyFileRecord], stream name: String) throws -> Bool {
        guard let record = try stream(named: name) else { return files.isEmpty }
        return try session.transaction(durable: false, within: location.maintenanceReplyLimit) { try allRecorded(files, streamID: record.id, on: $0) }
    }

    private func allRecorded(_ files: [LegacyFileRecord], streamID: Int64, on connection: PostgresTransaction) throws -> Bool {
        for file in files {
            let found = try connection.query("""
                SELECT 1 FROM legacy_files WHERE stream_id = $1 AND path = $2 AND sha256 IS NOT DISTINCT FROM $3
                  AND raw_value IS NOT DISTINCT FROM $4 AND accepted = $5 LIMIT 1
                """, [.integer(streamID), .text(file.path), .text(file.sha256), .text(file.rawValue), .integer(file.accepted ? 1 : 0)])
            if found.isEmpty { return false }
        }
        return true
    }
}
#endif
