import CSQLite

extension Connection {
    /// Runs `body` with the connection's triggers off, and turns them on again however it ends.
    ///
    /// For a writer that does a trigger's work itself, in bulk: the history writer adds a
    /// whole batch to `history_seconds` with a few upserts, where `history_seconds_count`
    /// would run one per row and halve its speed. Other connections, and this one afterwards,
    /// keep every trigger. Each switch expires the connection's prepared statements, which
    /// SQLite prepares again on their next step (tens of microseconds each), so this pays
    /// off for batches, not for single rows.
    ///
    /// Related SQLite documentation: <https://sqlite.org/c3ref/c_dbconfig_defensive.html#sqlitedbconfigenabletrigger>
    /// A failure to turn them on again is thrown, never swallowed: a connection left without
    /// triggers would skip the SQL contract's checks on every later statement.
    package func withTriggersOff<T>(_ body: () throws -> T) throws -> T {
        try setTriggers(enabled: false)
        let result: T
        do {
            result = try body()
        } catch {
            try setTriggers(enabled: true)
            throw error
        }
        try setTriggers(enabled: true)
        return result
    }

    private func setTriggers(enabled: Bool) throws(DatabaseError) {
        let code = noncestore_enable_triggers(handle, enabled ? 1 : 0)
        guard code == SQLITE_OK else { throw DatabaseError(code: code, handle: handle) }
    }
}
