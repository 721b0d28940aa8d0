#if PostgreSQL  // Without the trait this module is empty and builds no network stack.
import Dispatch
import NIOCore
import NonceBackend
import Synchronization

/// Waits for postgres-nio's futures with a bound. A future of a request sent on a
/// connection that is already lost (a server restarted with `-m immediate`, a backend
/// killed) may never complete; an unbounded `wait()` then hangs the holder for good, with
/// its issuing threads behind it. Every wait on the server goes through here instead, so a
/// server that stops answering becomes an error within a known time.
enum ReplyWait {
    /// No reply came: within the bound, or before the connection closed. The connection
    /// must be treated as lost (what it was doing is unknown, so it is never reused).
    struct NoReply: Error {
        let waited: Duration
        /// The connection closed while the request waited (the server ended the session):
        /// postgres-nio may never fail a request sent on a connection that is closing.
        let closed: Bool
    }

    /// How often a wait checks whether its connection has closed meanwhile.
    static let closedCheckInterval = Duration.milliseconds(50)

    /// The value of `future`, or ``NoReply`` once `limit` has passed without one or
    /// `isClosed` says the connection it waits on has closed.
    static func value<T: Sendable>(of future: EventLoopFuture<T>, within limit: Duration, isClosed: () -> Bool = { false }) throws -> T {
        let outcome = Outcome<T>()
        future.whenComplete { outcome.set($0) }
        let start = ContinuousClock.now
        while true {
            let left = limit - (ContinuousClock.now - start)
            guard left > .zero else { throw NoReply(waited: limit, closed: false) }
            let slice = min(left, closedCheckInterval)
            if outcome.done.wait(timeout: .now() + .nanoseconds(Int(clamping: slice.wholeNanoseconds))) == .success { break }
            // A reply that came with the close is taken first: only a missing one fails.
            if isClosed() {
                if outcome.done.wait(timeout: .now()) == .success { break }
                throw NoReply(waited: ContinuousClock.now - start, closed: true)
            }
        }
        return try outcome.result.withLock { $0! }.get()
    }

    /// Where the event loop leaves the result for the waiting thread.
    private final class Outcome<T: Sendable>: Sendable {
        let result = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)

        func set(_ value: Result<T, any Error>) {
            result.withLock { $0 = value }
            done.signal()
        }
    }
}
#endif
