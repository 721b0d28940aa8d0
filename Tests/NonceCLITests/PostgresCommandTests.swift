#if PostgreSQL  // The PostgreSQL backend is built only with the trait.
import Foundation
import NonceTestSupport
import Testing

/// Every command on a PostgreSQL URI, as a user types them.
@Suite("The commands on a PostgreSQL URI", .enabled(if: TestBackend.postgresURI != nil))
struct PostgresCommandTests {
    @Test("next, stats, history, jump, verify, stream, exec, reject/ok, prune, import-legacy all work on a URI")
    func everyCommand() throws {
        let db = TestBackend.freshSchema()
        func run(_ arguments: [String]) throws -> ChildProcess.Result {
            let result = try ChildProcess.nonce(arguments + ["--db", db])
            #expect(result.status == 0, "nonce \(arguments.joined(separator: " ")): \(result.stderr)")
            return result
        }
        let issued = try run(["next", "--count", "3"]).lines.compactMap(UInt64.init)
        #expect(issued.count == 3)
        #expect(try run(["stats", "--json"]).stdout.contains("\"issued_total\" : 3"))
        #expect(try run(["history", "--limit", "3"]).lines.count == 4)
        let floor = try #require(UInt64(try run(["jump", "--by", "10s"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(floor > issued.last!)
        #expect(try run(["stream", "create", "shared-k", "--shared"]).stdout.contains("created"))
        #expect(try run(["stream", "list"]).stdout.contains("shared-k"))
        #expect(try run(["exec", "--stream", "shared-k", "--", "sh", "-c", "test -n \"$NONCE\""]).status == 0)
        #expect(try run(["reject", "--stream", "shared-k"]).stdout.contains("rejections in a row: 1"))
        #expect(try run(["ok", "--stream", "shared-k"]).stdout.contains("rejections in a row: 0"))
        #expect(try run(["stream", "set-mode", "shared-k", "exclusive"]).stdout.contains("now exclusive"))
        #expect(try run(["prune", "--keep", "1"]).stdout.contains("deleted"))
        let now = UInt64(Date().timeIntervalSince1970 * 1e9)
        #expect(try run(["import-legacy", "--value", String(now + 60_000_000_000), "--stream", "imported"]).status == 0)
        let next = try #require(UInt64(try run(["next", "--stream", "imported"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(next > now + 60_000_000_000)
        #expect(try run(["verify"]).stdout.hasPrefix("ok"))
    }

    @Test("a dry run of import-legacy on a server without NonceStore's schema previews from 0 and creates nothing")
    func dryRunOnEmptyServer() throws {
        let db = TestBackend.freshSchema()
        let value = String(UInt64(Date().timeIntervalSince1970 * 1e9))
        let preview = try ChildProcess.nonce(["import-legacy", "--dry-run", "--value", value, "--json", "--db", db])
        #expect(preview.status == 0, "\(preview.stderr)")
        #expect(preview.stdout.contains("\"floor_before\" : 0"), "\(preview.stdout)")
        let stats = try ChildProcess.nonce(["stream", "list", "--db", db])
        #expect(stats.status != 0, "the dry run created the schema: \(stats.stdout)")
    }

    @Test("a wrong password is a clear error at the command line, with no password in it")
    func wrongPassword() throws {
        let port = try #require(URLComponents(string: TestBackend.postgresURI ?? "")?.port)
        let result = try ChildProcess.nonce(["next", "--db", "postgresql://noncebot:not-it-77@127.0.0.1:\(port)/postgres?sslmode=disable"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("refused the login of user 'noncebot'"), "\(result.stderr)")
        #expect(!result.stderr.contains("not-it-77"))
    }
}
#endif
