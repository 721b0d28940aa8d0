#if PostgreSQL  // The PostgreSQL backend is built only with the trait.
import Foundation
import NonceBackend
import NonceKit
import NoncePostgres
import NonceTestSupport
import Testing

/// Every wait on the server is bounded: a holder whose server stops answering, or restarts
/// under it, gets an error within the reply timeout instead of hanging.
@Suite("PostgreSQL: every wait on the server is bounded", .enabled(if: TestBackend.postgresURI != nil))
struct PostgresBoundTests {
    /// These provoke failures the library logs as errors: keep them out of the run's output.
    init() { QuietLogging.installed }

    /// The reply timeout (5 s by default) and a history flush, as the PostgreSQL article says.
    static let bound = Duration.seconds(6)

    @Test("a holder whose claim's backend stops answering (SIGSTOP) fails within the bound with a clear error")
    func backendStopsAnswering() throws {
        let uri = TestBackend.freshSchema()
        let schema = String(uri.split(separator: "=").last ?? "")
        let manager = try NonceManager(database: uri, configuration: .init(stream: "k"))
        var issued = [try manager.next()]
        let admin = try PostgresStore(uri: uri)
        let backend = try #require(try admin.integer(sql: """
            SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted
              AND classid::bigint = \(PostgresLockKeys(schema: schema).claim) LIMIT 1
            """))
        kill(pid_t(backend), SIGSTOP)
        defer { kill(pid_t(backend), SIGCONT) }
        let start = ContinuousClock.now
        var failure: NonceStoreError?
        while failure == nil && ContinuousClock.now - start < .seconds(30) {
            do { issued.append(try manager.next()) } catch { failure = error }
        }
        let took = ContinuousClock.now - start
        let error = try #require(failure, "the holder kept issuing for 30 s with its server not answering")
        print("a backend stopped with SIGSTOP: the holder failed after \(took)")  // the measured figure, for the record
        #expect(took <= Self.bound, "took \(took)")
        #expect(error.description.contains("no reply from postgresql://"), "\(error)")
        #expect(error.code == .markNotDurable || error.code == .historyWriteFailed || error.code == .connectionLost, "\(error)")
        kill(pid_t(backend), SIGCONT)
        try? manager.close()
        let next = try NonceManager(database: uri, configuration: .init(stream: "k"))
        #expect(try next.next() > issued.max()!)
        try next.close()
    }

    @Test("the URI's reply_timeout sets the bound: 1 s, and the holder whose backend stops answering fails within 2 s")
    func replyTimeoutFromURI() throws {
        let uri = TestBackend.freshSchema() + "&reply_timeout=1"
        let schema = String(uri.split(separator: "=").dropLast().last?.split(separator: "&").first ?? "")
        let manager = try NonceManager(database: uri, configuration: .init(stream: "k"))
        _ = try manager.next()
        let backend = try #require(try PostgresStore(uri: uri).integer(sql: """
            SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted
              AND classid::bigint = \(PostgresLockKeys(schema: schema).claim) LIMIT 1
            """))
        kill(pid_t(backend), SIGSTOP)
        defer { kill(pid_t(backend), SIGCONT) }
        let start = ContinuousClock.now
        var failure: NonceStoreError?
        while failure == nil && ContinuousClock.now - start < .seconds(30) {
            do { _ = try manager.next() } catch { failure = error }
        }
        let took = ContinuousClock.now - start
        let error = try #require(failure)
        #expect(took <= .seconds(2), "took \(took)")
        #expect(error.description.contains("within 1.0 seconds"), "\(error)")
        kill(pid_t(backend), SIGCONT)
        try? manager.close()
    }

    @Test("a holder in the library whose server restarts with -m immediate fails within the bound, and the next starts above it")
    func serverRestarts() throws {
        let server = try ThrowawayServer()
        let uri = TestBackend.freshSchema(server.uri)
        let manager = try NonceManager(database: uri, configuration: .init(stream: "k"))
        var issued = [try manager.next()]
        try server.restartImmediately()
        let start = ContinuousClock.now
        var failure: NonceStoreError?
        while failure == nil && ContinuousClock.now - start < .seconds(30) {
            do { issued.append(try manager.next()) } catch { failure = error }
        }
        let took = ContinuousClock.now - start
        let error = try #require(failure, "the holder kept issuing for 30 s after its session ended")
        #expect(took <= Self.bound, "took \(took)")
        #expect(!error.description.contains("Generic description"), "\(error)")
        try? manager.close()
        let next = try NonceManager(database: uri, configuration: .init(stream: "k"))
        #expect(try next.next() > issued.max()!)
        try next.close()
    }
}
#endif
