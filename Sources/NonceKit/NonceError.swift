package import NonceBackend

/// The errors of issuing: each names the stream (and database) at fault, and none leaves a
/// nonce issued that could not be made durable.
extension NonceStoreError {
    package static func markNotDurable(stream: String, database: String, doing: String? = nil, cause: any Error) -> Self {
        Self(.markNotDurable, "stream '\(stream)' in '\(database)': could not make the high-water mark durable"
            + (doing.map { " (\($0))" } ?? "") + ", so no nonce was issued", stream: stream, database: database,
            cause: cause)
    }

    package static func issueFailed(stream: String, database: String, cause: any Error) -> Self {
        Self(.issueFailed, "stream '\(stream)' in '\(database)': could not commit the nonce, so none was issued",
             stream: stream, database: database, cause: cause)
    }

    package static func rateCounterFailed(stream: String, database: String, cause: any Error) -> Self {
        Self(.rateCounterFailed, "stream '\(stream)' in '\(database)': the rate counter failed, so no nonce was issued",
             stream: stream, database: database, cause: cause)
    }

    package static func historyWriteFailed(stream: String, database: String, cause: any Error) -> Self {
        Self(.historyWriteFailed, "stream '\(stream)' in '\(database)': writing the nonce history failed, issuing stopped",
             stream: stream, database: database, cause: cause)
    }

    package static func exhausted(stream: String, detail: String, ceiling: Int64 = .max) -> Self {
        Self(.exhausted, "stream '\(stream)': \(detail) would pass "
            + (ceiling == .max ? "2^63-1, the largest nonce this store issues"
                : "the stream's ceiling \(ceiling) (its max_nonce): no larger nonce may be sent; a new API key and a new stream are the way on"),
             stream: stream)
    }

    package static func apiLockTimedOut(stream: String, timeout: Duration) -> Self {
        Self(.apiLockTimedOut, "stream '\(stream)': the API lock was not free within \(timeout)", stream: stream)
    }

    package static func closed(stream: String) -> Self {
        Self(.closed, "stream '\(stream)': the nonce manager is closed", stream: stream)
    }

    package static func invalidArgument(_ text: String) -> Self {
        Self(.invalidArgument, text)
    }

    package static func apiLockHeldByParentTask(stream: String) -> Self {
        Self(.apiLockHeldByParentTask, "stream '\(stream)': withAPILock called from a child task while its parent holds "
            + "the API lock; take nonces in the parent's body, or use next() in the child", stream: stream)
    }
}
