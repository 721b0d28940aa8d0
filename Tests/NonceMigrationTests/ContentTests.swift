import NonceMigration
import Testing

@Suite("Legacy file contents")
struct ContentTests {
    @Test("whitespace, newlines and CRLF around a value are ignored", arguments: [
        "1764000000000", "1764000000000\n", "  1764000000000  ", "1764000000000\r\n", "\t1764000000000\r\n\r\n", "\n\n1764000000000",
    ])
    func trimmed(text: String) {
        #expect(LegacyContent(bytes: Array(text.utf8)) == .values(["1764000000000"]))
    }

    @Test("several lines give several values, in order")
    func severalLines() {
        #expect(LegacyContent(bytes: Array("1764000000000\r\n1764000000500\n\n1763999999000".utf8))
            == .values(["1764000000000", "1764000000500", "1763999999000"]))
    }

    @Test("empty and blank files carry no value", arguments: [[], Array(" \n\r\n".utf8)])
    func empty(bytes: [UInt8]) {
        #expect(LegacyContent(bytes: bytes) == .empty)
    }

    @Test("NUL bytes where a value should be are suspect, not nothing", arguments: [[0, 0, 0, 0], [0, 10, 0], Array("1764000000000\n".utf8) + [0, 0]])
    func zeroFilled(bytes: [UInt8]) {
        #expect(LegacyContent(bytes: bytes) == .invalid(.onlyZeroBytes))
    }

    @Test("anything but whole decimal numbers is invalid, naming the line", arguments: [
        ("-1764000000000", 1), ("1764000000000.5", 1), ("1.764e12", 1), ("1764000000000\nabc", 2), ("{\"nonce\": 1}", 1),
        ("17640000\u{0}00000", 1), ("+1764000000000", 1), ("1764 000000000", 1),
    ])
    func invalid(text: String, line: Int) {
        guard case .invalid(.notANumber(let reported, _)) = LegacyContent(bytes: Array(text.utf8)) else {
            Issue.record("\(text.debugDescription) should be invalid")
            return
        }
        #expect(reported == line)
    }
}
