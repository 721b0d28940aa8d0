// The vocabulary every NonceKit user needs (NonceStoreError and its codes, StreamMode,
// HistoryEntry, ...) lives in the backend layer, below the backends that throw and return
// it. Re-exported so `import NonceKit` alone names it, as swift-nio re-exports NIOCore.
@_exported public import NonceBackend
#if PostgreSQL
// The server's own words on a refusal (`PostgresServerError`, an error's cause), for a build
// with the PostgreSQL backend.
@_exported public import NoncePostgres
#endif
