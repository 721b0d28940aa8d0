public import Foundation

/// A fresh directory of one test's own, removed when the test is done with it.
/// Tests run in parallel; none shares a database with another.
public final class TemporaryDirectory: Sendable {
    public let url: URL

    public init(_ name: String = #function) throws {
        QuietLogging.installed
        let safe = name.filter { $0.isLetter || $0.isNumber }.prefix(40)
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("noncestore-\(safe)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the directory.
    public func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }

    /// A database path inside the directory.
    public var database: String { path("nonces.sqlite") }

    deinit {
        // Give back write permission first, in case a test made the directory read-only.
        chmod(url.path, 0o700)
        try? FileManager.default.removeItem(at: url)
    }
}
