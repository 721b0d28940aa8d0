import Foundation

/// A PostgreSQL server of a test's own, made by `.ci/postgres-start`, for faults that would
/// disturb every other test on the shared server: a restart with `-m immediate`, or kill -9
/// of a backend (after which the server ends every session and recovers). Stopped and
/// removed on deinit.
public final class ThrowawayServer: Sendable {
    /// The server's URI (`postgresql://postgres@127.0.0.1:PORT/postgres?sslmode=disable`).
    public let uri: String
    /// The cluster's directory.
    public let directory: String

    /// The repository's `.ci` folder, found from this file, so the test runs from anywhere.
    private static let scripts = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".ci")

    /// Starts one; throws with the script's output when it cannot.
    public init() throws {
        let result = try Self.script("postgres-start", [])
        guard result.status == 0, let line = result.stderr.split(separator: "\n").last(where: { $0.contains("cluster in ") }),
              let range = line.range(of: "cluster in ")
        else { throw ServerError(what: "postgres-start", result: result) }
        uri = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        directory = String(line[range.upperBound...])
    }

    /// `pg_ctl restart -m immediate`, waiting until the server accepts connections again.
    public func restartImmediately() throws {
        let result = try Self.script("postgres-restart", [directory])
        guard result.status == 0 else { throw ServerError(what: "postgres-restart", result: result) }
    }

    /// Restarts it cleanly as a standby in recovery (read-only, `pg_is_in_recovery()` true).
    public func restartAsStandby() throws {
        let result = try Self.script("postgres-restart", [directory, "--as-standby"])
        guard result.status == 0 else { throw ServerError(what: "postgres-restart --as-standby", result: result) }
    }

    deinit {
        _ = try? Self.script("postgres-stop", [directory])
    }

    /// Runs a `.ci` script to its end. Not through Foundation's `Process`: the server the
    /// script starts would inherit the socket by which Foundation notices a child's exit
    /// (and any descriptor another test left open), and outlive the script. The shell
    /// closes every descriptor above standard error before it runs the script, and the
    /// output goes to files.
    private static func script(_ name: String, _ arguments: [String]) throws -> ChildProcess.Result {
        let base = NSTemporaryDirectory() + "noncestore-script-\(UUID().uuidString)"
        defer { for file in [base + ".out", base + ".err"] { try? FileManager.default.removeItem(atPath: file) } }
        let wrapper = """
            for fd in $(ls /proc/$$/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
            NONCESTORE_PG_NO_LAST=1 exec bash "$0" "$@" > "\(base).out" 2> "\(base).err" < /dev/null
            """
        let argv = ["bash", "-c", wrapper, scripts.appendingPathComponent(name).path] + arguments
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, "bash", nil, nil, &cArguments, environ)
        guard spawned == 0 else { throw ServerError(what: name, result: .init(status: spawned, stdout: "", stderr: "posix_spawn failed")) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let read = { (file: String) in (try? String(contentsOfFile: file, encoding: .utf8)) ?? "" }
        let exited = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return ChildProcess.Result(status: exited, stdout: read(base + ".out"), stderr: read(base + ".err"))
    }

    /// A script that failed, with what it printed.
    public struct ServerError: Error, CustomStringConvertible {
        let what: String
        let result: ChildProcess.Result
        public var description: String { "\(what) exited \(result.status): \(result.stderr)" }
    }
}
