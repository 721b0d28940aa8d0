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
public final class ManualClock: NonceClock {
    private let current: Mutex<Int64>

    /// Starts at `nanoseconds` since the epoch (by default, the real time now).
    public init(nanoseconds: Int64 = SystemClock().now()) {
        current = Mutex(nanoseconds)
    }

    public func now() -> Int64 { current.withLock { $0 } }

    /// Moves the clock by `duration`, which may be negative to step it back.
    public func advance(by duration: Duration) {
        current.withLock { $0 += duration.nanoseconds }
    }

    /// Sets the clock to `nanoseconds` since the epoch.
    public func set(nanoseconds: Int64) {
        current.withLock { $0 = nanoseconds }
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
