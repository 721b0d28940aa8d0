#if PostgreSQL  // Without the trait this module is empty and builds no network stack.
/// The advisory-lock keys of one NonceStore schema, in the two-`int` form: a namespace
/// derived from the schema's name (so two NonceStore schemas in one database, or an
/// application's own advisory locks, never collide with these) and the stream's id.
package struct PostgresLockKeys: Sendable {
    /// The exclusive or shared claim on a stream.
    package let claim: Int32
    /// A shared stream's API lock.
    package let apiLock: Int32
    /// Running migrations: key (`migration.0`, `migration.1`).
    package let migration: (Int32, Int32)

    package init(schema: String) {
        claim = Self.namespace("noncestore claim \(schema)")
        apiLock = Self.namespace("noncestore api lock \(schema)")
        migration = (Self.namespace("noncestore migration \(schema)"), 0)
    }

    /// FNV-1a over the UTF-8 bytes, kept positive: the same on every host and language.
    static func namespace(_ text: String) -> Int32 {
        var hash: UInt32 = 2_166_136_261
        for byte in text.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return Int32(bitPattern: hash & 0x7FFF_FFFF)
    }
}
#endif
