import Dispatch

/// Runs work that may wait (a disk flush, a turn at another process's write lock, a claim)
/// off Swift's cooperative thread pool, so the async APIs suspend their task instead of
/// tying up one of the pool's few threads: with every pool thread waiting for the disk, no
/// other task of the program would run.
///
/// Each call gets its own serial queue. Serial queues run on libdispatch's overcommitting
/// root queue, which starts another thread when its threads are blocked; a concurrent
/// queue would run on the same width-limited root queue the cooperative pool uses on Linux
/// (measured: 64 waiting tasks then starved every other task, `AsyncIssuingTests`).
enum BlockingWork {
    /// Runs `work` on a thread of its own and resumes with its result.
    static func run<T: Sendable, Failure: Error>(
        _ work: @escaping @Sendable () throws(Failure) -> T
    ) async throws(Failure) -> T {
        let result: Result<T, Failure> = await withCheckedContinuation { continuation in
            DispatchQueue(label: "NonceStore.blocking-work").async {
                do throws(Failure) {
                    continuation.resume(returning: .success(try work()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}
