/// The rules a stream name follows, judged on what a person sees and on what is stored.
package enum StreamName {
    /// Characters as a person counts them (grapheme clusters).
    package static let characters = 1...200
    /// Bytes stored: bounds names whose characters carry long runs of combining marks.
    package static let utf8Bytes = 800

    /// `name` in Unicode normal form C, the one form names are stored and compared in: `café`
    /// typed precomposed (NFC) or decomposed (NFD, as macOS file names and some keyboards
    /// give it) is one stream. SQLite compares bytes, so the two forms would otherwise make
    /// two streams that look the same. ASCII, almost every name, is NFC already. The
    /// standard library's own NFC (what `String` equality uses) does the work.
    package static func normalized(_ name: String) -> String {
        if name.utf8.allSatisfy({ $0 < 0x80 }) { return name }
        return String(decoding: name._nfcCodeUnits, as: UTF8.self)
    }

    /// Why `name` is not a valid stream name, or nil when it is.
    package static func problem(with name: String) -> String? {
        guard characters.contains(name.count) else {
            return name.isEmpty ? "it is empty" : "it has \(name.count) characters, more than \(characters.upperBound)"
        }
        guard name.utf8.count <= utf8Bytes else {
            return "it takes \(name.utf8.count) bytes (\(name.unicodeScalars.count) code points for \(name.count) visible "
                + "characters), more than \(utf8Bytes)"
        }
        if let scalar = name.unicodeScalars.first(where: isInvisible) {
            return "it contains U+\(String(scalar.value, radix: 16, uppercase: true)), "
                + "an invisible or control character, which would make two names that look the same differ"
        }
        if name.first?.isWhitespace == true || name.last?.isWhitespace == true {
            return "it begins or ends with white space"
        }
        return nil
    }

    /// Control, format (zero-width joiners and spaces, direction marks), separators other
    /// than the space, private-use and unassigned code points.
    private static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .unassigned, .surrogate: true
        default: false
        }
    }

    /// `name` as it can be shown in a message: invisible characters escaped, long names cut.
    package static func shown(_ name: String) -> String {
        var text = ""
        for scalar in name.unicodeScalars.prefix(80) {
            text += isInvisible(scalar) ? "\\u{\(String(scalar.value, radix: 16, uppercase: true))}" : String(scalar)
        }
        return name.unicodeScalars.count > 80 ? text + "..." : text
    }
}
