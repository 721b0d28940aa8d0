import ArgumentParser
import NonceKit

struct NextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "next",
        abstract: "Print the next nonce(s), one a line.",
        discussion: "Each nonce is above every nonce the stream ever issued, in any process, before or after any crash."
    )

    @OptionGroup var options: DatabaseOptions

    @Option(parsing: .unconditional, help: "How many nonces to print.")
    var count = 1

    @Option(help: "A label stored with each nonce in the history.")
    var label: String?

    @Option(help: ArgumentHelp("How to record history: batched, synchronous or off.", valueName: "mode"))
    var history: HistoryArgument = .batched

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "How far the durable high-water mark runs ahead, 1ms to 1h (default 1s).", valueName: "duration"))
    var lease: DurationArgument?

    @OptionGroup(title: "Rate limiting") var limits: RateLimitOptions

    @Flag(help: "Print JSON: {\"stream\": ..., \"nonces\": [...]}.")
    var json = false

    func validate() throws {
        if let lease, !(Duration.milliseconds(1)...Duration.seconds(3600)).contains(lease.duration) {
            throw ValidationError("--lease must be between 1ms and 1h (a crash skips at most one lease of nonce space), not \(lease.text)")
        }
        guard count >= 1 else { throw ValidationError("--count must be a positive number of nonces, not \(count)") }
    }

    func run() throws {
        var configuration = options.managerConfiguration()
        configuration.history.mode = history.mode
        if let lease { configuration.timing.leaseSpan = lease.duration }
        limits.apply(to: &configuration)
        let manager = try NonceManager(database: options.path, configuration: configuration)
        defer { try? manager.close() }
        if json {
            var nonces: [UInt64] = []
            nonces.reserveCapacity(min(count, 1 << 20))
            do {
                for _ in 0..<count { nonces.append(try manager.next(label: label, cost: limits.cost)) }
            } catch {
                // The nonces issued before the failure are out of the store's hands: print them.
                try? Output.line(try JSONOutput.encode(CommandResult(stream: manager.stream, nonces: nonces, keys: ["nonces"])))
                throw error
            }
            try Output.line(try JSONOutput.encode(CommandResult(stream: manager.stream, nonces: nonces, keys: ["nonces"])))
            try manager.close()
            return
        }
        let output = OutputBuffer()
        for _ in 0..<count {
            let nonce: UInt64
            do {
                nonce = try manager.next(label: label, cost: limits.cost)
            } catch {
                // Every nonce issued before the failure was handed out (its mark is durable):
                // print them, not drop up to a buffer's worth, so the caller knows what is spent.
                try? output.flush()
                throw error
            }
            try output.appendLine(String(nonce))
        }
        try output.flush()
        // Reports a history write that failed during the run (a full disk): exit non-zero.
        try manager.close()
    }
}

/// `--history`, mapped onto ``NonceManager/HistoryMode``.
enum HistoryArgument: String, CaseIterable, ExpressibleByArgument {
    case batched, synchronous, off

    var mode: NonceManager.HistoryMode {
        switch self {
        case .batched: .batched
        case .synchronous: .synchronous
        case .off: .off
        }
    }
}
