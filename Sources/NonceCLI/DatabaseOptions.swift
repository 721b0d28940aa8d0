import ArgumentParser
import Foundation
import NonceKit
import NonceStore

/// `--db` and `--stream`, shared by the subcommands that work on one stream.
struct DatabaseOptions: ParsableArguments {
    @OptionGroup var file: DatabaseFileOption

    @Option(name: .long, help: ArgumentHelp("The stream, usually one per API key.", valueName: "name"))
    var stream = "default"

    var path: String { file.path }

    func openExistingStore() throws -> NonceStore { try file.openExistingStore() }
}

/// `--db` alone, for the subcommands that name streams otherwise.
struct DatabaseFileOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The database file.", valueName: "path"))
    var db: String?

    /// `--db`, else `$NONCE_DB`, else `./nonces.sqlite`.
    var path: String {
        if let db { return db }
        if let fromEnvironment = ProcessInfo.processInfo.environment["NONCE_DB"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return "nonces.sqlite"
    }

    /// Opens an existing database for the read-only commands: a mistyped path is an error,
    /// not a new empty file.
    func openExistingStore() throws -> NonceStore {
        try NonceStore(path: path, configuration: .init(createIfMissing: false))
    }
}

/// Parses `500ms`, `60s`, `10m`, `2h` and the like for `@Option`s.
struct DurationArgument: ExpressibleByArgument {
    let duration: Duration

    init?(argument: String) {
        guard let duration = Duration(parsing: argument) else { return nil }
        self.duration = duration
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
