#if PostgreSQL  // The PostgreSQL backend is built only with the trait.
import Foundation
import NonceBackend
import NonceKit
import NoncePostgres
import NonceSchema
import NonceTestSupport
import Synchronization
import Testing

/// What only a server has: logins, schemas, sessions that end. Runs when the run has a
/// PostgreSQL server (`TestBackend.postgresURI`; `.ci/run` starts one).
@Suite("PostgreSQL server", .enabled(if: TestBackend.postgresURI != nil))
struct PostgresServerTests {
    /// These provoke failures the library logs as errors: keep them out of the run's output.
    init() { QuietLogging.installed }

    private var base: String { TestBackend.postgresURI ?? "" }

    @Test("a wrong password and an unreachable server are clear errors naming the server")
    func cannotConnect() throws {
        let port = try #require(URLComponents(string: base)?.port)
        let wrong = #expect(throws: NonceStoreError.self) {
            try NonceManager(database: "postgresql://noncebot:not-the-password-x9@127.0.0.1:\(port)/postgres?sslmode=disable")
        }
        #expect(wrong?.code == .cannotConnect)
        #expect(wrong?.message.contains("refused the login of user 'noncebot'") == true, "\(wrong?.message ?? "")")
        #expect(wrong?.message.contains("x9") == false, "the password is never shown")
        let right = try NonceManager(database: TestBackend.freshSchema("postgresql://noncebot:noncebot-secret@127.0.0.1:\(port)/postgres?sslmode=disable"))
        #expect(try right.next() > 0)
        try right.close()
        let unreachable = #expect(throws: NonceStoreError.self) {
            try NonceManager(database: "postgresql://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2")
        }
        #expect(unreachable?.code == .cannotConnect)
        #expect(unreachable?.message.contains("127.0.0.1:1") == true)
    }

    @Test("a schema of that name holding other tables is refused and left untouched")
    func foreignSchema() throws {
        let uri = TestBackend.freshSchema(base)
        let schema = String(uri.split(separator: "=").last ?? "")
        let other = try PostgresStore(uri: TestBackend.freshSchema(base))
        try other.execute(sql: "CREATE SCHEMA \(schema); CREATE TABLE \(schema).orders (id int)")
        let error = #expect(throws: NonceStoreError.self) { try NonceManager(database: uri) }
        #expect(error?.code == .foreignDatabase)
        #expect(try other.integer(sql: "SELECT count(*) FROM information_schema.tables WHERE table_schema = '\(schema)'") == 1)
    }

    @Test("a schema written by a newer NonceStore is refused")
    func newerSchema() throws {
        let uri = TestBackend.freshSchema(base)
        let store = try PostgresStore(uri: uri)
        try store.execute(sql: "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future.sql', 0)")
        let error = #expect(throws: NonceStoreError.self) { try PostgresStore(uri: uri) }
        #expect(error?.code == .newerSchema)
    }

    @Test("several processes' worth of sessions opening a fresh schema at once all succeed, and migrate it once")
    func concurrentFirstOpen() throws {
        let uri = TestBackend.freshSchema(base)
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            do { _ = try PostgresStore(uri: uri) } catch { failures.withLock { $0.append("\(error)") } }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        #expect(try PostgresStore(uri: uri).integer(sql: "SELECT count(*) FROM schema_migrations") == Int64(SchemaMigrations.postgres.count))
    }

    @Test("the SQL contract: nonce_next issues one durable nonce with its history row; an exclusive stream refuses it")
    func sqlContract() throws {
        let uri = TestBackend.freshSchema(base)
        let schema = String(uri.split(separator: "=").last ?? "")
        let manager = try NonceManager(database: uri, configuration: .init(stream: "kraken", mode: .shared))
        let fromSwift = try manager.next()
        let store = try PostgresStore(uri: uri)
        let fromSQL = try #require(try store.integer(sql: "SELECT \(schema).nonce_next('kraken', 'psql')"))
        #expect(UInt64(fromSQL) > fromSwift)
        #expect(try manager.next() > UInt64(fromSQL))
        #expect(try store.integer(sql: "SELECT count(*) FROM \(schema).nonce_history WHERE stream = 'kraken'") == 3)
        try manager.close()
        _ = try NonceManager(database: uri, configuration: .init(stream: "solo")).close()
        let refused = #expect(throws: NonceStoreError.self) { try store.integer(sql: "SELECT \(schema).nonce_next('solo')") }
        #expect(refused?.message.contains("is exclusive") == true)
    }

    @Test("a holder whose session the server ended stops issuing; the next holder continues above it")
    func claimSessionEnded() throws {
        let uri = TestBackend.freshSchema(base)
        let schema = String(uri.split(separator: "=").last ?? "")
        let first = try NonceManager(database: uri, configuration: .init(stream: "k", timing: .init(leaseSpan: .milliseconds(20))))
        var issued: [UInt64] = [try first.next()]
        let admin = try PostgresStore(uri: uri)
        // End every session that holds an advisory lock of this schema's streams, waiting (up
        // to 5 s) for each backend to exit: it tells its client before it frees its locks, and
        // the recorded holder is this live process, so the second manager would not wait.
        let ended = try admin.integer(sql: """
            SELECT count(pg_terminate_backend(l.pid, 5000)) FROM pg_locks AS l
            WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.pid <> pg_backend_pid()
              AND l.classid::bigint = \(PostgresLockKeys(schema: schema).claim)
              AND l.objid::bigint = (SELECT id FROM streams WHERE name = 'k')
            """)
        #expect(ended == 1)
        let deadline = ContinuousClock.now + .seconds(10)
        var failure: NonceStoreError?
        while failure == nil && ContinuousClock.now < deadline {
            do { issued.append(try first.next()) } catch { failure = error }
        }
        let stop = try #require(failure, "the holder kept issuing without its claim")
        #expect(stop.code == .markNotDurable || stop.code == .connectionLost, "\(stop)")
        let second = try NonceManager(database: uri, configuration: .init(stream: "k"))
        #expect(try second.next() > issued.max()!)
        try second.close()
        try? first.close()
    }

    @Test("a server that refuses writes (a standby, or read-only sessions) is a read_only error, not a half-written state")
    func readOnly() throws {
        let uri = TestBackend.freshSchema(base)
        let store = try PostgresStore(uri: uri)
        try store.execute(sql: "SET default_transaction_read_only = on")
        let error = #expect(throws: NonceStoreError.self) { try store.openStream(named: "k", mode: .exclusive) }
        #expect(error?.code == .readOnly, "\(String(describing: error))")
        #expect(try PostgresStore(uri: uri).stream(named: "k") == nil)
    }

    @Test("the keepalive settings of the URI reach the server, which drops a vanished host's session by them")
    func keepalive() throws {
        let store = try PostgresStore(uri: TestBackend.freshSchema(base) + "&keepalives_idle=7&keepalives_interval=2&keepalives_count=4")
        #expect(try store.integer(sql: "SELECT current_setting('tcp_keepalives_idle')::bigint") == 7)
        #expect(try store.integer(sql: "SELECT current_setting('tcp_keepalives_interval')::bigint") == 2)
        #expect(try store.integer(sql: "SELECT current_setting('tcp_keepalives_count')::bigint") == 4)
    }

    @Test("a shared stream whose connection the server ended (as a restart does) fails that call clearly, then reconnects")
    func sharedReconnects() throws {
        let uri = TestBackend.freshSchema(base)
        let schema = String(uri.split(separator: "=").last ?? "")
        let manager = try NonceManager(database: uri, configuration: .init(stream: "s", mode: .shared))
        let before = try manager.next()
        let admin = try PostgresStore(uri: uri)
        // Every session on this schema but the admin's own, as a server restart would end them all.
        let ended = try admin.integer(sql: """
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE application_name = 'nonce/\(schema)' AND pid <> pg_backend_pid()
            """)
        #expect(ended == 3, "the manager's general, claim and API-lock sessions")
        var failures = 0
        var after: UInt64?
        for _ in 0..<3 where after == nil {
            do { after = try manager.next() } catch { failures += 1; #expect(error.code == .connectionLost || error.code == .issueFailed, "\(error)") }
        }
        let next = try #require(after, "the manager never reconnected")
        #expect(next > before)
        #expect(failures <= 1)
        try manager.withAPILock { nonce in #expect(nonce > next) }
        try manager.close()
    }
}
#endif
