/// One versioned schema file, as compiled into the binary.
public struct SchemaMigration: Sendable {
    /// The version the database reaches once this migration has run (`PRAGMA user_version`).
    public let version: Int
    /// The file's name, recorded in `schema_migrations` for people reading the database.
    public let name: String
    /// The SQL script, run in one transaction.
    public let sql: String
}

/// The schema files of `Migrations/`, in the order they apply.
public enum SchemaMigrations {
    /// Every migration this build knows, ascending by version: the one list of them.
    /// `Package.swift` embeds every `.sql` file of the folder (SwiftPM names the bytes after
    /// the file, its leading digit turned into `_`); a test checks this list matches it.
    public static let all: [SchemaMigration] = [
        SchemaMigration(version: 1, name: "0001_initial.sql", sql: text(PackageResources._001_initial_sql)),
        SchemaMigration(version: 2, name: "0002_shared_streams.sql", sql: text(PackageResources._002_shared_streams_sql)),
        SchemaMigration(version: 3, name: "0003_key_protection.sql", sql: text(PackageResources._003_key_protection_sql)),
        SchemaMigration(version: 4, name: "0004_contract_jumps_and_counts.sql",
                        sql: text(PackageResources._004_contract_jumps_and_counts_sql)),
        SchemaMigration(version: 5, name: "0005_floor_from_every_record.sql",
                        sql: text(PackageResources._005_floor_from_every_record_sql)),
        SchemaMigration(version: 6, name: "0006_one_name_per_concept.sql", sql: text(PackageResources._006_one_name_per_concept_sql)),
        SchemaMigration(version: 7, name: "0007_copy_events.sql", sql: text(PackageResources._007_copy_events_sql)),
        SchemaMigration(version: 8, name: "0008_nothing_below.sql", sql: text(PackageResources._008_nothing_below_sql)),
        SchemaMigration(version: 9, name: "0009_stream_rules.sql", sql: text(PackageResources._009_stream_rules_sql)),
        SchemaMigration(version: 10, name: "0010_history_seconds.sql", sql: text(PackageResources._010_history_seconds_sql)),
    ]

    /// The PostgreSQL schema's migrations (`Migrations/postgres/`), ascending by version.
    public static let postgres: [SchemaMigration] = [
        SchemaMigration(version: 1, name: "0001_postgres_initial.sql", sql: text(PackageResources._001_postgres_initial_sql)),
        SchemaMigration(version: 2, name: "0002_event_floors.sql", sql: text(PackageResources._002_event_floors_sql)),
        SchemaMigration(version: 3, name: "0003_stream_rules.sql", sql: text(PackageResources._003_stream_rules_sql)),
        SchemaMigration(version: 4, name: "0004_history_seconds.sql", sql: text(PackageResources._004_history_seconds_sql)),
    ]

    /// The newest schema version this build can read and write.
    public static var latestVersion: Int { all.last?.version ?? 0 }

    private static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
