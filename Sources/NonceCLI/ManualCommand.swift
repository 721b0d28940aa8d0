import ArgumentParser

/// `nonce manual`: the man page, with the "µ" that `swift package generate-manual` drops.
struct ManualCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manual",
        abstract: "Print the nonce(1) man page (mdoc); 'nonce manual > nonce.1 && man -l nonce.1'."
    )

    func run() throws {
        try Output.write(try ManualPage(dumpedHelp: NonceCommand._dumpHelp()).text)
    }
}
