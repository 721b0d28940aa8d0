// swift-tools-version:6.1
import Foundation
import PackageDescription

/// Every schema file in `Migrations/` and `Migrations/postgres/`, embedded in the build. The
/// list of migrations is written once, in `Migrations/SchemaMigrations.swift`; a test checks
/// it matches the folders. SwiftPM caches this manifest's evaluation by its text, so after
/// adding a schema file run `rm -rf ~/.cache/org.swift.swiftpm/manifests` (a fresh clone
/// needs nothing).
let schemaFiles = sqlFiles(in: "Migrations") + sqlFiles(in: "Migrations/postgres").map { "postgres/" + $0 }

func sqlFiles(in folder: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: Context.packageDirectory + "/" + folder)) ?? [])
        .filter { $0.hasSuffix(".sql") }
        .sorted()
}

/// Settings every first-party Swift target shares: Swift 6 mode is the tools-version default;
/// these flags opt into the checks that will become defaults later.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "NonceStore",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "NonceKit", targets: ["NonceKit"]),
        .library(name: "NonceMigration", targets: ["NonceMigration"]),
        .library(name: "NonceKitTesting", targets: ["NonceKitTesting"]),
        .executable(name: "nonce", targets: ["NonceCLI"]),
    ],
    traits: [
        // PostgreSQL, for several hosts on one API key: the NoncePostgres backend, and with it
        // swift-nio, NIOSSL and postgres-nio. Without it a build has the SQLite file alone.
        .trait(name: "PostgreSQL", description: "The PostgreSQL backend: postgresql:// URIs wherever a database is named."),
        // Off by default: a fresh clone builds what a local SQLite file needs, and nothing of
        // the network stack (`swift build --traits PostgreSQL` turns it on).
        .default(enabledTraits: []),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        // TLS settings for `sslmode` (postgres-nio builds it already).
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        // `swift package generate-documentation`: the DocC catalogs, built warning-free in CI.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // The system SQLite (libsqlite3-dev), seen through a module map.
        .systemLibrary(
            name: "CSQLite",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),
        // Versioned schema files, compiled into the binary.
        .target(
            name: "NonceSchema",
            path: "Migrations",
            resources: schemaFiles.map { .embedInCode($0) } + [.embedInCode("exchange-presets.json")],
            swiftSettings: swiftSettings
        ),
        // What a nonce store is, whatever keeps it: the backend protocol and the records
        // that cross it (streams, changes, history rows, reports, errors).
        .target(
            name: "NonceBackend",
            swiftSettings: swiftSettings
        ),
        // The SQLite backend: connection, statements, migrations, locks on the database file.
        .target(
            name: "NonceSQLite",
            dependencies: ["CSQLite", "NonceSchema", "NonceBackend"],
            swiftSettings: swiftSettings
        ),
        // The PostgreSQL backend: sessions, advisory-lock claims, migrations, the SQL contract.
        .target(
            name: "NoncePostgres",
            // `swift build` and `swift test` build every target, so without the trait this one
            // compiles empty (its sources are under `#if PostgreSQL`) and takes none of the
            // network stack.
            dependencies: [
                "NonceBackend", "NonceSchema",
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["PostgreSQL"])),
                .product(name: "NIOCore", package: "swift-nio", condition: .when(traits: ["PostgreSQL"])),
                .product(name: "NIOPosix", package: "swift-nio", condition: .when(traits: ["PostgreSQL"])),
                .product(name: "NIOSSL", package: "swift-nio-ssl", condition: .when(traits: ["PostgreSQL"])),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Reads the old Python managers' nonce files and raises a stream's floor through the store.
        .target(
            name: "NonceMigration",
            dependencies: ["NonceKit", "NonceBackend"],
            swiftSettings: swiftSettings
        ),
        // Policy: clock, leases, claims, the API lock, history batching; the manager.
        .target(
            name: "NonceKit",
            dependencies: [
                "NonceBackend", "NonceSQLite", "NonceSchema",
                .target(name: "NoncePostgres", condition: .when(traits: ["PostgreSQL"])),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test doubles for code built on NonceKit (a clock that moves when told), shipped
        // apart as swift-nio ships NIOEmbedded.
        .target(
            name: "NonceKitTesting",
            dependencies: ["NonceKit"],
            swiftSettings: swiftSettings
        ),
        // `nonce bench`: the measurements and their bare baselines, which reach into the
        // backends as no product may; the CLI sees only its public API.
        .target(
            name: "NonceBench",
            dependencies: [
                "NonceKit", "NonceBackend", "NonceSQLite",
                .target(name: "NoncePostgres", condition: .when(traits: ["PostgreSQL"])),
            ],
            swiftSettings: swiftSettings
        ),
        // The `nonce` command: parse, call the public libraries, print. Built without package
        // access, so it can do nothing a library user cannot.
        .executableTarget(
            name: "NonceCLI",
            dependencies: [
                "NonceKit", "NonceMigration", "NonceBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        // A child process for the crash and cross-process tests; not a product.
        .executableTarget(
            name: "NonceTestHelper",
            dependencies: [
                "NonceKit", "NonceKitTesting", "NonceBackend", "NonceSQLite",
                .target(name: "NoncePostgres", condition: .when(traits: ["PostgreSQL"])),
            ],
            swiftSettings: swiftSettings
        ),
        // Temporary directories and child processes, shared by the test targets.
        .target(
            name: "NonceTestSupport",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            path: "Tests/NonceTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "NonceSQLiteTests",
            dependencies: ["CSQLite", "NonceBackend", "NonceSchema", "NonceSQLite", "NonceTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "NonceMigrationTests",
            dependencies: ["NonceMigration", "NonceKit", "NonceBackend", "NonceSQLite", "NonceTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "NonceKitTests",
            dependencies: [
                "NonceKit", "NonceKitTesting", "NonceMigration", "NonceBackend", "NonceSQLite", "NonceSchema", "NonceTestSupport",
                .target(name: "NoncePostgres", condition: .when(traits: ["PostgreSQL"])),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            // A database written by the previous release, for the upgrade test.
            resources: [.copy("Fixtures/v0.11-schema4.sqlite")],
            swiftSettings: swiftSettings
        ),
        // Compiled as if it were another package: it sees only the public API, and checks
        // that nothing there can lower a stream's floor while a manager holds it.
        .testTarget(
            name: "PublicAPITests",
            dependencies: ["NonceKit", "NonceKitTesting", "NonceMigration", "NonceTestSupport"],
            packageAccess: false,
            swiftSettings: swiftSettings
        ),
        // Real processes: the CLI, kill -9 crash cycles, claims across processes.
        .testTarget(
            name: "NonceCLITests",
            dependencies: [
                "NonceKit", "NonceKitTesting", "NonceBackend", "NonceSQLite", "NonceTestSupport",
                .target(name: "NoncePostgres", condition: .when(traits: ["PostgreSQL"])),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
