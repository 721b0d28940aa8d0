import Foundation
import NonceTestSupport
import Testing

/// A stream name is one name however it was typed: stored and compared in Unicode normal
/// form C. An empty `$NONCE_STREAM` is refused as `--stream ''` is.
@Suite("Stream names in one form")
struct StreamNameFormTests {
    @Test("café typed precomposed (NFC) and decomposed (NFD) is one stream")
    func oneStreamForBothForms() throws {
        let directory = try TemporaryDirectory()
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        #expect(Array(composed.utf8) != Array(decomposed.utf8))
        let first = try ChildProcess.nonce(["next", "--db", directory.database, "--stream", composed])
        let second = try ChildProcess.nonce(["next", "--db", directory.database, "--stream", decomposed])
        let third = try ChildProcess.nonce(["next", "--db", directory.database], environment: ["NONCE_STREAM": decomposed])
        #expect(first.status == 0 && second.status == 0 && third.status == 0, "\(first.stderr)\(second.stderr)\(third.stderr)")
        let nonces = [first, second, third].compactMap { UInt64($0.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(nonces.count == 3 && nonces == nonces.sorted() && Set(nonces).count == 3, "one sequence: \(nonces)")
        let list = try ChildProcess.nonce(["stream", "list", "--db", directory.database, "--json"])
        let streams = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]], "\(list.stdout)")
        #expect(streams.count == 1)
        let name = try #require(streams.first?["stream"] as? String)
        #expect(Array(name.utf8) == Array(composed.utf8), "stored in NFC")
    }

    @Test("an empty $NONCE_STREAM is refused, not taken as 'default'")
    func emptyEnvironmentStream() throws {
        let directory = try TemporaryDirectory()
        let result = try ChildProcess.nonce(["next", "--db", directory.database], environment: ["NONCE_STREAM": ""])
        #expect(result.status != 0 && result.stdout.isEmpty)
        #expect(result.stderr.contains("$NONCE_STREAM is set but empty"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.database), "nothing was created")
    }
}
