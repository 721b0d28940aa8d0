#if PostgreSQL  // Without the trait this module is empty and builds no network stack.
import NonceBackend
import PostgresNIO

/// Turns postgres-nio's errors into ``NonceStoreError``s with the server's own words, and
/// the schema's refusals (SQLSTATE class NS, see the first migration) into their codes.
enum PostgresFailure {
    /// The SQLSTATEs the schema raises.
    enum Refusal: String {
        case noStream = "NS001"
        case exclusive = "NS002"
        case exhausted = "NS003"
        case historyKept = "NS004"
        case badJump = "NS005"
        case labelTooLong = "NS006"

        /// The code a caller switches on: the same as the SQLite backend's for the same refusal.
        var code: NonceStoreError.Code {
            switch self {
            case .noStream: .streamNotFound
            case .exclusive: .modeMismatch
            case .exhausted: .exhausted
            case .historyKept: .orphanedHistory
            case .badJump, .labelTooLong: .invalidArgument
            }
        }
    }

    /// The SQLSTATE a server error carries, if it is one.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// True when the connection is gone (the next call must connect anew).
    static func isConnectionLost(_ error: PSQLError) -> Bool {
        switch error.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown: true
        default:
            // 57P01..57P03: the server is shutting down or terminated this backend.
            error.serverInfo?[.sqlState].map { $0.hasPrefix("57P") } ?? false
        }
    }

    /// A failure of a statement, with the server's message, SQLSTATE, detail and hint
    /// (postgres-nio's own description of it is a placeholder that says nothing).
    static func describe(_ error: PSQLError, location: PostgresLocation) -> NonceStoreError {
        let server = PostgresServerError(error)
        if isConnectionLost(error) {
            return NonceStoreError(.connectionLost, "the connection to \(location.description) was lost: \(server)",
                                   database: location.description, cause: server)
        }
        if let refusal = server.sqlState.flatMap(Refusal.init(rawValue:)) {
            // The schema's own refusals are written for people already.
            return NonceStoreError(refusal.code, server.description, database: location.description, cause: server)
        }
        switch server.sqlState {
        case "25006":
            return readOnly(location, inRecovery: nil, cause: server)
        default:
            return NonceStoreError(.writeFailed, "\(location.description): \(server)", database: location.description, cause: server)
        }
    }

    /// No reply within the bound: the connection was closed, and whatever it held with it.
    static func noReply(_ wait: ReplyWait.NoReply, location: PostgresLocation) -> NonceStoreError {
        if wait.closed {
            return NonceStoreError(.connectionLost, "the connection to \(location.description) was closed before the server "
                + "replied (a server restart, a terminated or killed backend, a network loss); the claims and locks held on "
                + "it ended with it", database: location.description)
        }
        return NonceStoreError(.connectionLost, "no reply from \(location.description) within \(wait.waited) (the server is "
            + "down, restarting or unreachable, or the connection was lost); the connection was closed, and the claims and "
            + "locks held on it with it", database: location.description)
    }

    /// A server that refuses writes: a standby in recovery (`inRecovery`), one whose sessions
    /// are read-only by setting (`default_transaction_read_only`), or, when it could not be
    /// asked, either.
    static func readOnly(_ location: PostgresLocation, inRecovery: Bool?, cause: (any Error)? = nil) -> NonceStoreError {
        let server = cause.map { ": \($0)" } ?? ""
        let message = switch inRecovery {
        case true?:
            "\(location.description) is a read-only standby (in recovery): nonces are issued only on the primary, point the URI at it"
        case false?:
            "\(location.description) is not a standby, but runs its sessions read-only (default_transaction_read_only = on, "
                + "set for the server, the database or the role): issuing nonces needs writes; turn it off for this role "
                + "(ALTER ROLE ... SET default_transaction_read_only = off)"
        case nil:
            "\(location.description) refused a write as read-only (a standby, or default_transaction_read_only = on)"
        }
        return NonceStoreError(.readOnly, message + server, database: location.description, cause: cause)
    }

    /// A connection that could not be made: refused, unreachable, wrong password, no database.
    static func cannotConnect(_ error: any Error, location: PostgresLocation) -> NonceStoreError {
        let why: String
        var cause: any Error = error
        if let error = error as? PSQLError {
            cause = PostgresServerError(error)
            switch error.serverInfo?[.sqlState] {
            case "28P01", "28000":
                why = "the server refused the login of user '\(location.user)' (wrong password or not allowed: "
                    + "\(error.serverInfo?[.message] ?? "authentication failed"))"
            case "3D000":
                why = "the server has no database '\(location.database)'"
            default:
                why = "\(PostgresServerError(error))"
            }
        } else {
            why = "\(error)"
        }
        return NonceStoreError(.cannotConnect, "cannot connect to \(location.description): \(why)",
                               database: location.description, cause: cause)
    }
}
#endif
