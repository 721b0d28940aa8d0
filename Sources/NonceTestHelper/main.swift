// A child process for the crash and cross-process tests. Not a product.
//
//   NonceTestHelper issue DB STREAM LEASE_NS HISTORY JUMP_EVERY FROZEN_CLOCK_NS
//       Issues nonces for ever, writing each one as a line straight to stdout (no buffer),
//       so whatever the parent has read was really handed out before a kill.
//       Every JUMP_EVERY nonces (if > 0) it jumps 1 ms forward first. FROZEN_CLOCK_NS > 0
//       stops the clock at that time: nonces then run ahead of it (last + 1), so only the
//       durable mark, not the passing of time, keeps a restart above them.
//   NonceTestHelper hold DB STREAM
//       Claims the stream, prints "ready PID", and sleeps until killed.
//   NonceTestHelper apilock DB STREAM ROUNDS HOLD_US
//       On a shared stream: ROUNDS times, takes the API lock, and prints
//       "START_NS END_NS NONCE" (CLOCK_MONOTONIC, system-wide) for a body that holds it
//       HOLD_US microseconds. The parent checks that no two bodies overlap.
//   NonceTestHelper readhold DB STREAM
//       Opens a read transaction on DB (a snapshot, like an open sqlite3 shell mid-query),
//       prints "reading", and keeps it until killed.
//   NonceTestHelper apihold DB STREAM
//       On a shared stream: takes the API lock, prints "locked PID", sleeps until killed.
//   NonceTestHelper poolprobe DB STREAM TASKS
//       On a shared stream whose write lock another connection holds: starts TASKS tasks
//       that each await a nonce, then a probe task; prints "probe before release" when the
//       probe ran while the tasks waited (the pool was free), "probe after release" when it
//       could run only once a 10 s watchdog released the lock; then "issued N". A process
//       of its own, so no other work competes for its cooperative thread pool.
import Foundation
import NonceKit
import NonceKitTesting
import NonceBackend
import NonceSQLite
#if PostgreSQL
import NoncePostgres
#endif
import Synchronization

func writeLine(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { buffer in
        var offset = 0
        while offset < buffer.count {
            let written = write(STDOUT_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
            if written <= 0 { exit(3) }
            offset += written
        }
    }
}

func monotonicNanoseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
}

let arguments = CommandLine.arguments
guard arguments.count >= 4 else {
    FileHandle.standardError.write(Data("usage: NonceTestHelper issue|hold DB STREAM ...\n".utf8))
    exit(2)
}
let database = arguments[2], stream = arguments[3]
do {
    switch arguments[1] {
    case "issue":
        let lease = Duration.nanoseconds(Int64(arguments[4]) ?? 1_000_000_000)
        let history = NonceManager.HistoryMode(rawValue: arguments[5]) ?? .batched
        let jumpEvery = Int(arguments[6]) ?? 0
        let frozen = Int64(arguments[7]) ?? 0
        let clock: any NonceClock = frozen > 0 ? ManualClock(nanoseconds: frozen) : SystemClock()
        let manager = try NonceManager(
            database: database, configuration: .init(stream: stream, history: .init(mode: history), timing: .init(leaseSpan: lease, claimWait: .seconds(10), clock: clock)))
        var count = 0
        while true {
            count += 1
            if jumpEvery > 0 && count % jumpEvery == 0 { try manager.jump(by: .milliseconds(1), reason: "test") }
            writeLine(String(try manager.next()))
        }
    case "apilock":
        let rounds = Int(arguments[4]) ?? 1, hold = UInt32(arguments[5]) ?? 0
        let manager = try NonceManager(database: database, configuration: .init(stream: stream, mode: .shared))
        for _ in 0..<rounds {
            let line = try manager.withAPILock { nonce in
                let start = monotonicNanoseconds()
                usleep(hold)
                return "\(start) \(monotonicNanoseconds()) \(nonce)"
            }
            writeLine(line)
        }
    case "apihold":
        let manager = try NonceManager(database: database, configuration: .init(stream: stream, mode: .shared))
        try manager.withAPILock { _ in
            writeLine("locked \(getpid())")
            while true { sleep(60) }
        }
    case "readhold":
        let reader = try Connection(path: database, mode: .readWrite)
        try reader.execute("BEGIN")
        _ = try reader.scalarInt64("SELECT count(*) FROM history")
        writeLine("reading")
        withExtendedLifetime(reader) { while true { sleep(60) } }
    case "poolprobe":
        let tasks = Int(arguments[4]) ?? 64
        let manager = try NonceManager(
            path: database, configuration: .init(stream: stream, mode: .shared, timing: .init(databaseWait: .seconds(60))))
        let holder = try SQLiteStore(path: database)
        try holder.withConnection { try $0.execute("BEGIN IMMEDIATE") }
        let released = Mutex(false)
        let release: @Sendable () -> Void = {
            released.withLock { done in
                guard !done else { return }
                done = true
                try? holder.withConnection { try $0.execute("COMMIT") }
            }
        }
        Thread.detachNewThread {
            sleep(10)
            release()
        }
        let finished = DispatchSemaphore(value: 0)
        // Detached: a task started by top-level code would run on the main actor, whose
        // thread waits on the semaphore below.
        Task.detached {
            let waiting = (0..<tasks).map { _ in Task { try await manager.next() } }
            try await Task.sleep(for: .milliseconds(200))
            _ = await Task.detached { getpid() }.value
            writeLine(released.withLock { $0 } ? "probe after release" : "probe before release")
            release()
            var nonces = Set<UInt64>()
            for task in waiting { nonces.insert(try await task.value) }
            writeLine("issued \(nonces.count)")
            finished.signal()
        }
        finished.wait()
        try manager.close()
    case "hold":
        let manager = try NonceManager(database: database, configuration: .init(stream: stream))
        writeLine("ready \(getpid())")
        withExtendedLifetime(manager) { while true { sleep(60) } }
    default:
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(1)
}
