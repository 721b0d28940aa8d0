import Foundation
import Logging

/// Keeps the library's log lines out of a passing run's output.
///
/// Many tests provoke warnings and errors on purpose (injected write failures, rejections,
/// clock steps); printed, they would bury a real failure. The logging system is bootstrapped
/// once per test process with a handler that drops everything, unless
/// `NONCESTORE_TEST_LOGS=1` asks to see it.
public enum QuietLogging {
    public static let installed: Void = {
        guard ProcessInfo.processInfo.environment["NONCESTORE_TEST_LOGS"] != "1" else { return }
        LoggingSystem.bootstrap { _ in SwiftLogNoOpLogHandler() }
    }()
}
