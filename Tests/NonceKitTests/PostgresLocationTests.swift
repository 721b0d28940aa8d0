#if PostgreSQL  // The PostgreSQL backend is built only with the trait.
import NonceKit
import NonceBackend
import NoncePostgres
import Testing

@Suite("PostgreSQL URIs")
struct PostgresLocationTests {
    @Test("a libpq URI gives user, password, host, port, database, sslmode and schema")
    func fullURI() throws {
        let location = try PostgresLocation(
            uri: "postgresql://bot:s%40cret@db.internal:6543/nonces?sslmode=require&schema=keys_eu", environment: [:])
        #expect(location.user == "bot")
        #expect(location.password == "s@cret")
        #expect(location.host == "db.internal")
        #expect(location.port == 6543)
        #expect(location.database == "nonces")
        #expect(location.tlsMode == .require)
        #expect(location.schema == "keys_eu")
        #expect(!location.description.contains("s@cret"), "messages never show the password")
    }

    @Test("what the URI leaves out comes from PGPASSWORD and friends, then libpq's defaults")
    func environmentFallbacks() throws {
        let location = try PostgresLocation(uri: "postgres://", environment: [
            "PGPASSWORD": "from-env", "PGUSER": "envuser", "PGHOST": "envhost", "PGPORT": "5433", "PGDATABASE": "envdb",
        ])
        #expect(location.password == "from-env")
        #expect(location.user == "envuser")
        #expect(location.host == "envhost")
        #expect(location.port == 5433)
        #expect(location.database == "envdb")
        let bare = try PostgresLocation(uri: "postgresql://bot@db", environment: [:])
        #expect(bare.port == 5432 && bare.database == "bot" && bare.schema == "noncestore" && bare.password == nil)
    }

    @Test("reply_timeout bounds each wait for the server: 5 s unless the URI says; maintenance statements wait 10 minutes")
    func replyTimeout() throws {
        let plain = try PostgresLocation(uri: "postgresql://bot@db/nonces", environment: [:])
        #expect(plain.replyLimit == .seconds(5) && plain.maintenanceReplyLimit == .seconds(600))
        let set = try PostgresLocation(uri: "postgresql://bot@db/nonces?reply_timeout=2", environment: [:])
        #expect(set.replyLimit == .seconds(2))
        let refused = #expect(throws: NonceStoreError.self) { try PostgresLocation(uri: "postgresql://h/d?reply_timeout=0", environment: [:]) }
        #expect(refused?.message.contains("reply_timeout '0'") == true)
    }

    @Test("a bad sslmode, schema, port or unknown parameter is refused, naming it")
    func refusals() {
        for (uri, named) in [
            ("postgresql://h/d?sslmode=sometimes", "sslmode 'sometimes'"),
            ("postgresql://h/d?schema=Bad-Name", "schema 'Bad-Name'"),
            ("postgresql://h/d?port=99999", "port '99999'"),
            ("postgresql://h/d?colour=blue", "'colour'"),
        ] {
            let error = #expect(throws: NonceStoreError.self) { try PostgresLocation(uri: uri, environment: [:]) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains(named) == true, "\(error?.message ?? "")")
        }
    }

    @Test("a URI given where only a file can go is refused, not made into a file")
    func uriWhereAFileGoes() throws {
        let error = #expect(throws: NonceStoreError.self) { try NonceManager(path: "postgresql://bot@db/nonces") }
        #expect(error?.message.contains("init(database:configuration:)") == true, "\(error?.message ?? "")")
    }

    @Test("failure messages show no password")
    func redaction() {
        #expect(PostgresLocation.redacted("postgresql://bot:hunter2@db/n") == "postgresql://bot:***@db/n")
    }
}
#endif
