import Foundation

/// The backends the behaviour tests run against: SQLite always, PostgreSQL when
/// `NONCESTORE_TEST_POSTGRES` holds a server's URI (`.ci/run` starts one and sets it).
public enum TestBackend: String, Sendable, CaseIterable {
    case sqlite
    case postgres

    /// The test server's URI, if one was given and this build has the PostgreSQL backend.
    public static let postgresURI: String? = {
        #if !PostgreSQL
        FileHandle.standardError.write(Data(
            "PostgreSQL tests not built: this build has no PostgreSQL trait (swift test --traits PostgreSQL)\n".utf8))
        return nil
        #else
        let uri = ProcessInfo.processInfo.environment["NONCESTORE_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
        if uri == nil {
            FileHandle.standardError.write(Data(
                "PostgreSQL tests skipped: run them with NONCESTORE_TEST_POSTGRES=$(bash .ci/postgres-start) swift test\n".utf8))
        }
        return uri
        #endif
    }()

    /// Every backend this run can test.
    public static var available: [TestBackend] { postgresURI == nil ? [.sqlite] : [.sqlite, .postgres] }

    /// A database of the test's own: a file in `directory`, or a fresh schema on the server.
    public func database(in directory: TemporaryDirectory) -> String {
        switch self {
        case .sqlite: directory.database
        case .postgres: Self.freshSchema()
        }
    }

    /// The test server's URI with a new schema of its own, so tests never share one.
    public static func freshSchema(_ base: String? = postgresURI) -> String {
        let uri = base ?? "postgresql://postgres@127.0.0.1:1/postgres"
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        return uri + (uri.contains("?") ? "&" : "?") + "schema=\(schema)"
    }
}
