#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a command found on the PATH, with this process's standard streams, and waits for it.
enum ChildCommand {
    struct SpawnError: Error, CustomStringConvertible {
        let command: String
        let code: Int32
        var description: String { "cannot run '\(command)': \(String(cString: strerror(code)))" }
    }

    /// Returns the exit status, or 128 + the signal that ended it (as shells report it).
    static func run(_ arguments: [String], environment: [String: String]) throws -> Int32 {
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let code = posix_spawnp(&pid, arguments[0], nil, nil, argv, envp)
        guard code == 0 else { throw SpawnError(command: arguments[0], code: code) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw SpawnError(command: arguments[0], code: errno) }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
