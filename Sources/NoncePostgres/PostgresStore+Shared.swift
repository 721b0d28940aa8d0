#if PostgreSQL  // Without the trait this module is empty and builds no network stack.
import NonceBackend

extension PostgresStore {
    /// One durable nonce of a shared stream through the SQL contract (`nonce_next`), in its
    /// own transaction. The time is the server's (`clock_timestamp()`), so the clients'
    /// clocks (`now`, `clockStepBack`) play no part: their skew cannot reorder nonces.
    package func issueShared(stream name: String, now: Int64, pid: Int32, label: String?, clockStepBack: Int64?) throws -> Int64 {
        try refusingByCode(stream: name) {
            try session.query("SELECT nonce_next($1, $2, $3::integer)", [.text(name), .text(label), .integer(Int64(pid))])[0]
                .column(0, as: Int64.self)
        }
    }

    /// Moves a shared stream's floor through `nonce_jump`, from the server's clock.
    package func jumpShared(stream name: String, by nanoseconds: Int64, now: Int64, reason: String) throws -> Int64 {
        try refusingByCode(stream: name) {
            try session.query("SELECT nonce_jump($1, $2, $3)", [.text(name), .integer(nanoseconds), .text(reason)])[0]
                .column(0, as: Int64.self)
        }
    }

    /// Runs `body`, turning the schema's refusals into the errors they stand for.
    func refusingByCode<T>(stream name: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as NonceStoreError {
            switch error.cause.flatMap(PostgresFailure.sqlState).flatMap(PostgresFailure.Refusal.init(rawValue:)) {
            case .noStream: throw NonceStoreError.streamNotFound(name, path: path)
            case .exclusive: throw NonceStoreError.modeMismatch(stream: name, actual: .exclusive, requested: .shared)
            case .exhausted: throw NonceStoreError(.exhausted, error.message, stream: name, database: path, cause: error.cause)
            case .badJump, .labelTooLong: throw NonceStoreError(.invalidArgument, error.message, stream: name, database: path, cause: error.cause)
            case .historyKept, nil: throw error
            }
        }
    }
}
#endif
