import Foundation
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

/// Damage done beside a running holder, or to the file itself, by hand: no second issuer,
/// no database made from a file that is not one.
@Suite("Files damaged, deleted or linked by hand")
struct TamperingTests {
    @Test("the claim lives on the database file: no lock file to delete, and a second process is refused")
    func noLockFileToDelete() throws {
        let directory = try TemporaryDirectory()
        let holder = try RunningChild(ChildProcess.helper, ["hold", directory.database, "default"])
        defer { holder.kill() }
        #expect(holder.readLine() == "ready \(holder.pid)")
        // An admin clearing "stale lock files": there is nothing beside the database but SQLite's.
        let beside = try FileManager.default.contentsOfDirectory(atPath: directory.url.path)
        #expect(Set(beside).isSubset(of: ["nonces.sqlite", "nonces.sqlite-wal", "nonces.sqlite-shm"]), "\(beside)")
        for name in beside where name.hasSuffix("-locks") { try FileManager.default.removeItem(atPath: directory.path(name)) }
        let second = try ChildProcess.nonce(["next", "--db", directory.database])
        #expect(second.status != 0)
        #expect(second.stdout.isEmpty, "a second issuer got a nonce: \(second.stdout)")
        #expect(second.stderr.contains("held by process \(holder.pid)"), "\(second.stderr)")
    }

    @Test("a symbolic link reaches the same claim; a hard link is refused before anything is read or written")
    func links() throws {
        let directory = try TemporaryDirectory()
        let holder = try RunningChild(ChildProcess.helper, ["hold", directory.database, "default"])
        defer { holder.kill() }
        #expect(holder.readLine() == "ready \(holder.pid)")
        let symlink = directory.path("symlink.sqlite")
        try FileManager.default.createSymbolicLink(atPath: symlink, withDestinationPath: directory.database)
        let viaSymlink = try ChildProcess.nonce(["next", "--db", symlink])
        #expect(viaSymlink.status != 0 && viaSymlink.stdout.isEmpty)
        #expect(viaSymlink.stderr.contains("held by process \(holder.pid)"), "\(viaSymlink.stderr)")

        let hardLink = directory.path("hard.sqlite")
        try #require(link(directory.database, hardLink) == 0)
        let viaHardLink = try ChildProcess.nonce(["next", "--db", hardLink])
        #expect(viaHardLink.status != 0 && viaHardLink.stdout.isEmpty)
        #expect(viaHardLink.stderr.contains("has 2 hard links"), "\(viaHardLink.stderr)")
        #expect(!FileManager.default.fileExists(atPath: hardLink + "-wal"), "SQLite never opened the second name")
    }

    @Test("an empty file is never made a database: planted, behind a symlink, or a truncated database beside its log")
    func emptyFiles() throws {
        let directory = try TemporaryDirectory()
        // Planted: an empty file someone else made, reached through a symlink given as --db.
        let planted = directory.path("planted")
        try #require(FileManager.default.createFile(atPath: planted, contents: Data()))
        let symlink = directory.path("link.sqlite")
        try FileManager.default.createSymbolicLink(atPath: symlink, withDestinationPath: planted)
        let refused = try ChildProcess.nonce(["next", "--db", symlink])
        #expect(refused.status != 0 && refused.stdout.isEmpty)
        #expect(refused.stderr.contains("is an empty file, not a NonceStore database"), "\(refused.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: planted)).isEmpty, "left untouched")

        // Truncated while its write-ahead log (which may hold the newest marks) remains.
        let first = try ChildProcess.nonce(["next", "--db", directory.database])
        try #require(first.status == 0)
        if !FileManager.default.fileExists(atPath: directory.database + "-wal") {
            try #require(FileManager.default.createFile(atPath: directory.database + "-wal", contents: Data([1])))
        }
        let log = try Data(contentsOf: URL(fileURLWithPath: directory.database + "-wal"))
        try #require(truncate(directory.database, 0) == 0)
        for command in [["next"], ["stats"]] {
            let result = try ChildProcess.nonce(command + ["--db", directory.database])
            #expect(result.status != 0 && result.stdout.isEmpty)
            #expect(result.stderr.contains("-wal") && result.stderr.contains("import-legacy --value"), "\(result.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.database + "-wal")) == log, "the log was kept")
    }

    @Test("a creation killed before its rename leaves files that the next creation removes; a live creator's stay")
    func leftoverCreations() throws {
        let directory = try TemporaryDirectory()
        // A process that has exited: its pid names the leftovers of a creation killed mid-way.
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let dead = ".nonces.sqlite.creating-\(gone.processIdentifier)-12345"
        let live = ".nonces.sqlite.creating-\(getpid())-777"
        let unrelated = ".nonces.sqlite.creating-notes"
        // The Python package names its temporary database with a hexadecimal token.
        let deadFromPython = ".nonces.sqlite.creating-\(gone.processIdentifier)-a1b2c3d4"
        for name in [dead, dead + "-wal", dead + "-shm", dead + "-journal", deadFromPython, live, unrelated] {
            try #require(FileManager.default.createFile(atPath: directory.path(name), contents: Data([1])))
        }
        let result = try ChildProcess.nonce(["next", "--db", directory.database])
        #expect(result.status == 0, "\(result.stderr)")
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: directory.url.path))
        #expect(left.isDisjoint(with: [dead, dead + "-wal", dead + "-shm", dead + "-journal", deadFromPython]), "\(left)")
        #expect(left.isSuperset(of: [live, unrelated]), "a live creator's files and other files are kept: \(left)")
    }

    @Test("a new database appears complete: no empty file and no temporary file is ever left")
    func completeCreation() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        #expect(try store.streams().isEmpty)
        var info = stat()
        #expect(stat(directory.database, &info) == 0 && info.st_size > 0 && info.st_nlink == 1)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.url.path)
        #expect(!names.contains { $0.contains("creating") }, "\(names)")
    }

    @Test("root reading another user's database adds no file of its own, and leaves the owner able to issue",
          .enabled(if: getuid() == 0 && Unprivileged.isAvailable))
    func rootReadsAnotherUsersDatabase() throws {
        let directory = try TemporaryDirectory()
        chmod(directory.url.path, 0o777)
        let created = try Unprivileged.nonce(["next", "--db", directory.database])
        try #require(created.status == 0, "\(created.stderr)")
        for command in [["stats"], ["history"], ["verify"], ["stream", "list"]] {
            let read = try ChildProcess.nonce(command + ["--db", directory.database])
            #expect(read.status == 0, "\(read.stderr)")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.url.path)
        #expect(Set(names).isSubset(of: ["nonces.sqlite", "nonces.sqlite-wal", "nonces.sqlite-shm"]), "\(names)")
        for name in names {
            var info = stat()
            #expect(stat(directory.path(name), &info) == 0 && info.st_uid == Unprivileged.nobody, "\(name) is owned by \(info.st_uid)")
        }
        let again = try Unprivileged.nonce(["next", "--db", directory.database])
        #expect(again.status == 0, "the owner is not locked out: \(again.stderr)")
    }
}
