import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where nonces take their time from: nanoseconds since the Unix epoch.
///
/// The clock may step backwards (NTP, a VM resuming); the manager never lets that make a
/// nonce go backwards. Inject a ``ManualClock`` in tests to step it on purpose.
public protocol NonceClock: Sendable {
    /// The current time in nanoseconds since 1970-01-01 UTC.
    func now() -> Int64
    /// Blocks the calling thread for `duration` of this clock's time (rate-limit waits).
    func sleep(for duration: Duration)
    /// Suspends the calling task for `duration` of this clock's time.
    func sleep(for duration: Duration) async throws
}

extension NonceClock {
    public func sleep(for duration: Duration) {
        let nanoseconds = max(0, duration.nanoseconds)
        var request = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}

/// The system's real-time clock (`CLOCK_REALTIME`), the one exchanges compare nonces with.
public struct SystemClock: NonceClock {
    public init() {}

    @inline(__always)
    public func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) &* 1_000_000_000 &+ Int64(spec.tv_nsec)
    }
}

/// A clock that moves only when told to: for tests of clock regressions and rate limits.
/// Sleeping on it waits until the test advances it far enough, so a test decides when a
/// rate-limited call proceeds without sleeping itself.
public final class ManualClock: NonceClock {
    private let current: Mutex<Int64>
    private let moved = NSCondition()
    private let sleeping = Atomic<Int>(0)

    /// Starts at `nanoseconds` since the epoch (by default, the real time now).
    public init(nanoseconds: Int64 = SystemClock().now()) {
        current = Mutex(nanoseconds)
    }

    public func now() -> Int64 { current.withLock { $0 } }

    /// Moves the clock by `duration`, which may be negative to step it back.
    public func advance(by duration: Duration) {
        // Under the condition's lock, so a sleeper between its check and its wait cannot
        // miss the move.
        moved.lock()
        current.withLock { $0 += duration.nanoseconds }
        moved.broadcast()
        moved.unlock()
    }

    /// Sets the clock to `nanoseconds` since the epoch.
    public func set(nanoseconds: Int64) {
        moved.lock()
        current.withLock { $0 = nanoseconds }
        moved.broadcast()
        moved.unlock()
    }

    /// How many threads and tasks are sleeping on this clock right now.
    public var sleepers: Int { sleeping.load(ordering: .sequentiallyConsistent) }

    /// Returns once the clock has been advanced by `duration` from now.
    public func sleep(for duration: Duration) {
        let until = now().addingReportingOverflow(duration.nanoseconds).partialValue
        sleeping.add(1, ordering: .sequentiallyConsistent)
        defer { sleeping.subtract(1, ordering: .sequentiallyConsistent) }
        moved.lock()
        defer { moved.unlock() }
        while now() < until { moved.wait() }
    }

    public func sleep(for duration: Duration) async throws {
        let until = now().addingReportingOverflow(duration.nanoseconds).partialValue
        sleeping.add(1, ordering: .sequentiallyConsistent)
        defer { sleeping.subtract(1, ordering: .sequentiallyConsistent) }
        while now() < until { try await Task.sleep(for: .milliseconds(1)) }
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating at the bounds of `Int64`.
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds < 0 ? .min : .max }
        return sum
    }
}
