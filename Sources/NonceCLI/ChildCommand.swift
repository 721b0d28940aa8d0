import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a command found on the PATH, with this process's standard streams, and waits for it.
///
/// While it runs, SIGINT, SIGTERM and SIGHUP sent to this process are passed on to the
/// command instead of ending this process: whoever runs it under `nonce exec` keeps the
/// API lock until the command has exited, however it is asked to stop.
enum ChildCommand {
    struct SpawnError: Error, CustomStringConvertible {
        let command: String
        let code: Int32
        var description: String { "cannot run '\(command)': \(String(cString: strerror(code)))" }
    }

    /// The signals passed on to the command.
    static let forwardedSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Returns the exit status, or 128 + the signal that ended it (as shells report it).
    ///
    /// - Parameter inheriting: descriptors the command keeps open (their close-on-exec flag
    ///   cleared in the child): the locks it must hold for as long as it lives.
    static func run(_ arguments: [String], environment: [String: String], inheriting descriptors: [Int32] = []) throws -> Int32 {
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 onto itself clears FD_CLOEXEC in the child (POSIX 2024; glibc 2.29 and later).
        for descriptor in descriptors { posix_spawn_file_actions_adddup2(&actions, descriptor, descriptor) }

        // The command starts with the default action for the forwarded signals and nothing
        // blocked, whatever this process has installed.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t(), none = sigset_t()
        sigemptyset(&defaults)
        sigemptyset(&none)
        for signal in forwardedSignals { sigaddset(&defaults, signal) }
        // Ignored here so that a closed stdout is an error, not a sudden death; the command
        // gets the action it would have had.
        if Output.brokenPipeWasDefault { sigaddset(&defaults, SIGPIPE) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        SignalForwarding.install()
        defer { SignalForwarding.stop() }
        var pid: pid_t = 0
        let code = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp)
        guard code == 0 else { throw SpawnError(command: arguments[0], code: code) }
        SignalForwarding.forward(to: pid)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw SpawnError(command: arguments[0], code: errno) }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}

/// Passes SIGINT, SIGTERM and SIGHUP on to a child process.
///
/// A signal handler can reach only global state, so the child's pid (and a signal that
/// came before the child existed) live in atomics.
enum SignalForwarding {
    /// The child to pass signals to; 0 while there is none yet.
    private static let target = Atomic<Int32>(0)
    /// A signal that arrived before the child was started, passed on once it is.
    private static let pending = Atomic<Int32>(0)

    static func install() {
        target.store(0, ordering: .sequentiallyConsistent)
        pending.store(0, ordering: .sequentiallyConsistent)
        for signal in ChildCommand.forwardedSignals {
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = { signal in SignalForwarding.received(signal) }
            #else
            action.__sigaction_u.__sa_handler = { signal in SignalForwarding.received(signal) }
            #endif
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signal, &action, nil)
        }
        // A parent may have started this process with them blocked (a multithreaded
        // launcher often does); blocked, they would wait unseen until exec ends.
        var forwarded = sigset_t()
        sigemptyset(&forwarded)
        for signal in ChildCommand.forwardedSignals { sigaddset(&forwarded, signal) }
        pthread_sigmask(SIG_UNBLOCK, &forwarded, nil)
    }

    /// Starts passing signals to `pid`, first any that came while it was being started.
    static func forward(to pid: pid_t) {
        target.store(pid, ordering: .sequentiallyConsistent)
        let early = pending.exchange(0, ordering: .sequentiallyConsistent)
        if early != 0 { kill(pid, early) }
    }

    /// Back to the default actions, once the child is gone.
    static func stop() {
        target.store(0, ordering: .sequentiallyConsistent)
        for number in ChildCommand.forwardedSignals { signal(number, SIG_DFL) }
    }

    /// Runs in the signal handler: only async-signal-safe calls.
    private static func received(_ signal: Int32) {
        let pid = target.load(ordering: .sequentiallyConsistent)
        if pid > 0 { kill(pid, signal) } else { pending.store(signal, ordering: .sequentiallyConsistent) }
    }
}
