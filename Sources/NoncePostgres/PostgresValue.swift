#if PostgreSQL  // Without the trait this module is empty and builds no network stack.
import PostgresNIO

/// A statement parameter: the few types NonceStore's statements bind, NULL included.
package enum PostgresValue: Sendable {
    case integer(Int64)
    case text(String)
    case real(Double)
    case null
    case integers([Int64])
    case texts([String])
    case flags([Bool])

    /// An optional integer, NULL when nil.
    package static func integer(_ value: Int64?) -> Self { value.map { .integer($0) } ?? .null }
    /// An optional text, NULL when nil.
    package static func text(_ value: String?) -> Self { value.map { .text($0) } ?? .null }
}

extension PostgresBindings {
    /// Bindings for `values`, as `$1`, `$2`, ... in order.
    init(_ values: [PostgresValue]) {
        self.init(capacity: values.count)
        for value in values {
            switch value {
            case .integer(let number): append(number)
            case .text(let text): append(text)
            case .real(let number): append(number)
            case .null: appendNull()
            case .integers(let numbers): append(numbers)
            case .texts(let texts): append(texts)
            case .flags(let flags): append(flags)
            }
        }
    }
}

extension PostgresSession {
    @discardableResult
    func query(_ sql: String, _ values: [PostgresValue], within limit: Duration? = nil) throws -> [PostgresRow] {
        try query(sql, PostgresBindings(values), within: limit)
    }
}

extension PostgresTransaction {
    @discardableResult
    func query(_ sql: String, _ values: [PostgresValue]) throws -> [PostgresRow] {
        try query(sql, PostgresBindings(values))
    }

    func execute(_ sql: String, _ values: [PostgresValue]) throws {
        _ = try query(sql, PostgresBindings(values))
    }
}

extension PostgresRow {
    /// Column `index` as `T` (an optional type for a nullable column).
    func column<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        try makeRandomAccess()[index].decode(T.self)
    }
}
#endif
