import Foundation
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

@Suite("A read-only directory")
struct ReadOnlyDirectoryTests {
    /// Runs `nonce` as a user who cannot write to `directory` (see ``Unprivileged``).
    private func runWithoutWriteAccess(_ arguments: [String], in directory: TemporaryDirectory) throws -> ChildProcess.Result {
        if getuid() == 0 {
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.url.path) {
                chown(directory.path(name), Unprivileged.nobody, Unprivileged.nobody)
            }
            chown(directory.url.path, Unprivileged.nobody, Unprivileged.nobody)
        }
        chmod(directory.url.path, 0o555)
        return try Unprivileged.nonce(arguments)
    }

    @Test("issuing fails with an error naming the database, and prints no nonce",
          .enabled(if: Unprivileged.isAvailable))
    func existingDatabase() throws {
        let directory = try TemporaryDirectory()
        let first = try ChildProcess.nonce(["next", "--db", directory.database])
        #expect(first.status == 0, "\(first.stderr)")
        // A process may exit before its connection closes, leaving -wal and -shm behind;
        // with those present (and writable) SQLite needs nothing new in the directory and
        // the write would rightly succeed. The last connection to close removes them.
        do { _ = try SQLiteStore(path: directory.database).streams() }
        try #require(!FileManager.default.fileExists(atPath: directory.database + "-wal"))
        let before = try Data(contentsOf: URL(fileURLWithPath: directory.database))
        let result = try runWithoutWriteAccess(["next", "--db", directory.database], in: directory)
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty, "a nonce was printed: \(result.stdout)")
        #expect(result.stderr.contains(directory.database), "\(result.stderr)")
        #expect(result.stderr.contains("not writable"), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.database)) == before)
    }

    @Test("a read-only database file: a clear error naming it, and nothing left that outlives the chmod",
          .enabled(if: Unprivileged.isAvailable))
    func readOnlyFile() throws {
        let directory = try TemporaryDirectory()
        let first = try ChildProcess.nonce(["next", "--db", directory.database])
        let firstNonce = try #require(UInt64(first.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(first.stderr)")
        // The -wal and -shm are the database's too: a first run the machine's load cut short of
        // removing them leaves them as SQLite allows, and they then belong to the same user.
        let companions = [directory.database + "-wal", directory.database + "-shm"]
        if getuid() == 0 {
            for path in [directory.url.path, directory.database] + companions { chown(path, Unprivileged.nobody, Unprivileged.nobody) }
        }
        let before = companions.map { Self.modeAndSize(of: $0) }
        chmod(directory.database, 0o444)
        let refused = try Unprivileged.nonce(["next", "--db", directory.database])
        #expect(refused.status != 0 && refused.stdout.isEmpty)
        #expect(refused.stderr.contains(directory.database) && refused.stderr.contains("read-only"), "\(refused.stderr)")
        #expect(companions.map { Self.modeAndSize(of: $0) } == before, "the refused run created or changed no -wal or -shm")
        chmod(directory.database, 0o600)
        let after = try Unprivileged.nonce(["next", "--db", directory.database])
        #expect(after.status == 0, "\(after.stderr)")
        #expect((UInt64(after.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > firstNonce)
    }

    @Test("a new database cannot be created there: a clear error",
          .enabled(if: Unprivileged.isAvailable))
    func newDatabase() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("new.sqlite")
        let result = try runWithoutWriteAccess(["next", "--db", path], in: directory)
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains(path), "\(result.stderr)")
        #expect(result.stderr.contains("its directory is not writable"), "\(result.stderr)")
    }

    /// A file's permission bits and size, or nil when it does not exist.
    static func modeAndSize(of path: String) -> [Int64]? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return [Int64(status.st_mode & 0o7777), Int64(status.st_size)]
    }
}
