import Foundation
import NonceKit
import Testing

/// The error codes are listed once, in NonceKit's "Error codes" article; the Swift type and
/// the Python package (its own test) must say exactly what that list says.
@Suite("The error codes: one list")
struct ErrorCodeListTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The codes in the article's table (`| \`code\` | meaning |` rows).
    static func documented() throws -> [String] {
        let text = try String(contentsOf: root.appendingPathComponent("Sources/NonceKit/NonceKit.docc/ErrorCodes.md"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("| `") else { return nil }
            return line.dropFirst(3).split(separator: "`").first.map(String.init)
        }
    }

    /// The codes `NonceStoreError.Code` declares, read from its source: a constant added
    /// there without a row in the article fails here.
    static func declared() throws -> [String] {
        let text = try String(contentsOf: root.appendingPathComponent("Sources/NonceBackend/NonceStoreError.swift"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            guard line.contains("public static let"), let open = line.range(of: "Code(\"") else { return nil }
            return line[open.upperBound...].split(separator: "\"").first.map(String.init)
        }
    }

    @Test("every code NonceStoreError declares is in the article, and nothing else is")
    func sameCodes() throws {
        let documented = try Self.documented(), declared = try Self.declared()
        #expect(documented.count > 20)
        #expect(Set(documented).count == documented.count, "a code listed twice")
        #expect(Set(documented) == Set(declared),
                "documented only: \(Set(documented).subtracting(declared)); declared only: \(Set(declared).subtracting(documented))")
    }

    @Test("a code's description is the snake_case string the list, the CLI's JSON and Python use")
    func descriptions() throws {
        let documented = try Self.documented()
        let codes: [NonceStoreError.Code] = [.streamHeld, .exhausted, .databaseMoved, .apiLockTimedOut, .importRejected]
        #expect(codes.map(\.description) == ["stream_held", "exhausted", "database_moved", "api_lock_timed_out", "import_rejected"])
        #expect(codes.allSatisfy { documented.contains($0.description) })
    }
}
