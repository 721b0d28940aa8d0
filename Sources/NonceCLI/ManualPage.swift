import Foundation

/// The `nonce(1)` man page in mdoc, rendered from the command tree that swift-argument-parser
/// dumps (`--experimental-dump-help`).
///
/// Why not `swift package generate-manual`: its escaping keeps ASCII only, so "µs" became
/// "s". Here every character outside ASCII is written as a groff/mandoc `\[uXXXX]` escape.
struct ManualPage {
    /// The parts of the dump the page uses; the rest of the JSON is ignored.
    struct Command: Decodable {
        var commandName: String
        var abstract: String?
        var discussion: String?
        var shouldDisplay: Bool?
        var arguments: [Argument]?
        var subcommands: [Command]?
    }

    struct Argument: Decodable {
        struct Name: Decodable {
            var kind: String
            var name: String
        }
        var kind: String
        var names: [Name]?
        var valueName: String?
        var abstract: String?
        var discussion: String?
        var defaultValue: String?
        var shouldDisplay: Bool?
        var isOptional: Bool?
    }

    private struct Dump: Decodable { var command: Command }

    let root: Command
    let date: Date

    init(dumpedHelp json: String, date: Date = Date()) throws {
        root = try JSONDecoder().decode(Dump.self, from: Data(json.utf8)).command
        self.date = date
    }

    var text: String {
        var lines: [String] = []
        let name = root.commandName
        let month = DateFormatter()
        month.locale = Locale(identifier: "en_US_POSIX")
        month.dateFormat = "MMMM d, yyyy"
        lines += [".Dd \(month.string(from: date))", ".Dt \(name.uppercased()) 1", ".Os", ".Sh NAME", ".Nm \(name)"]
        if let abstract = root.abstract { lines.append(".Nd " + Self.argument(abstract)) }
        lines += [".Sh SYNOPSIS", ".Nm", ".Op Ar options", ".Ar subcommand", ".Op Ar subcommand-options"]
        lines.append(".Sh DESCRIPTION")
        lines += Self.paragraphs(root.discussion)
        lines += options(of: root, heading: ".Sh OPTIONS")
        lines.append(".Sh COMMANDS")
        for command in (root.subcommands ?? []) where command.shouldDisplay != false {
            lines += section(for: command, path: [])
        }
        lines += [".Sh ENVIRONMENT", ".Bl -tag -width NONCE_STREAM",
                  ".It Ev NONCE_DB", "The database file when --db is not given.",
                  ".It Ev NONCE_STREAM", "The stream when --stream is not given.", ".El"]
        return lines.joined(separator: "\n") + "\n"
    }

    private func section(for command: Command, path: [String]) -> [String] {
        let path = path + [command.commandName]
        var lines = [".Ss " + Self.argument(path.joined(separator: " "))]
        if let abstract = command.abstract, !abstract.isEmpty { lines.append(Self.textLine(abstract)) }
        lines += Self.paragraphs(command.discussion)
        lines += options(of: command, heading: nil)
        for child in (command.subcommands ?? []) where child.shouldDisplay != false {
            lines += section(for: child, path: path)
        }
        return lines
    }

    private func options(of command: Command, heading: String?) -> [String] {
        let shown = (command.arguments ?? []).filter { $0.shouldDisplay != false }
        guard !shown.isEmpty else { return [] }
        var lines = heading.map { [$0] } ?? []
        lines.append(".Bl -tag -width 6n")
        for argument in shown {
            lines.append(".It " + Self.item(argument))
            var words = argument.abstract ?? ""
            if let value = argument.defaultValue, !value.isEmpty { words += " (default: \(value))" }
            if !words.isEmpty { lines.append(Self.textLine(words)) }
            lines += Self.paragraphs(argument.discussion)
        }
        lines.append(".El")
        return lines
    }

    /// `Fl -db Ar path`, `Ar stream`, `Fl -json`: how the option is typed.
    private static func item(_ argument: Argument) -> String {
        let value = argument.valueName.map { " Ar " + Self.argument($0) } ?? ""
        switch argument.kind {
        case "positional":
            return "Ar " + Self.argument(argument.valueName ?? "value")
        default:
            let names = (argument.names ?? []).map { name in
                (name.kind == "short" ? "Fl " : "Fl -") + Self.argument(name.name)
            }
            return names.joined(separator: " , ") + (argument.kind == "flag" ? "" : value)
        }
    }

    private static func paragraphs(_ text: String?) -> [String] {
        guard let text, !text.isEmpty else { return [] }
        return text.components(separatedBy: "\n\n").flatMap { paragraph in
            [".Pp"] + paragraph.split(separator: "\n", omittingEmptySubsequences: true).map { textLine(String($0)) }
        }
    }

    /// A text line: a leading `.` or `'` would read as a macro, backslashes as escapes.
    static func textLine(_ text: String) -> String {
        let escaped = escape(text)
        return escaped.hasPrefix(".") || escaped.hasPrefix("'") ? "\\&" + escaped : escaped
    }

    /// One macro argument, quoted when it holds spaces.
    static func argument(_ text: String) -> String {
        let escaped = escape(text).replacingOccurrences(of: "\"", with: "\\(dq")
        return escaped.contains(" ") || escaped.isEmpty ? "\"\(escaped)\"" : escaped
    }

    /// Backslash as `\e`, every character outside ASCII as `\[uXXXX]` (µ is `\[u00B5]`).
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\e"
            case "\t": out += " "
            case _ where scalar.isASCII: out.unicodeScalars.append(scalar)
            default: out += "\\[u" + String(format: "%04X", scalar.value) + "]"
            }
        }
        return out
    }
}
