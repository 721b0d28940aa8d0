import NonceTestSupport
import Testing

/// What a build can open is what it says it can: `--version` names the backends, and a build
/// without the PostgreSQL trait refuses a server URI with the switch that would accept it.
@Suite("The build's backends")
struct BuildConfigurationTests {
    @Test("nonce --version lists the backends this build has")
    func versionListsBackends() throws {
        let run = try ChildProcess.nonce(["--version"])
        #expect(run.status == 0)
        #if PostgreSQL
        #expect(run.stdout.contains("backends: SQLite, PostgreSQL"), "\(run.stdout)")
        #else
        #expect(run.stdout.contains("backends: SQLite)"), "\(run.stdout)")
        #endif
    }

    #if !PostgreSQL
    @Test("without the trait, a postgresql:// URI is refused naming the trait, and nothing is created")
    func uriRefusedNamingTheTrait() throws {
        let run = try ChildProcess.nonce(["next", "--db", "postgresql://nobody@127.0.0.1:1/none"])
        #expect(run.status != 0)
        #expect(run.stdout.isEmpty, "no nonce printed: \(run.stdout)")
        #expect(run.stderr.contains("PostgreSQL") && run.stderr.contains("--traits PostgreSQL"), "\(run.stderr)")
    }
    #endif
}
