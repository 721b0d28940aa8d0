import Foundation

/// The hand-off between issuing threads and the background writer: a wake-up flag, a stop
/// flag, and a progress broadcast for callers held back by a full history buffer.
final class WriterSignal: @unchecked Sendable {
    // @unchecked: every stored property is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var wakeRequested = false
    private var stopRequested = false
    private var progress: UInt64 = 0

    /// Asks the writer to run now instead of at its next interval.
    func wake() {
        condition.lock()
        wakeRequested = true
        condition.broadcast()
        condition.unlock()
    }

    /// Asks the writer to write what is left and end.
    func stop() {
        condition.lock()
        stopRequested = true
        condition.broadcast()
        condition.unlock()
    }

    /// Called by the writer: waits for a wake-up, a stop, or `interval`. Returns true when
    /// the writer should end after this round.
    func waitForWork(interval: Duration) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if !wakeRequested && !stopRequested && interval > .zero {
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(interval.wholeNanoseconds) / 1e9))
        }
        wakeRequested = false
        return stopRequested
    }

    /// Called by the writer after each round.
    func announceProgress() {
        condition.lock()
        progress &+= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Called by an issuing thread held back by the history buffer: wakes the writer and
    /// waits for it to finish a round (or a short while, so a missed signal cannot hang).
    func waitForProgress() {
        condition.lock()
        defer { condition.unlock() }
        let seen = progress
        wakeRequested = true
        condition.broadcast()
        let deadline = Date(timeIntervalSinceNow: 0.05)
        while progress == seen && !stopRequested {
            if !condition.wait(until: deadline) { break }
        }
    }
}
