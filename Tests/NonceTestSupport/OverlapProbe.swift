import Synchronization

/// Counts how often a critical section was entered while someone else was inside it.
public final class OverlapProbe: Sendable {
    private let inside = Atomic<Int>(0)
    private let overlapCount = Atomic<Int>(0)

    public init() {}

    public func enter() {
        if inside.add(1, ordering: .sequentiallyConsistent).newValue != 1 {
            overlapCount.add(1, ordering: .relaxed)
        }
    }

    public func leave() {
        inside.subtract(1, ordering: .sequentiallyConsistent)
    }

    /// Entries that found the section occupied.
    public var overlaps: Int { overlapCount.load(ordering: .sequentiallyConsistent) }
}
