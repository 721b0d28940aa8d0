package import NonceBackend
import NonceSQLite
#if PostgreSQL
import NoncePostgres
#endif

/// Opens what a database argument names: a SQLite file, or a PostgreSQL server by URI.
///
/// The policy layer chooses the backend, not the other way round: the backends know nothing
/// of managers, and a build without the `PostgreSQL` package trait (no swift-nio, no
/// postgres-nio) refuses a URI here with the switch that would accept it.
package enum BackendOpener {
    /// Whether this build can open `postgresql://` URIs.
    package static var hasPostgreSQL: Bool {
        #if PostgreSQL
        true
        #else
        false
        #endif
    }

    /// The store at `location`. `create` makes a missing SQLite file or PostgreSQL schema;
    /// `writable: false` opens for reading (a PostgreSQL standby is then accepted).
    package static func open(_ location: String, create: Bool = true, writable: Bool = true, wait: Duration = .seconds(10)) throws -> any NonceBackend {
        guard DatabaseLocation.isServerURI(location) else {
            return try SQLiteStore(path: location, configuration: .init(busyTimeout: wait, createIfMissing: create))
        }
        #if PostgreSQL
        return try PostgresStore(uri: location, create: create, writable: writable)
        #else
        throw NonceStoreError(.invalidArgument, "this build has no PostgreSQL backend: build NonceStore with its "
            + "'PostgreSQL' package trait (swift build --traits PostgreSQL) to open a postgresql:// URI")
        #endif
    }
}
