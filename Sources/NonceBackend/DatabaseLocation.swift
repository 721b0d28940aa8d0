
/// What a database argument names: a SQLite file, or a PostgreSQL server by URI.
package enum DatabaseLocation {
    /// True for `postgres://` and `postgresql://` URIs.
    package static func isServerURI(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    /// Refuses a server URI where only a file can go: without this, the URI would become
    /// the name of a new SQLite file.
    package static func refuseServerURI(_ path: String) throws(NonceStoreError) {
        guard isServerURI(path) else { return }
        throw NonceStoreError(.invalidArgument, "'path:' takes a SQLite file; open a PostgreSQL URI with "
            + "init(database:configuration:), which takes either")
    }
}
