import Foundation
import NonceBackend
import NonceKit
import NonceTestSupport
import Testing

@Suite("nonce copy-stream")
struct CopyStreamTests {
    /// Where a copy goes: the other backend when the run has a server, else another file.
    static func destination(in directory: TemporaryDirectory) -> String {
        TestBackend.postgresURI == nil ? directory.path("other.sqlite") : TestBackend.freshSchema()
    }

    @Test("a stream moves over and back with its floor, mode and history, and an event on each side")
    func overAndBack() throws {
        let directory = try TemporaryDirectory()
        let source = directory.database, destination = Self.destination(in: directory)
        _ = try ChildProcess.nonce(["stream", "create", "shared-one", "--shared", "--db", source])
        let issued = try ChildProcess.nonce(["next", "--count", "50", "--db", source]).lines.compactMap(UInt64.init)
        let sharedIssued = try ChildProcess.nonce(["next", "--count", "5", "--stream", "shared-one", "--db", source]).lines.compactMap(UInt64.init)
        let jumped = try #require(UInt64(try ChildProcess.nonce(["jump", "--by", "1h", "--db", source]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        let copy = try ChildProcess.nonce(["copy-stream", "--from", source, "--to", destination, "--with-history", "--json"])
        #expect(copy.status == 0, "\(copy.stderr)")
        let there = try NonceInspector(database: destination)
        #expect(try there.stats(of: "default").highWaterMark >= jumped)
        #expect(try there.stats(of: "shared-one").mode == .shared)
        #expect(try there.history(of: "default", limit: 100).map(\.nonce) == issued.reversed())
        #expect(try there.events(of: "default", limit: 5).contains { $0.kind == "copy" })
        #expect(try NonceInspector(database: source).events(of: "default", limit: 5).contains { $0.kind == "copy" })
        // Issuing there continues above everything the source issued, jump included.
        let next = try #require(UInt64(try ChildProcess.nonce(["next", "--db", destination]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(next > jumped)
        let sharedNext = try #require(UInt64(try ChildProcess.nonce(["next", "--stream", "shared-one", "--db", destination]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(sharedNext > sharedIssued.max()!)
        // And back: the source's floor rises to what the destination issued.
        let back = try ChildProcess.nonce(["copy-stream", "--from", destination, "--to", source, "--stream", "default"])
        #expect(back.status == 0, "\(back.stderr)")
        let after = try #require(UInt64(try ChildProcess.nonce(["next", "--db", source]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(after > next)
        #expect(try NonceInspector(database: source).verify().isValid)
    }

    @Test("a stream in use at the source is not copied, and nothing is written at the destination")
    func refusedWhileHeld() throws {
        let directory = try TemporaryDirectory()
        let source = directory.database, destination = Self.destination(in: directory)
        let holder = try RunningChild(ChildProcess.helper, ["hold", source, "default"])
        defer { holder.kill() }
        #expect(holder.readLine()?.hasPrefix("ready") == true)
        let copy = try ChildProcess.nonce(["copy-stream", "--from", source, "--to", destination])
        #expect(copy.status != 0)
        #expect(copy.stderr.contains("held by process"), "\(copy.stderr)")
        #expect(try BackendOpener.open(destination).stream(named: "default") == nil)
    }
}
