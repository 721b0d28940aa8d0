extension NonceStore {
    /// Runs `body` in one `BEGIN IMMEDIATE` transaction (synced when `durable`) and reports
    /// an SQLite failure as ``StoreError/writeFailed(path:reason:)``: the transaction was
    /// rolled back, nothing of it is in the file.
    ///
    /// - Parameter refine: turns a failure the caller knows better (a trigger's refusal)
    ///   into its own error; nil falls back to `writeFailed`.
    func write<T>(
        durable: Bool, refine: (DatabaseError) -> StoreError? = { _ in nil }, _ body: (Connection) throws -> T
    ) throws -> T {
        do {
            return try withConnection { connection in
                try connection.transaction(.immediate, durable: durable) { try body(connection) }
            }
        } catch let error as DatabaseError {
            throw refine(error) ?? StoreError.writeFailed(path: path, reason: Self.explain(error))
        }
    }
}
