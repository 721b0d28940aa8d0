#if PostgreSQL  // Without the trait this module is empty and builds no network stack.
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NonceBackend
import PostgresNIO
import Synchronization

/// One PostgreSQL session, used from synchronous code: each call waits for postgres-nio's
/// future on the calling thread while the I/O runs on NIO's event loop, so the issuing
/// paths stay synchronous as they are on SQLite, and never need Swift's task pool.
///
/// Every wait for the server is bounded (``PostgresLocation/replyLimit``, 5 s by default;
/// maintenance statements ``PostgresLocation/maintenanceReplyLimit``): a request sent on a
/// connection that is already lost may never be answered, and a holder waiting for it
/// would hang for good. Past the bound the connection counts as lost and is closed.
///
/// A session serves one caller at a time (a transaction holds it throughout). A session
/// that holds advisory locks (a claim, the API lock) is made with `reconnects: false`: when
/// its connection dies the locks have died with it, and every later call fails instead of
/// quietly continuing without them.
final class PostgresSession: Sendable {
    let location: PostgresLocation
    let reconnects: Bool
    private let state: Mutex<State>

    private struct State {
        var connection: PostgresConnection?
        /// Set once a session that must not reconnect lost its connection.
        var lost: NonceStoreError?
    }

    /// postgres-nio logs every query at debug level; the product logs its own events.
    static let quiet = Logger(label: "NonceStore.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Connects at once, so a wrong address or password is reported by the open call.
    init(location: PostgresLocation, reconnects: Bool = true) throws {
        self.location = location
        self.reconnects = reconnects
        state = Mutex(State())
        _ = try withConnection { _ in }
    }

    deinit { close(waiting: false) }

    /// Ends the session; its advisory locks end with it. Later calls fail. `waiting` for the
    /// close makes a released lock free for others by the time this returns.
    func close(waiting: Bool = true) {
        let connection = state.withLock { state -> PostgresConnection? in
            defer {
                state.connection = nil
                state.lost = NonceStoreError(.closed, "the session with \(location.description) was closed", database: location.description)
            }
            return state.connection
        }
        guard let connection else { return }
        guard waiting else { return Self.closeQuietly(connection) }
        // Bounded like every wait: the close of a connection already lost may never complete.
        let closing: EventLoopFuture<Void> = connection.close()
        closing.whenComplete { _ in withExtendedLifetime(connection) {} }
        _ = try? ReplyWait.value(of: closing, within: location.replyLimit)
    }

    /// Runs `body` with the connection, connecting (again) first when there is none. A
    /// connection-level failure drops the connection: the next call connects anew (or, for
    /// a session that must not, fails naming the loss).
    ///
    /// A connection found closed before a request went out (`clientClosedConnection`: the
    /// server ended it while idle, as a restart does) is replaced and `body` runs once more
    /// on the new one: nothing of the first try reached the server, so nothing is done twice.
    /// A request that got no reply within its bound (``ReplyWait/NoReply``) drops the
    /// connection the same way, and is never retried: it may have reached the server.
    ///
    /// A write refused as read-only is told apart here, once the transaction is over: a
    /// standby in recovery, or a server whose sessions are read-only by setting.
    func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try state.withLock { state in
            var retried = false
            while true {
                if let lost = state.lost { throw lost }
                let connection: PostgresConnection
                if let current = state.connection, !current.isClosed {
                    connection = current
                } else if state.connection != nil && !reconnects {
                    let lost = Self.lostError(location)
                    state.lost = lost
                    throw lost
                } else {
                    connection = try Self.connect(location)
                    state.connection = connection
                }
                do {
                    return try body(connection)
                } catch let error as ReplyWait.NoReply {
                    state.connection = nil
                    Self.closeQuietly(connection)
                    let failure = PostgresFailure.noReply(error, location: location)
                    if !reconnects { state.lost = failure }
                    throw failure
                } catch let error as NonceStoreError where error.code == .readOnly && error.cause is PostgresServerError {
                    throw PostgresFailure.readOnly(location, inRecovery: Self.inRecovery(connection, location), cause: error.cause)
                } catch let error as PSQLError where PostgresFailure.isConnectionLost(error) {
                    state.connection = nil
                    Self.closeQuietly(connection)
                    if !reconnects { state.lost = Self.lostError(location) }
                    guard reconnects, !retried, error.code == .clientClosedConnection else {
                        throw PostgresFailure.describe(error, location: location)
                    }
                    retried = true
                }
            }
        }
    }

    /// Whether the server is a standby in recovery; nil when it cannot tell at once.
    private static func inRecovery(_ connection: PostgresConnection, _ location: PostgresLocation) -> Bool? {
        try? query("SELECT pg_is_in_recovery()", PostgresBindings(), on: connection, location: location, within: location.replyLimit).first?
            .column(0, as: Bool.self)
    }

