import Foundation
import NonceBackend
import NonceSQLite
import NonceTestSupport
import Testing

/// "1 to 200 visible characters", judged on what a person sees and on what is stored.
@Suite("Stream names")
struct StreamNameTests {
    static let combining = "e" + String(repeating: "\u{0301}", count: 20_000)

    @Test("names a person could not tell apart, or that hide their size, are refused", arguments: [
        ("", "it is empty"),
        (String(repeating: "键", count: 201), "201 characters"),
        (combining, "bytes"),
        ("kraken\u{200B}", "U+200B"),
        ("kra\u{200D}ken", "U+200D"),
        ("kraken\u{202E}", "U+202E"),
        ("kraken\u{7}", "U+7"),
        ("kraken\n2", "U+A"),
        (" kraken", "white space"),
        ("kraken ", "white space"),
    ])
    func refused(name: String, reason: String) throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        do {
            _ = try store.openStream(named: name, mode: .exclusive)
            Issue.record("accepted \(name.debugDescription)")
        } catch let error as NonceStoreError {
            #expect(error.description.contains(reason), "\(error)")
            #expect(error.description.count < 400, "the message stays readable: \(error.description.count) characters")
        }
        #expect(try store.streams().isEmpty)
    }

    @Test("names people write are accepted", arguments: [
        "kraken-main", "Kraken Main", String(repeating: "键", count: 200), "caf\u{65}\u{301}", "🚀 bot", "ключ-1",
    ])
    func accepted(name: String) throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.database)
        #expect(try store.openStream(named: name, mode: .exclusive).name == name)
    }
}
