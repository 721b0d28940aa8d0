#if PostgreSQL  // Without the trait this module is empty and builds no network stack.
/// Splits a script into statements at the semicolons outside quotes, dollar-quoted bodies
/// and comments: postgres-nio speaks only the extended protocol, one statement at a time.
enum SQLScript {
    static func statements(_ script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        let characters = Array(script)
        var index = 0
        var quote: Character?          // ' or " while inside one
        var dollarTag: String?         // "$$" or "$name$" while inside a dollar-quoted body
        func flush() {
            let text = current.trimmingWhitespace
            if !text.isEmpty && !text.allSatisfy({ $0 == ";" }) { statements.append(text) }
            current = ""
        }
        while index < characters.count {
            let character = characters[index]
            if let tag = dollarTag {
                if character == "$", String(characters[index..<min(characters.count, index + tag.count)]) == tag {
                    current += tag
                    index += tag.count
                    dollarTag = nil
                    continue
                }
            } else if let open = quote {
                if character == open { quote = nil }
            } else if character == "-", index + 1 < characters.count, characters[index + 1] == "-" {
                while index < characters.count, characters[index] != "\n" { index += 1 }
                continue
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "$", let end = characters[(index + 1)...].firstIndex(of: "$"),
                      characters[(index + 1)..<end].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                let tag = String(characters[index...end])
                current += tag
                index = end + 1
                dollarTag = tag
                continue
            } else if character == ";" {
                flush()
                index += 1
                continue
            }
            current.append(character)
            index += 1
        }
        flush()
        return statements
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
#endif
