/// Why the manager refused to hand out a nonce or to do what was asked.
///
/// Each case names the stream (and the process or file) at fault, and none of them leaves a
/// nonce issued that the store could not make durable.
public enum NonceError: Error, Sendable, CustomStringConvertible {
    /// The high-water mark could not be committed durably, so no nonce above the old mark was
    /// issued.
    case markNotDurable(stream: String, database: String, reason: String)
    /// A shared stream's nonce could not be committed, so none was issued.
    case issueFailed(stream: String, database: String, reason: String)
    /// The rate counter in the database could not be read or written, so the call did not
    /// proceed.
    case rateCounterFailed(stream: String, database: String, reason: String)
    /// The history writer failed; issuing stops so that the history stays complete.
    case historyWriteFailed(stream: String, database: String, reason: String)
    /// The next nonce, mark or jump would pass 2^63-1.
    case exhausted(stream: String, detail: String)
    /// `withAPILock` waited longer than its timeout.
    case apiLockTimedOut(stream: String, timeout: Duration)
    /// The manager was closed.
    case closed(stream: String)
    /// An argument outside what the call accepts; the text says which and why.
    case invalidArgument(String)
    /// `withAPILock` was called from a child task while its parent holds the lock: running
    /// it would let two requests overlap, waiting would deadlock.
    case apiLockHeldByParentTask(stream: String)

    public var description: String {
        switch self {
        case .markNotDurable(let stream, let database, let reason):
            "stream '\(stream)' in '\(database)': could not make the high-water mark durable, "
                + "so no nonce was issued: \(reason)"
        case .issueFailed(let stream, let database, let reason):
            "stream '\(stream)' in '\(database)': could not commit the nonce, so none was issued: \(reason)"
        case .rateCounterFailed(let stream, let database, let reason):
            "stream '\(stream)' in '\(database)': the rate counter failed, so no nonce was issued: \(reason)"
        case .historyWriteFailed(let stream, let database, let reason):
            "stream '\(stream)' in '\(database)': writing the nonce history failed, issuing stopped: \(reason)"
        case .exhausted(let stream, let detail):
            "stream '\(stream)': \(detail) would pass 2^63-1, the largest nonce this store issues"
        case .apiLockTimedOut(let stream, let timeout):
            "stream '\(stream)': the API lock was not free within \(timeout)"
        case .closed(let stream):
            "stream '\(stream)': the nonce manager is closed"
        case .invalidArgument(let text):
            text
        case .apiLockHeldByParentTask(let stream):
            "stream '\(stream)': withAPILock called from a child task while its parent holds the API lock; "
                + "take nonces in the parent's body, or use next() in the child"
        }
    }
}
