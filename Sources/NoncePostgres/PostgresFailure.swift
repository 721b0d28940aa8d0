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

    /// A failure of a statement, with the server's message and SQLSTATE.
    static func describe(_ error: PSQLError, location: PostgresLocation) -> NonceStoreError {
        if isConnectionLost(error) {
            return NonceStoreError(.connectionLost, "the connection to \(location.description) was lost: \(reason(error))",
                                   database: location.description, cause: error)
        }
        if let state = error.serverInfo?[.sqlState] {
            let message = error.serverInfo?[.message] ?? "\(error.code)"
            switch state {
            case "25006":
                return readOnly(location, cause: error)
            case Refusal.noStream.rawValue, Refusal.exclusive.rawValue, Refusal.exhausted.rawValue,
                 Refusal.historyKept.rawValue, Refusal.badJump.rawValue:
                return NonceStoreError(.writeFailed, message, database: location.description, cause: error)
            default:
                return NonceStoreError(.writeFailed, "\(location.description): \(message) (SQLSTATE \(state))",
                                       database: location.description, cause: error)
            }
        }
        return NonceStoreError(.writeFailed, "\(location.description): \(reason(error))", database: location.description, cause: error)
    }

    /// A server that is a read-only standby.
    static func readOnly(_ location: PostgresLocation, cause: (any Error)? = nil) -> NonceStoreError {
        NonceStoreError(.readOnly, "\(location.description) is a read-only standby (in recovery): nonces are issued only "
            + "on the primary, point the URI at it", database: location.description, cause: cause)
    }

    /// A connection that could not be made: refused, unreachable, wrong password, no database.
    static func cannotConnect(_ error: any Error, location: PostgresLocation) -> NonceStoreError {
        let why: String
        if let error = error as? PSQLError {
            switch error.serverInfo?[.sqlState] {
            case "28P01", "28000":
                why = "the server refused the login of user '\(location.user)' (wrong password or not allowed: "
                    + "\(error.serverInfo?[.message] ?? "authentication failed"))"
            case "3D000":
                why = "the server has no database '\(location.database)'"
            default:
                why = reason(error)
            }
        } else {
            why = "\(error)"
        }
        return NonceStoreError(.cannotConnect, "cannot connect to \(location.description): \(why)",
                               database: location.description, cause: error)
    }

    private static func reason(_ error: PSQLError) -> String {
        if let message = error.serverInfo?[.message] { return message }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }
}
