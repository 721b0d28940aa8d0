import Foundation
import NonceKit
import NonceKitTesting
import Testing

/// What a package that depends on the products sees: the error named after `import
/// NonceKit` alone, its codes to switch on, and a database of the test's own.
@Suite("A user's package names the error and tests against a temporary database")
struct NameableErrorTests {
    /// A bot's own code: untyped throws, as most of it is, mixing its errors with ours.
    static func startBot(database: String) throws -> NonceManager {
        try NonceManager(path: database, configuration: .init(stream: "k"))
    }

    @Test("a held stream is refused with a NonceStoreError a user can catch by type and switch on")
    func catchByType() throws {
        let database = try TemporaryDatabase()
        let holder = try Self.startBot(database: database.path)
        defer { try? holder.close() }
        var seen: NonceStoreError.Code?
        do {
            _ = try Self.startBot(database: database.path)
        } catch let error as NonceStoreError {
            switch error.code {
            case .streamHeld: seen = error.code
            default: Issue.record("expected stream_held, got \(error.code): \(error)")
            }
        }
        #expect(seen == .streamHeld)
    }

    @Test("the administration API is public: create, set a mode, copy, each refusal with its code")
    func administration() throws {
        let source = try TemporaryDatabase(), target = try TemporaryDatabase()
        let database = try NonceDatabase(source.path)
        let created = try database.createStream("k", mode: .exclusive)
        #expect(created.mode == .exclusive && created.created)
        #expect(try database.setMode(.shared, of: "k"))
        let manager = try NonceManager(database: database, configuration: .init(stream: "k", mode: .shared))
        let issued = try manager.next()
        do {
            _ = try database.setMode(.exclusive, of: "k")
            Issue.record("a held stream's mode changed")
        } catch {
            // Typed throws: the compiler knows it is a NonceStoreError, nothing else can come out.
            #expect(error.code == .streamHeld)
        }
        try manager.close()
        let copies = try database.copyStreams(to: NonceDatabase(target.path))
        #expect(copies.map(\.stream) == ["k"])
        #expect(copies[0].floorAfter >= Int64(issued))
        let copied = try NonceManager(path: target.path, configuration: .init(stream: "k", mode: .shared))
        defer { try? copied.close() }
        #expect(try copied.next() > issued)
    }

    @Test("a TemporaryDatabase removes the database and every file beside it when it goes away")
    func temporaryDatabaseCleansUp() throws {
        var directory = ""
        do {
            let database = try TemporaryDatabase()
            directory = database.directory
            let manager = try NonceManager(path: database.path, configuration: .init(stream: "k"))
            _ = try manager.next()
            #expect(access(database.path, F_OK) == 0)
            try manager.close()
        }
        #expect(!directory.isEmpty)
        #expect(access(directory, F_OK) != 0, "the directory is gone")
    }
}
