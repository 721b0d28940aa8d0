#if PostgreSQL  // Without the trait this module is empty and builds no network stack.
public import NonceBackend
import PostgresNIO

/// What a PostgreSQL server said about a failed request: the cause of a
/// `NonceStoreError` from the PostgreSQL backend.
///
/// postgres-nio's own error describes itself with a fixed placeholder, so that a log line
/// cannot leak what a query carried; its server fields are what people need to act on
/// (the message, the SQLSTATE, the detail and hint). They are copied here and shown, in the
/// error's message. A server never puts the login's password in them.
public struct PostgresServerError: Error, Sendable, CustomStringConvertible, CauseInMessage {
    /// The five-character SQLSTATE (`23505`, `25006`, `NS002`...), when the server sent one.
    public let sqlState: String?
    /// The server's primary message, or what went wrong on the connection when the server
    /// sent nothing.
    public let message: String
    /// The server's detail, when it sent one.
    public let detail: String?
    /// The server's hint, when it sent one.
    public let hint: String?
    /// postgres-nio's error underneath.
    public let underlying: any Error

    init(_ error: PSQLError) {
        let info = error.serverInfo
        sqlState = info?[.sqlState]
        message = info?[.message] ?? Self.words(error)
        detail = info?[.detail]
        hint = info?[.hint]
        underlying = error
    }

    /// What went wrong when the server sent no message: the connection's fate, in words,
    /// then what lies underneath (a nested postgres-nio error in its own words too: its
    /// description is the placeholder).
    private static func words(_ error: PSQLError) -> String {
        var text = switch error.code {
        case .serverClosedConnection: "the server closed the connection"
        case .clientClosedConnection: "the connection was already closed"
        case .uncleanShutdown: "the connection ended uncleanly"
        case .connectionError: "the connection failed"
        default: "\(error.code)"
        }
        if let inner = error.underlying {
            text += ": " + ((inner as? PSQLError).map { $0.serverInfo?[.message] ?? words($0) } ?? "\(inner)")
        }
        return text
    }

    /// The message, then the SQLSTATE, detail and hint the server gave.
    public var description: String {
        var text = message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail, !detail.isEmpty { text += "; detail: \(detail)" }
        if let hint, !hint.isEmpty { text += "; hint: \(hint)" }
        return text
    }
}
#endif
