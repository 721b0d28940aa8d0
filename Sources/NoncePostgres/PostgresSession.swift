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
        if waiting { _ = try? (connection.close() as EventLoopFuture<Void>).wait() } else { Self.closeQuietly(connection) }
    }

    /// Runs `body` with the connection, connecting (again) first when there is none. A
    /// connection-level failure drops the connection: the next call connects anew (or, for
    /// a session that must not, fails naming the loss).
    ///
    /// A connection found closed before a request went out (`clientClosedConnection`: the
    /// server ended it while idle, as a restart does) is replaced and `body` runs once more
    /// on the new one: nothing of the first try reached the server, so nothing is done twice.
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

    /// Starts closing `connection` without waiting for it.
    private static func closeQuietly(_ connection: PostgresConnection) {
        // The connection must outlive its close: postgres-nio asserts it is closed when freed.
        (connection.close() as EventLoopFuture<Void>).whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    func query(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws -> [PostgresRow] {
        try withConnection { try Self.query(sql, binds, on: $0, location: location) }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it
    /// throws. `durable: false` lets the commit return before the WAL is flushed (history
    /// and counters); a mark is always committed with `synchronous_commit = on`.
    func transaction<T>(durable: Bool, _ body: (PostgresTransaction) throws -> T) throws -> T {
        try withConnection { connection in
            let transaction = PostgresTransaction(connection: connection, location: location)
            try transaction.execute(durable ? "BEGIN" : "BEGIN; SET LOCAL synchronous_commit TO off")
            do {
                let result = try body(transaction)
                try transaction.execute("COMMIT")
                return result
            } catch {
                _ = try? transaction.execute("ROLLBACK")
                throw error
            }
        }
    }

    static func query(
        _ sql: String, _ binds: PostgresBindings, on connection: PostgresConnection, location: PostgresLocation
    ) throws -> [PostgresRow] {
        do {
            if binds.count == 0 && sql.contains(";") {
                // A script: one statement at a time (postgres-nio has no simple-query protocol).
                var rows: [PostgresRow] = []
                for statement in SQLScript.statements(sql) {
                    rows = try connection.query(PostgresQuery(unsafeSQL: statement), logger: quiet).wait().rows
                }
                return rows
            }
            return try connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: quiet).wait().rows
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
        do {
            return try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 1, logger: quiet
            ).wait()
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

/// The connection inside ``PostgresSession/transaction(durable:_:)``.
struct PostgresTransaction {
    let connection: PostgresConnection
    let location: PostgresLocation

    @discardableResult
    func query(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws -> [PostgresRow] {
        try PostgresSession.query(sql, binds, on: connection, location: location)
    }

    func execute(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws {
        _ = try query(sql, binds)
    }
}