    /// Starts closing `connection` without waiting for it.
    private static func closeQuietly(_ connection: PostgresConnection) {
        // The connection must outlive its close: postgres-nio asserts it is closed when freed.
        (connection.close() as EventLoopFuture<Void>).whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Runs one statement and returns its rows, waiting at most `limit` (the reply
    /// timeout when nil) for them.
    @discardableResult
    func query(_ sql: String, _ binds: PostgresBindings = PostgresBindings(), within limit: Duration? = nil) throws -> [PostgresRow] {
        try withConnection { try Self.query(sql, binds, on: $0, location: location, within: limit ?? location.replyLimit) }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it
    /// throws. `durable: false` lets the commit return before the WAL is flushed (history
    /// and counters); a mark is always committed with `synchronous_commit = on`. Each of its
    /// statements waits at most `limit` (the reply timeout when nil).
    ///
    /// No `ROLLBACK` is sent on a connection that is lost or did not answer: the server
    /// rolls back a transaction whose session ended, and waiting for a reply on such a
    /// connection is how holders used to hang.
    func transaction<T>(durable: Bool, within limit: Duration? = nil, _ body: (PostgresTransaction) throws -> T) throws -> T {
        try withConnection { connection in
            let transaction = PostgresTransaction(connection: connection, location: location, limit: limit)
            try transaction.execute(durable ? "BEGIN" : "BEGIN; SET LOCAL synchronous_commit TO off")
            do {
                let result = try body(transaction)
                try transaction.execute("COMMIT")
                return result
            } catch {
                if !Self.isLost(error, connection) { _ = try? transaction.execute("ROLLBACK") }
                throw error
            }
        }
    }

    /// True when `error` says the connection is gone or did not answer.
    static func isLost(_ error: any Error, _ connection: PostgresConnection) -> Bool {
        if connection.isClosed || error is ReplyWait.NoReply { return true }
        if let error = error as? PSQLError { return PostgresFailure.isConnectionLost(error) }
        return (error as? NonceStoreError)?.code == .connectionLost
    }

    static func query(
        _ sql: String, _ binds: PostgresBindings, on connection: PostgresConnection, location: PostgresLocation, within limit: Duration
    ) throws -> [PostgresRow] {
        func run(_ query: PostgresQuery) throws -> [PostgresRow] {
            try ReplyWait.value(of: connection.query(query, logger: quiet).map { $0.rows }, within: limit) { connection.isClosed }
        }
        do {
            if binds.count == 0 && sql.contains(";") {
                // A script: one statement at a time (postgres-nio has no simple-query protocol).
                var rows: [PostgresRow] = []
                for statement in SQLScript.statements(sql) {
                    rows = try run(PostgresQuery(unsafeSQL: statement))
                }
                return rows
            }
            return try run(PostgresQuery(unsafeSQL: sql, binds: binds))
        } catch let error as PSQLError {
            if PostgresFailure.isConnectionLost(error) { throw error }
            throw PostgresFailure.describe(error, location: location)
        }
    }

    private static func connect(_ location: PostgresLocation) throws -> PostgresConnection {
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: try tls(for: location.tlsMode))
        configuration.options.connectTimeout = .seconds(Int64(location.connectTimeout))
        // Server-side keepalive: how soon the server notices a vanished host and ends its
        // session, releasing the claims and locks it held.
        configuration.options.additionalStartupParameters = [
            // Names the schema too, so `pg_stat_activity` tells NonceStore's sessions apart.
            ("application_name", "nonce/\(location.schema)"),
            ("search_path", location.schema),
            ("tcp_keepalives_idle", "\(location.keepalive.idle)"),
            ("tcp_keepalives_interval", "\(location.keepalive.interval)"),
            ("tcp_keepalives_count", "\(location.keepalive.count)"),
            ("synchronous_commit", "on"),
        ]
        let connecting = PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 1, logger: quiet)
        do {
            // Bounded beyond the TCP connect timeout too: a server that accepts but never
            // finishes the login would otherwise hold the caller for good.
            return try ReplyWait.value(of: connecting, within: .seconds(location.connectTimeout) + location.replyLimit)
        } catch let error as ReplyWait.NoReply {
            // A connection that completes after all is closed at once.
            connecting.whenSuccess { closeQuietly($0) }
            throw NonceStoreError(.cannotConnect, "cannot connect to \(location.description): no answer within \(error.waited)",
                                  database: location.description)
        } catch {
            throw PostgresFailure.cannotConnect(error, location: location)
        }
    }

    private static func tls(for mode: PostgresLocation.TLSMode) throws -> PostgresConnection.Configuration.TLS {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable: return .disable
        case .allow, .prefer, .require:
            // As libpq: these encrypt without checking who answers.
            configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        let context = try NIOSSLContext(configuration: configuration)
        return mode == .allow || mode == .prefer ? .prefer(context) : .require(context)
    }

    private static func lostError(_ location: PostgresLocation) -> NonceStoreError {
        NonceStoreError(.connectionLost, "the session with \(location.description) ended (server restart, network loss or "
            + "a terminated backend); the locks it held are released, so this holder stopped", database: location.description)
    }
}

/// The connection inside ``PostgresSession/transaction(durable:within:_:)``.
struct PostgresTransaction {
    let connection: PostgresConnection
    let location: PostgresLocation
    /// How long each statement waits for its reply.
    let limit: Duration

    init(connection: PostgresConnection, location: PostgresLocation, limit: Duration? = nil) {
        self.connection = connection
        self.location = location
        self.limit = limit ?? location.replyLimit
    }

    @discardableResult
    func query(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws -> [PostgresRow] {
        try PostgresSession.query(sql, binds, on: connection, location: location, within: limit)
    }

    func execute(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws {
        _ = try query(sql, binds)
    }
}
#endif
