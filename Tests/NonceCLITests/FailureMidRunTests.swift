import Foundation
import NonceBackend
#if PostgreSQL
import NoncePostgres
#endif
import NonceSQLite
import NonceTestSupport
import Testing

/// A `nonce next --count N` that fails part-way has handed out every nonce it issued
/// before the failure (their marks are durable): it prints them all, then the error.
@Suite("nonce next --count N that fails mid-run")
struct FailureMidRunTests {
    @Test("prints every nonce issued before the error, then exits non-zero (807 nonces below 2^63-1, then exhausted)",
          arguments: TestBackend.available)
    func printsWhatItIssued(backend: TestBackend) throws {
        let directory = try TemporaryDirectory()
        let db = backend.database(in: directory)
        #expect(try ChildProcess.nonce(["next", "--stream", "x", "--db", db]).status == 0)
        // 807 nonces left below 2^63-1: fewer bytes than one output buffer (64 KiB), which
        // was dropped whole when the run failed.
        let update = "UPDATE streams SET last_issued = 9223372036854775000, high_water_mark = 9223372036854775000 WHERE name = 'x'"
        switch backend {
        case .sqlite: try SQLiteStore(path: db).withConnection { try $0.execute(update) }
        case .postgres:
            #if PostgreSQL
            try PostgresStore(uri: db).execute(sql: update)
            #endif
        }
        let run = try ChildProcess.nonce(["next", "--count", "5000", "--stream", "x", "--db", db])
        #expect(run.status != 0)
        #expect(run.stderr.contains("2^63-1"), "\(run.stderr)")
        let printed = run.lines.compactMap(UInt64.init)
        #expect(printed.count == 807 && printed.first == 9_223_372_036_854_775_001 && printed.last == UInt64(Int64.max),
                "printed \(printed.count)")
    }
}
