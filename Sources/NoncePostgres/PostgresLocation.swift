#if PostgreSQL  // Without the trait this module is empty and builds no network stack.
import Foundation

import NonceBackend

/// Where a PostgreSQL store lives, parsed from a `postgres://` or `postgresql://` URI in
/// libpq's syntax: `postgresql://user:password@host:port/dbname?sslmode=require&schema=noncestore`.
///
/// As with psql, what the URI leaves out comes from the environment: the password from
/// `PGPASSWORD`, the user from `PGUSER` (else `postgres`), host and port from `PGHOST` and
/// `PGPORT` (else `localhost:5432`), the database from `PGDATABASE` (else the user name).
/// The schema that holds NonceStore's objects is `noncestore` unless `schema=` names another.
package struct PostgresLocation: Sendable, Equatable {
    /// How the connection is encrypted: libpq's `sslmode` values.
    package enum TLSMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    package var host: String
    package var port: Int
    package var user: String
    package var password: String?
    package var database: String
    package var schema: String
    package var tlsMode: TLSMode
    /// Seconds before an idle connection's peer is probed, and between probes, and probes
    /// lost before the server drops the session: how soon a vanished host's claims and locks
    /// are released (`keepalives_idle`, `keepalives_interval`, `keepalives_count`).
    package var keepalive: (idle: Int, interval: Int, count: Int)
    /// Seconds to wait for the server to answer a connection attempt (`connect_timeout`).
    package var connectTimeout: Int
    /// Seconds to wait for the server's reply to any request on an open connection
    /// (`reply_timeout`, default 5): past it the connection counts as lost, so a holder
    /// whose server stopped answering fails instead of hanging. Maintenance statements that
    /// may run long on a large history (verify, prune, copies, imports, migrations) get
    /// ``maintenanceReplyLimit`` instead.
    package var replyTimeout: Int

    /// ``replyTimeout`` as a duration: the bound of every wait on the issuing paths.
    package var replyLimit: Duration { .seconds(replyTimeout) }
    /// The bound of a maintenance statement's wait: 10 minutes, or the reply timeout when longer.
    package var maintenanceReplyLimit: Duration { .seconds(max(replyTimeout, 600)) }

    /// True for text that names a PostgreSQL server rather than a file.
    package static func isURI(_ text: String) -> Bool { DatabaseLocation.isServerURI(text) }

    /// Parses `uri`, filling what it leaves out from `environment`.
    ///
    /// - Throws: `NonceStoreError` `.invalidArgument` naming the part at fault.
    package init(uri: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard Self.isURI(uri), let components = URLComponents(string: uri) else {
            throw NonceStoreError(.invalidArgument, "'\(Self.redacted(uri))' is not a PostgreSQL URI: write postgresql://user@host:port/dbname")
        }
        let env = { (name: String) in environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        host = components.percentEncodedHost.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding } ?? env("PGHOST") ?? "localhost"
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if let port = components.port {
            self.port = port
        } else if let text = env("PGPORT") {
            guard let port = Int(text), (1...65_535).contains(port) else {
                throw NonceStoreError(.invalidArgument, "PGPORT '\(text)' is not a port number")
            }
            self.port = port
        } else {
            port = 5432
        }
        user = components.percentEncodedUser.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding } ?? env("PGUSER") ?? "postgres"
        password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding } ?? env("PGPASSWORD")
        let path = components.percentEncodedPath.removingPercentEncoding ?? ""
        let name = path.hasPrefix("/") ? String(path.dropFirst()) : path
        database = name.isEmpty ? env("PGDATABASE") ?? user : name
        schema = "noncestore"
        tlsMode = env("PGSSLMODE").flatMap(TLSMode.init(rawValue:)) ?? .prefer
        keepalive = (idle: 10, interval: 5, count: 3)
        connectTimeout = 10
        replyTimeout = 5
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    throw NonceStoreError(.invalidArgument, "sslmode '\(value)' in the URI is not one of "
                        + TLSMode.allCases.map(\.rawValue).joined(separator: ", "))
                }
                tlsMode = mode
            case "schema":
                guard Self.isPlainIdentifier(value) else {
                    throw NonceStoreError(.invalidArgument, "schema '\(value)' in the URI must be a plain lower-case identifier "
                        + "(letters, digits, underscores, not starting with a digit)")
                }
                schema = value
            case "user": user = value
            case "password": password = value
            case "host": host = value
            case "port":
                guard let port = Int(value), (1...65_535).contains(port) else {
                    throw NonceStoreError(.invalidArgument, "port '\(value)' in the URI is not a port number")
                }
                self.port = port
            case "dbname": database = value
            case "connect_timeout": connectTimeout = try Self.seconds(value, item.name)
            case "reply_timeout": replyTimeout = try Self.seconds(value, item.name)
            case "keepalives_idle": keepalive.idle = try Self.seconds(value, item.name)
            case "keepalives_interval": keepalive.interval = try Self.seconds(value, item.name)
            case "keepalives_count": keepalive.count = try Self.seconds(value, item.name)
            case "application_name", "keepalives", "target_session_attrs":
                continue  // accepted as libpq does; the product sets its own application name
            default:
                throw NonceStoreError(.invalidArgument, "'\(item.name)' in the URI is not a parameter NonceStore knows")
            }
        }
    }

    /// The server and database, for messages: never the password.
    package var description: String {
        "postgresql://\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database) (schema \(schema))"
    }

    /// `uri` with any password replaced, for messages about a URI that failed to parse.
    package static func redacted(_ uri: String) -> String {
        guard let at = uri.lastIndex(of: "@"), let scheme = uri.range(of: "://"), scheme.upperBound < at else { return uri }
        let credentials = uri[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return uri }
        return String(uri[..<colon]) + ":***" + String(uri[at...])
    }

    private static func isPlainIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.utf8.count <= 63, !("0"..."9").contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    private static func seconds(_ text: String, _ name: String) throws -> Int {
        guard let value = Int(text), value > 0 else {
            throw NonceStoreError(.invalidArgument, "\(name) '\(text)' in the URI must be a positive whole number")
        }
        return value
    }

    package static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.host == rhs.host && lhs.port == rhs.port && lhs.user == rhs.user && lhs.password == rhs.password
            && lhs.database == rhs.database && lhs.schema == rhs.schema && lhs.tlsMode == rhs.tlsMode
            && lhs.keepalive == rhs.keepalive && lhs.connectTimeout == rhs.connectTimeout
            && lhs.replyTimeout == rhs.replyTimeout
    }
}
#endif
