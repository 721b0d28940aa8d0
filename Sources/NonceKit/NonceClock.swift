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
/// nonce go backwards. Tests inject `ManualClock` (module `NonceKitTesting`) to step it on purpose.
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
        let nanoseconds = max(0, duration.wholeNanoseconds)
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
