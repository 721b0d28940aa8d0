/// What a nonce file's bytes hold, before units are decided.
public enum LegacyContent: Sendable, Equatable {
    /// No value: an empty file or whitespace (an interrupted plain write). NUL bytes are not
    /// "nothing": they are ``LegacyValueProblem/onlyZeroBytes``.
    case empty
    /// The decimal integers, one per non-blank line, as written.
    case values([String])
    /// Something that is not a list of whole numbers.
    case invalid(LegacyValueProblem)

    /// Reads `bytes`: one integer per line; surrounding spaces, tabs and CR are ignored.
    /// Never traps, whatever the bytes.
    public init(bytes: some Collection<UInt8>) {
        var values: [String] = []
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = Array(line.drop(while: Self.isBlank).reversed().drop(while: Self.isBlank).reversed())
            if trimmed.isEmpty { continue }
            if trimmed.allSatisfy({ $0 == 0 }) {
                self = .invalid(.onlyZeroBytes)
                return
            }
            guard trimmed.allSatisfy({ (0x30...0x39).contains($0) }) else {
                self = .invalid(.notANumber(line: lineNumber, text: Self.printable(trimmed)))
                return
            }
            values.append(String(decoding: trimmed, as: UTF8.self))
        }
        self = values.isEmpty ? .empty : .values(values)
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }

    /// The text shown in an error: at most 40 characters, with anything unprintable escaped.
    private static func printable(_ bytes: [UInt8]) -> String {
        var text = ""
        for byte in bytes.prefix(40) {
            if (0x20..<0x7F).contains(byte), byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                text += "\\x" + String(byte, radix: 16, uppercase: false).leftPadded(to: 2)
            }
        }
        return bytes.count > 40 ? text + "..." : text
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
