import NonceMigration
import Testing

@Suite("Legacy file names")
struct FileKindTests {
    @Test("every pattern, copy and companion of legacy-formats is recognized by name", arguments: [
        ("kraken_nonce.txt", "broker-text"),
        ("kraken_nonce_master.txt", "account-text"),
        ("kraken_nonce_platform.txt", "account-text"),
        ("kraken_nonce_user_jane_doe.txt", "account-text"),
        ("kraken_nonce_Jane Doe@x.txt", "account-text"),
        ("kraken_global_nonce.txt", "global-text"),
        ("kraken_nonce.state", "platform-state"),
        ("kraken_nonce_user42.state", "key-state"),
        ("kraken_nonce_3f2a9c0d1e4b5a6f.state", "key-state"),
        ("kraken_nonce.txt.tmp", "broker-text.tmp"),
        ("kraken_nonce_master.txt.bak.1700000000", "account-text.bak"),
        ("kraken_nonce.state.bak.1700000000", "platform-state.bak"),
        (".nonce_tmp_k2j3h4", "interrupted-write"),
        ("kraken_nonce.txt.lock", "lock-file"),
        ("kraken_nonce_user42.state.lock", "lock-file"),
        ("kraken_global_nonce.txt.pid", "pid-file"),
        ("kraken_nonce_offsets.json", "offsets-json"),
        ("README.md", "unrecognized"),
        ("trades.db.lock", "unrecognized"),
        ("kraken_nonce_.txt", "unrecognized"),
        ("kraken_nonce.txt.bak.notanumber", "unrecognized"),
        ("kraken_nonce.json", "unrecognized"),
    ])
    func classify(name: String, expected: String) {
        #expect(LegacyFileKind(fileName: name).name == expected)
    }
}
