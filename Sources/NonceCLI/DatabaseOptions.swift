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

    /// A manager's settings for `--stream`, with the waits of `--wait`.
    func managerConfiguration() -> NonceManager.Configuration {
        NonceManager.Configuration(stream: stream, claimWait: file.wait?.duration, store: file.storeConfiguration())
    }
}

/// `--db` alone, for the subcommands that name streams otherwise.
struct DatabaseFileOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The database file.", valueName: "path"))
    var db: String?

    @Option(help: ArgumentHelp(
        "How long to wait for other processes: for a turn at the database's write lock (default 10s) "
            + "and, on an exclusive stream, for its holder to release it (default: fail at once).",
        valueName: "duration"))
    var wait: DurationArgument?

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
        try NonceStore(path: path, configuration: storeConfiguration(createIfMissing: false))
    }

    /// Opens the database, creating it when missing: for the commands whose job is to create.
    func openStore() throws -> NonceStore {
        try NonceStore(path: path, configuration: storeConfiguration())
    }

    /// The connection settings, with `--wait` as the write-lock wait.
    func storeConfiguration(createIfMissing: Bool = true) -> NonceStore.Configuration {
        var configuration = NonceStore.Configuration(createIfMissing: createIfMissing)
        if let wait { configuration.busyTimeout = wait.duration }
        return configuration
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
