import NonceBackend

/// A batch of history rows counted per second and label, as the schema's
/// `history_seconds_count` trigger counts them one row at a time (migration 0010): the
/// batched writer adds a whole batch with one upsert per second and label instead.
struct HistorySeconds {
    private struct Key: Hashable {
        var second: Int64
        var label: String
    }

    private struct Counts {
        var issued: Int64
        var maxNonce: Int64
        var maxIssuedAt: Int64
    }

    /// The characters of a label the rollup keeps, as the trigger's `substr(label, 1, 200)`.
    static let labelCharacters = 200

    private var counts: [Key: Counts] = [:]
    /// The run being counted: a batch is in issue order, so most rows continue it and cost
    /// no hashing. Its raw label is kept to compare rows against.
    private var runKey: Key?
    private var runLabel: String?
    private var runCounts = Counts(issued: 0, maxNonce: 0, maxIssuedAt: 0)

    mutating func count(_ row: HistoryRow) {
        // Truncating division, as SQLite's integer `/`.
        let second = row.issuedAt / 1_000_000_000
        if runKey?.second == second, runLabel == row.label {
            runCounts.issued += 1
            runCounts.maxNonce = max(runCounts.maxNonce, row.nonce)
            runCounts.maxIssuedAt = max(runCounts.maxIssuedAt, row.issuedAt)
            return
        }
        endRun()
        runKey = Key(second: second, label: Self.rollupLabel(row.label))
        runLabel = row.label
        runCounts = Counts(issued: 1, maxNonce: row.nonce, maxIssuedAt: row.issuedAt)
    }

    private mutating func endRun() {
        guard let key = runKey else { return }
        runKey = nil
        let value = runCounts
        guard let earlier = counts[key] else {
            counts[key] = value
            return
        }
        counts[key] = Counts(issued: earlier.issued + value.issued, maxNonce: max(earlier.maxNonce, value.maxNonce),
                             maxIssuedAt: max(earlier.maxIssuedAt, value.maxIssuedAt))
    }

    /// Adds the counts to `history_seconds`, inside the caller's transaction.
    mutating func write(streamID: Int64, pid: Int64, on connection: Connection) throws {
        endRun()
        guard !counts.isEmpty else { return }
        let upsert = try connection.cachedStatement("""
            INSERT INTO history_seconds (stream_id, second, pid, label, issued, max_nonce, max_issued_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            ON CONFLICT (stream_id, second, pid, label) DO UPDATE
               SET issued        = issued + excluded.issued,
                   max_nonce     = max(max_nonce, excluded.max_nonce),
                   max_issued_at = max(max_issued_at, excluded.max_issued_at)
            """)
        for (key, value) in counts {
            try upsert.execute([.integer(streamID), .integer(key.second), .integer(pid), .text(key.label),
                                .integer(value.issued), .integer(value.maxNonce), .integer(value.maxIssuedAt)])
        }
    }

    /// The label as the rollup keys it: '' for none, else its first 200 characters (Unicode
    /// scalars, as SQLite's `substr` counts them).
    static func rollupLabel(_ label: String?) -> String {
        guard let label else { return "" }
        guard label.utf8.count > labelCharacters else { return label }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: label.unicodeScalars.prefix(labelCharacters))
        return String(scalars)
    }
}
