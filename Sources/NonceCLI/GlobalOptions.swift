/// Lets the options every subcommand shares come before the subcommand's name, as `git -C`
/// or `kubectl --context` users type them: `nonce --db x.sqlite next` is
/// `nonce next --db x.sqlite`.
///
/// ArgumentParser reads options only where they are declared (on each subcommand), so the
/// leading ones are moved behind the subcommand path, before a `--` that starts a command's
/// own arguments (`nonce exec`).
enum GlobalOptions {
    /// The options (each taking a value) that may come first.
    static let names: Set<String> = ["--db", "--stream", "--wait"]

    static func movedAfterSubcommand(_ arguments: [String]) -> [String] {
        var moved: [String] = []
        var index = 0
        while index < arguments.count, arguments[index].hasPrefix("-"), arguments[index] != "--" {
            let argument = arguments[index]
            let name = String(argument.split(separator: "=", maxSplits: 1).first ?? "")
            guard names.contains(name) else { break }
            if argument.contains("=") {
                moved.append(argument)
                index += 1
            } else {
                moved.append(contentsOf: arguments[index..<min(index + 2, arguments.count)])
                index += 2
            }
        }
        guard !moved.isEmpty else { return arguments }
        var rest = Array(arguments[min(index, arguments.count)...])
        let end = rest.firstIndex(of: "--") ?? rest.endIndex
        rest.insert(contentsOf: moved, at: end)
        return rest
    }
}
