#if PostgreSQL  // The PostgreSQL backend is built only with the trait.
import Foundation
import NonceBackend
import NonceKit
import NoncePostgres
import NonceTestSupport
import Testing

/// Errors from the server say what the server said: its message, SQLSTATE and detail, not
/// postgres-nio's placeholder; and a refused write says why it was refused.
@Suite("PostgreSQL: errors in the server's own words", .enabled(if: TestBackend.postgresURI != nil))
struct PostgresMessageTests {
    /// These provoke failures the library logs as errors: keep them out of the run's output.
    init() { QuietLogging.installed }

    private var base: String { TestBackend.postgresURI ?? "" }

    @Test("a failed statement shows the server's message, SQLSTATE and detail, never the placeholder")
    func serverWords() throws {
        let store = try PostgresStore(uri: TestBackend.freshSchema(base))
        let division = #expect(throws: NonceStoreError.self) { try store.execute(sql: "SELECT 1 / 0") }
        let text = division.map { "\($0)" } ?? ""
        #expect(text.contains("division by zero") && text.contains("SQLSTATE 22012"), "\(text)")
        #expect(!text.contains("Generic description"), "\(text)")
        #expect((division?.cause as? PostgresServerError)?.sqlState == "22012")
        try store.execute(sql: "CREATE TABLE orders (id int PRIMARY KEY); INSERT INTO orders VALUES (7)")
        let duplicate = #expect(throws: NonceStoreError.self) { try store.execute(sql: "INSERT INTO orders VALUES (7)") }
        let described = duplicate.map { "\($0)" } ?? ""
        #expect(described.contains("SQLSTATE 23505") && described.contains("detail: Key (id)=(7) already exists."), "\(described)")
        #expect(described.components(separatedBy: "duplicate key").count == 2, "said once: \(described)")
    }

    @Test("a login refused shows the server's reason, never the password or the placeholder")
    func refusedLogin() throws {
        let port = try #require(URLComponents(string: base)?.port)
        let error = #expect(throws: NonceStoreError.self) {
            try NonceManager(database: "postgresql://noncebot:secret-zz9@127.0.0.1:\(port)/postgres?sslmode=disable")
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("password authentication failed") && !text.contains("secret-zz9") && !text.contains("Generic description"),
                "\(text)")
    }

    @Test("a primary whose sessions are read-only by setting (default_transaction_read_only) is told apart from a standby")
    func readOnlySessionsAreNotAStandby() throws {
        let port = try #require(URLComponents(string: base)?.port)
        let role = "ro_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let admin = try PostgresStore(uri: TestBackend.freshSchema(base))
        try admin.execute(sql: "CREATE ROLE \(role) LOGIN; ALTER ROLE \(role) SET default_transaction_read_only = on")
        defer { try? admin.execute(sql: "DROP ROLE \(role)") }
        let error = #expect(throws: NonceStoreError.self) {
            try NonceManager(database: TestBackend.freshSchema("postgresql://\(role)@127.0.0.1:\(port)/postgres?sslmode=disable"))
        }
        #expect(error?.code == .readOnly)
        #expect(error?.message.contains("default_transaction_read_only") == true && error?.message.contains("standby (in recovery)") == false,
                "\(String(describing: error))")
        // Set in a session already open: the refused write is told apart the same way.
        let store = try PostgresStore(uri: TestBackend.freshSchema(base))
        try store.execute(sql: "SET default_transaction_read_only = on")
        let refused = #expect(throws: NonceStoreError.self) { try store.openStream(named: "k", mode: .exclusive) }
        #expect(refused?.code == .readOnly)
        #expect(refused?.message.contains("is not a standby") == true && refused?.message.contains("SQLSTATE 25006") == true,
                "\(String(describing: refused))")
    }

    @Test("a standby in recovery is refused as one, by name")
    func standby() throws {
        let server = try ThrowawayServer()
        let uri = TestBackend.freshSchema(server.uri)
        _ = try PostgresStore(uri: uri)
        try server.restartAsStandby()
        let error = #expect(throws: NonceStoreError.self) { try NonceManager(database: uri) }
        #expect(error?.code == .readOnly)
        #expect(error?.message.contains("is a read-only standby (in recovery)") == true, "\(String(describing: error))")
    }
}
#endif
