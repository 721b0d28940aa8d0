import CSQLite
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NonceBackend

/// How a connection waits for another connection's write lock.
///
/// SQLite's own busy handler (`sqlite3_busy_timeout`) sleeps in growing steps, up to
/// 100 ms. Under steady contention that is unfair in the worst way: a connection that has
/// waited long samples the lock once every 100 ms, while one that just committed retries
/// within a millisecond and wins again, so a long waiter can lose every round for its whole
/// timeout while everyone else makes progress. This handler retries at one short, jittered
/// interval however long it has waited, so every waiter has the same chance at each
/// release, and it gives up only when the whole wait, measured on the monotonic clock,
/// passed without a turn.
///
/// Related SQLite documentation: <https://sqlite.org/c3ref/busy_handler.html>
final class BusyWait {
    /// The longest one lock attempt may wait, in nanoseconds.
    let limit: Int64
    private var startedAt: Int64 = 0
    /// When set, the end of the current write's whole wait (monotonic nanoseconds): the
    /// time already spent waiting for the write turn counts against it.
    private var deadline: Int64?

    init(limit: Duration) {
        self.limit = max(0, limit.wholeNanoseconds)
    }

    /// SQLite calls this with `attempt` 0 for the first failure of a lock attempt.
    /// Returns false to give up (the statement then fails with `SQLITE_BUSY`).
    func retry(attempt: Int32) -> Bool {
        let now = Self.monotonicNanoseconds()
        if attempt == 0 { startedAt = now }
        guard now < deadline ?? startedAt.addingClamped(limit) else { return false }
        // Short enough to be there soon after the lock frees, jittered so that waiters do
        // not poll in lockstep. This package's own writers rarely get here: they queue for
        // the write turn (``WriteTurn``) first; other clients of the SQL contract do not.
        usleep(UInt32.random(in: 100...1_000))
        return true
    }

    /// Bounds every wait until ``endWrite()`` by `remaining` from now.
    func beginWrite(remaining: Duration) {
        deadline = Self.monotonicNanoseconds().addingClamped(max(0, remaining.wholeNanoseconds))
    }

    func endWrite() { deadline = nil }

    static func monotonicNanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}

extension Connection {
    /// Waits up to `wait` for other connections' locks, retrying at a short flat interval
    /// (see ``BusyWait``) instead of SQLite's growing backoff.
    package func setBusyWait(_ wait: Duration) {
        let state = BusyWait(limit: wait)
        busyWait = state
        sqlite3_busy_handler(handle, { context, attempt in
            guard let context else { return 0 }
            return Unmanaged<BusyWait>.fromOpaque(context).takeUnretainedValue().retry(attempt: attempt) ? 1 : 0
        }, Unmanaged.passUnretained(state).toOpaque())
    }
}
