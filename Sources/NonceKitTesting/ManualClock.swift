import Foundation
public import NonceKit
import Synchronization

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
        current.withLock { $0 += duration.wholeNanoseconds }
        moved.broadcast()
        moved.unlock()
    }

    /// How many threads and tasks are sleeping on this clock right now.
    public var sleepers: Int { sleeping.load(ordering: .sequentiallyConsistent) }

    /// Returns once the clock has been advanced by `duration` from now.
    public func sleep(for duration: Duration) {
        let until = now().addingReportingOverflow(duration.wholeNanoseconds).partialValue
        sleeping.add(1, ordering: .sequentiallyConsistent)
        defer { sleeping.subtract(1, ordering: .sequentiallyConsistent) }
        moved.lock()
        defer { moved.unlock() }
        while now() < until { moved.wait() }
    }

    public func sleep(for duration: Duration) async throws {
        let until = now().addingReportingOverflow(duration.wholeNanoseconds).partialValue
        sleeping.add(1, ordering: .sequentiallyConsistent)
        defer { sleeping.subtract(1, ordering: .sequentiallyConsistent) }
        while now() < until { try await Task.sleep(for: .milliseconds(1)) }
    }
}
