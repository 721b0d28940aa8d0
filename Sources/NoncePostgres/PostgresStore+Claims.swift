#if PostgreSQL  // Without the trait this module is empty and builds no network stack.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
package import NonceBackend
import Synchronization

extension PostgresStore {
    /// Claims the stream with a session advisory lock on a session of its own, shared or
    /// exclusive, polling until `wait` passes (nil: one try). The lock lasts until
    /// ``StreamClaim/release()`` or until the session ends, whichever comes first.
    ///
    /// A claim whose recorded holder is a process of this host that is no longer running
    /// is waited for up to ``deadHolderGrace`` even without `wait`: the process died (kill -9)
    /// and the server ends its session as soon as it reads the closed socket, which takes
    /// a moment; the claim is free by then, so refusing it would name a dead process.
    package func claim(_ record: StreamRecord, wait: Duration?, shared: Bool) throws -> any StreamClaim {
        let claimSession = try PostgresSession(location: location, reconnects: false)
        let function = shared ? "pg_try_advisory_lock_shared" : "pg_try_advisory_lock"
        var deadline = wait.map { ContinuousClock.now + $0 }
        var pause = Duration.milliseconds(5)
        var holderChecked = false
        while try !claimSession.query("SELECT \(function)($1::integer, $2::integer)", [.integer(Int64(keys.claim)), .integer(record.id)])[0]
            .column(0, as: Bool.self) {
            if !holderChecked {
                holderChecked = true
                let holder = recordedHolder(streamID: record.id)
                if holder.host == hostName, let pid = holder.pid, !Self.isRunning(pid) {
                    let grace = ContinuousClock.now + Self.deadHolderGrace
                    deadline = max(deadline ?? grace, grace)
                }
            }
            guard let deadline, ContinuousClock.now < deadline else {
                let holder = recordedHolder(streamID: record.id)
                if let wait {
                    throw NonceStoreError.claimTimedOut(stream: record.name, holderPID: holder.pid, holderHost: holder.host,
                                                        database: path, waited: wait)
                }
                throw NonceStoreError.streamHeld(stream: record.name, holderPID: holder.pid, holderHost: holder.host, database: path)
            }
            PostgresStore.sleep(pause)
            pause = min(pause * 2, .milliseconds(200))
        }
        if !shared { claimSessions.withLock { $0[record.id] = claimSession } }
        return PostgresClaim(stream: record.name, streamID: record.id, session: claimSession, store: self)
    }

    /// Whether any session holds the stream's claim (a snapshot).
    package func isHeld(_ record: StreamRecord) -> Bool {
        let held = try? session.query("""
            SELECT EXISTS (SELECT 1 FROM pg_locks
                           WHERE locktype = 'advisory' AND granted AND objsubid = 2
                             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                             AND classid::bigint = $1 AND objid::bigint = $2)
            """, [.integer(Int64(keys.claim)), .integer(record.id)]).first?.column(0, as: Bool.self)
        return held ?? false
    }

    /// The API lock's session reconnects: the lock is taken anew for each call, so a new
    /// session after a lost one holds nothing it should have kept. A lock lost while held
    /// (the session ended mid-body) lets another host in; its unlock then has nothing to do.
    package func apiLock(for record: StreamRecord) throws -> any InterProcessLock {
        PostgresAPILock(session: try PostgresSession(location: location, reconnects: true),
                        key: (keys.apiLock, record.id))
    }

    /// Records the holder (pid and host; nil on release) through the claim's session.
    /// A holder still recorded when a new one claims stopped without releasing: counted,
    /// with an event.
    @discardableResult
    package func setHolder(streamID: Int64, pid: Int32?) throws -> Int32? {
        try writer(for: streamID).transaction(durable: false) { connection in
            let row = try connection.query("SELECT holder_pid, holder_host FROM streams WHERE id = $1 FOR UPDATE", [.integer(streamID)]).first
            let previous = try row?.column(0, as: Int32?.self) ?? nil
            let previousHost = try row?.column(1, as: String?.self) ?? nil
            try connection.execute("UPDATE streams SET holder_pid = $1, holder_host = $2 WHERE id = $3", [
                pid.map { .integer(Int64($0)) } ?? .null, pid == nil ? .null : .text(hostName), .integer(streamID),
            ])
            guard pid != nil, let previous else { return nil }
            try connection.execute("UPDATE streams SET unclean_stops = unclean_stops + 1 WHERE id = $1", [.integer(streamID)])
            try insertEvent(streamID: streamID, at: WallClock.nanoseconds(), kind: .uncleanStop, detail:
                "process \(previous) on host '\(previousHost ?? "?")' stopped without releasing the stream; the nonces it issued "
                    + "in its last history flush interval are not in issued_total or the history (their safety is: the mark covered them)",
                on: connection)
            return previous
        }
    }

    /// How long a claim left by a dead process of this host is waited for: the server
    /// notices the closed socket within milliseconds, even on a loaded machine well within this.
    package static let deadHolderGrace = Duration.seconds(2)

    /// Whether process `pid` of this host is running (one of another user counts).
    static func isRunning(_ pid: Int32) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH)
    }

    static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        usleep(UInt32(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
    }
}

/// A claim held by a session advisory lock; released by closing the session.
final class PostgresClaim: StreamClaim {
    let stream: String
    let streamID: Int64
    private let session: Mutex<PostgresSession?>
    private let store: PostgresStore

    init(stream: String, streamID: Int64, session: PostgresSession, store: PostgresStore) {
        self.stream = stream
        self.streamID = streamID
        self.session = Mutex(session)
        self.store = store
    }

    /// A server lock cannot be handed to a child process.
    var inheritableDescriptors: [Int32] { [] }

    func release() {
        guard let session = session.withLock({ current in defer { current = nil }; return current }) else { return }
        store.claimSessions.withLock { sessions in
            if sessions[streamID] === session { sessions[streamID] = nil }
        }
        // Unlocked before the session closes: the server ends a closed session's locks only
        // once it reads the end of the stream, so without this a claim right after a release
        // (the next manager on the stream, in this process or another) could be refused.
        _ = try? session.query("SELECT pg_advisory_unlock_all()")
        session.close()
    }

    deinit { release() }
}

/// A shared stream's API lock across hosts: a session advisory lock.
final class PostgresAPILock: InterProcessLock {
    private let session: PostgresSession
    private let key: (Int32, Int64)

    init(session: PostgresSession, key: (Int32, Int64)) {
        self.session = session
        self.key = key
    }

    /// One more try on a new connection when the old one was lost: a lost session holds no
    /// lock, so asking again is always safe.
    func tryLock() throws(NonceStoreError) -> Bool {
        do {
            return try attempt()
        } catch let error where error.code == .connectionLost {
            return try attempt()
        }
    }

    private func attempt() throws(NonceStoreError) -> Bool {
        do {
            return try session.query("SELECT pg_try_advisory_lock($1::integer, $2::integer)", [.integer(Int64(key.0)), .integer(key.1)])[0]
                .column(0, as: Bool.self)
        } catch {
            throw .keeping(error) { NonceStoreError(.connectionLost, "the API lock's session with \(session.location.description) failed",
                                                    database: session.location.description, cause: $0) }
        }
    }

    func unlock() {
        _ = try? session.query("SELECT pg_advisory_unlock($1::integer, $2::integer)", [.integer(Int64(key.0)), .integer(key.1)])
    }

    var inheritableDescriptors: [Int32] { [] }

    deinit { session.close() }
}
#endif
