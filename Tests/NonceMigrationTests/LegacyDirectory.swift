import Foundation
import NonceTestSupport

/// An old bot's working directory, written by a test: files relative to its root.
final class LegacyDirectory {
    let temporary: TemporaryDirectory
    var root: String { temporary.path("bot") }
    var database: String { temporary.database }

    init(_ name: String = #function) throws {
        temporary = try TemporaryDirectory(name)
        try FileManager.default.createDirectory(atPath: temporary.path("bot/data"), withIntermediateDirectories: true)
    }

    /// Writes `content` at `relative` (under the root) and returns the file's absolute path.
    @discardableResult
    func write(_ relative: String, _ content: String) throws -> String {
        try write(relative, bytes: Array(content.utf8))
    }

    @discardableResult
    func write(_ relative: String, bytes: [UInt8]) throws -> String {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw CocoaError(.fileWriteUnknown)
        }
        return path
    }

    /// Every file under the root with its bytes, modification time and permissions: what
    /// "the old files are never touched" compares.
    func snapshot() throws -> [String: String] {
        var result: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            let path = root + "/" + relative
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let data = FileManager.default.contents(atPath: path) ?? Data()
            result[relative] = "\(data.base64EncodedString()) \(attributes[.modificationDate] ?? "") \(attributes[.posixPermissions] ?? "")"
        }
        return result
    }

    /// The database file's bytes (read while no connection is open).
    func databaseBytes() -> Data? {
        FileManager.default.contents(atPath: database)
    }
}

/// Nonce text `offset` nanoseconds from the fixed clock, in `unit`.
func legacyValue(_ unit: String, plus offset: Int64 = 0) -> String {
    let nanoseconds = fixedNow + offset
    switch unit {
    case "ms": return String(nanoseconds / 1_000_000)
    case "us": return String(nanoseconds / 1_000)
    default: return String(nanoseconds)
    }
}

let minute: Int64 = 60_000_000_000
