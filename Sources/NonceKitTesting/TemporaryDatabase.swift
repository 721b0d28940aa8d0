import Foundation

/// A NonceStore database of a test's own, in a new private directory, removed with every
/// file beside it (`-wal`, `-shm`, lock files) when the value goes away.
///
/// Tests run in parallel: each owns its own database, so none sees another's streams or
/// waits on another's locks.
///
/// ```swift
/// @Test func botTakesIncreasingNonces() throws {
///     let database = try TemporaryDatabase()
///     let manager = try NonceManager(path: database.path, configuration: .init(stream: "kraken"))
///     defer { try? manager.close() }
///     #expect(try manager.next() < manager.next())
/// }
/// ```
///
/// Close the managers on it before it goes: the files are removed whether or not they are
/// in use, and a manager still open would then write to a removed file.
public final class TemporaryDatabase: Sendable {
    /// The database file's path. Nothing is there until the first manager creates it.
    public let path: String
    /// The directory that holds it and everything SQLite writes beside it.
    public let directory: String

    /// Makes a new private directory (mode 0700) in the system's temporary directory
    /// (`TMPDIR`), and names the database `name` inside it.
    ///
    /// - Throws: `CocoaError` when the directory cannot be made.
    public init(name: String = "nonces.sqlite") throws {
        let base = FileManager.default.temporaryDirectory.path
        var template = Array("\(base)/noncekit-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: base,
                NSLocalizedDescriptionKey: "cannot make a temporary directory in \(base): \(String(cString: strerror(errno)))"])
        }
        directory = String(cString: made)
        path = directory + "/" + name
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
