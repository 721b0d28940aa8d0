import NonceBackend
/// How a transaction takes its locks.
///
/// Related SQLite documentation: <https://sqlite.org/lang_transaction.html>
package enum TransactionKind: Sendable {
    /// Takes the write lock at once. Every read-modify-write uses this: a deferred
    /// transaction that reads and then writes can fail with `SQLITE_BUSY` without
    /// waiting for the busy timeout.
    case immediate
    /// Takes locks as statements need them; for read-only work.
    case deferred
}

extension Connection {
    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    ///
    /// - Parameter durable: when true the commit syncs the write-ahead log to disk
    ///   (`synchronous=FULL`), so the change survives a power loss, not only a process crash.
    package func transaction<T>(
        _ kind: TransactionKind = .immediate,
        durable: Bool = false,
        _ body: () throws -> T
    ) throws -> T {
        if durable { try cachedStatement("PRAGMA synchronous = FULL").execute() }
        defer {
            if durable { try? cachedStatement("PRAGMA synchronous = NORMAL").execute() }
        }
        switch kind {
        case .immediate: try cachedStatement("BEGIN IMMEDIATE").execute()
        case .deferred: try cachedStatement("BEGIN DEFERRED").execute()
        }
        do {
            let result = try body()
            try cachedStatement("COMMIT").execute()
            return result
        } catch {
            // A failed COMMIT may already have rolled back; only roll back what is open.
            if isInTransaction { try? cachedStatement("ROLLBACK").execute() }
            throw error
        }
    }
}
