public import Foundation

/// Runs `nonce` as a user whom file permissions bind. Root ignores them, so as root the
/// command runs as `nobody` through setpriv (util-linux).
public enum Unprivileged {
    /// `nobody`'s user and group id.
    public static let nobody: UInt32 = 65534

    /// `setpriv` from the PATH, if there is one.
    public static let setpriv: URL? = (ProcessInfo.processInfo.environment["PATH"] ?? "")
        .split(separator: ":")
        .map { URL(fileURLWithPath: String($0)).appendingPathComponent("setpriv") }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }

    /// True when a test can run a command that permissions bind.
    public static var isAvailable: Bool { getuid() != 0 || setpriv != nil }

    /// The user the command runs as: `nobody` under root, else this user.
    public static var user: UInt32 { getuid() == 0 ? nobody : getuid() }

    /// Runs `nonce` with `arguments` as ``user``.
    public static func nonce(_ arguments: [String]) throws -> ChildProcess.Result {
        guard getuid() == 0 else { return try ChildProcess.nonce(arguments) }
        guard let setpriv else { throw CocoaError(.featureUnsupported) }
        return try ChildProcess.run(setpriv, [
            "--reuid=\(nobody)", "--regid=\(nobody)", "--clear-groups", ChildProcess.nonce.path,
        ] + arguments)
    }
}
