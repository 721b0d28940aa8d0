import Foundation
import NonceTestSupport
import Testing

/// Another program's SQLite database in WAL mode, open in that program: NonceStore
/// recognises it as not its own from the file's header and never opens it for writing, so
/// the program's log stays where it is and its later writes land.
@Suite("Another program's live database")
struct ForeignLiveDatabaseTests {
    /// The other program: Python's sqlite3 keeps a connection open, writes once at the
    /// start, and once more when the file `go` appears; it prints the row count each time.
    static let program = """
        import os, sqlite3, sys, time
        c = sqlite3.connect(sys.argv[1], isolation_level=None)
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("PRAGMA wal_autocheckpoint=0")
        c.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, pair TEXT)")
        c.execute("INSERT INTO orders (pair) VALUES ('XBTUSD')")
        print("ready", flush=True)
        while not os.path.exists(sys.argv[2]):
            time.sleep(0.01)
        c.execute("INSERT INTO orders (pair) VALUES ('ETHUSD')")
        print(c.execute("SELECT count(*) FROM orders").fetchone()[0], flush=True)
        """

    @Test("every command refuses it, its file, -wal and -shm stay byte-identical, and the program still writes")
    func leftAlone() throws {
        let directory = try TemporaryDirectory()
        let database = directory.path("orders.sqlite"), go = directory.path("go")
        let python = URL(fileURLWithPath: "/usr/bin/env")
        let other = try RunningChild(python, ["python3", "-c", Self.program, database, go])
        defer { other.kill() }
        #expect(other.readLine() == "ready", "\(other.failureReport)")
        let files = [database, database + "-wal", database + "-shm"]
        let before = try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }

        for command in [["next"], ["stats"], ["verify"], ["stream", "list"], ["jump", "--by", "1s"]] {
            let result = try ChildProcess.nonce(command + ["--db", database])
            #expect(result.status != 0 && result.stdout.isEmpty, "\(command)")
            #expect(result.stderr.contains("an SQLite database of another application"), "\(command): \(result.stderr)")
        }
        let after = try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        #expect(after == before, "the file, its -wal and its -shm are byte-identical")

        try #require(FileManager.default.createFile(atPath: go, contents: Data()))
        #expect(other.readLine() == "2", "the program's later write landed: \(other.failureReport)")
        other.process.waitUntilExit()
        let check = try ChildProcess.run(python, ["python3", "-c",
            "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM orders').fetchone()[0])", database])
        #expect(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "2", "\(check.stderr)")
    }
}
