import ArgumentParser
import Foundation
import NonceKit

/// `--db` and `--stream`, shared by the subcommands that work on one stream.
struct DatabaseOptions: ParsableArguments {
    @OptionGroup var file: DatabaseFileOption

    @Option(name: .customLong("stream"), help: ArgumentHelp(
        "The stream, usually one per API key (default: $NONCE_STREAM, else 'default').", valueName: "name"))
    var streamOption: String?

    /// `--stream`, else `$NONCE_STREAM` (which `nonce exec` sets for its command), else `default`.
    /// (The libraries take any Unicode form of a name and keep it in normal form C.)
    var stream: String {
        streamOption ?? ProcessInfo.processInfo.environment["NONCE_STREAM"] ?? "default"
    }

    /// True when a stream was named, by `--stream` or `$NONCE_STREAM`.
    var namesStream: Bool { streamOption != nil || ProcessInfo.processInfo.environment["NONCE_STREAM"] != nil }

    var path: String { file.path }

    /// A manager on an existing stream of an existing database, for the commands whose job
    /// is not to create: a mistyped `--db` or `--stream` is an error naming what is missing.
    func openExistingManager() throws -> NonceManager {
        let database = try openExistingDatabase()
        guard try database.mode(of: stream) != nil else {
            throw ValidationError("no stream named '\(stream)' in '\(path)'; create it with: nonce stream create \(stream)")
        }
        return try NonceManager(database: database, configuration: managerConfiguration())
    }

    func validate() throws {
        if streamOption == nil, ProcessInfo.processInfo.environment["NONCE_STREAM"] == "" {
            throw ValidationError("$NONCE_STREAM is set but empty: set it to a stream name, or unset it for 'default'")
        }
    }

    func openExistingDatabase() throws -> NonceDatabase { try file.openExistingDatabase() }
    func openInspector() throws -> NonceInspector { try file.openInspector() }

    /// A manager's settings for `--stream`, with the waits of `--wait`.
    func managerConfiguration() -> NonceManager.Configuration {
        NonceManager.Configuration(stream: stream, timing: .init(
            claimWait: file.wait?.duration, databaseWait: file.databaseWait))
    }
}

/// `--db` alone, for the subcommands that name streams otherwise.
struct DatabaseFileOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The database: a SQLite file, or a PostgreSQL server as postgresql://user@host:port/dbname "
            + "(password from the URI or $PGPASSWORD; ?sslmode=, ?schema=).", valueName: "path-or-uri"))
    var db: String?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "How long to wait for other processes: for a turn at the database's write lock (default 10s) "
            + "and, on an exclusive stream, for its holder to release it (default: fail at once).",
        valueName: "duration"))
    var wait: DurationArgument?

    func validate() throws {
        try wait?.requirePositive("--wait")

        if isServer { return }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ValidationError("'\(path)' is a directory: give the database file's path, e.g. \(path)/nonces.sqlite")
        }
    }

    /// `--db`, else `$NONCE_DB`, else `./nonces.sqlite`.
    var path: String {
        if let db { return db }
        if let fromEnvironment = ProcessInfo.processInfo.environment["NONCE_DB"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return "nonces.sqlite"
    }

    /// True when `--db` names a PostgreSQL server.
    var isServer: Bool { NonceDatabase.isServer(path) }

    /// True when the database is there already: the file exists, or the server is named
    /// (whether its schema exists, opening it tells).
    var exists: Bool { isServer || FileManager.default.fileExists(atPath: path) }

    /// Opens an existing database for the commands that must not create one: a mistyped
    /// path is an error, not a new empty file.
    func openExistingDatabase() throws -> NonceDatabase {
        try NonceDatabase(path, create: false, wait: databaseWait)
    }

    /// The read-only door for the reading commands, as a library user has it: a missing
    /// file is an error, nothing is created.
    func openInspector() throws -> NonceInspector {
        try NonceInspector(database: path, wait: databaseWait)
    }

    /// The database a dry run previews against; nil when there is none yet. Creates nothing.
    func openForPreview() throws -> NonceDatabase? {
        try NonceDatabase.existing(path, wait: databaseWait)
    }

    /// Opens the database, creating it when missing: for the commands whose job is to create.
    func openDatabase() throws -> NonceDatabase {
        try NonceDatabase(path, create: true, wait: databaseWait)
    }

    /// `--wait` as the wait for a turn at the database's write lock (default 10 seconds).
    var databaseWait: Duration { wait?.duration ?? .seconds(10) }
}

/// Parses `500ms`, `1.5s`, `1h30m`, `2d` and the like (``Duration/parsingForms``) for `@Option`s.
struct DurationArgument: ExpressibleByArgument {
    let duration: Duration
    /// As typed, so help shows defaults the way users write them (`24h`).
    let text: String

    init?(argument: String) {
        guard let duration = Duration(parsing: argument) else { return nil }
        self.duration = duration
        text = argument
    }

    var defaultValueDescription: String { text }

    static var defaultCompletionKind: CompletionKind { .default }

    /// Refuses zero and negative durations, naming the option.
    func requirePositive(_ option: String) throws {
        guard duration > .zero else { throw ValidationError("\(option) must be a positive duration, not \(text)") }
    }
}
