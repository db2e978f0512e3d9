import ArgumentParser
import Foundation
import Logging
import OpenWorkClient
import OpenWorkCore
import OpenWorkDaemon
import OpenWorkJSON
import OpenWorkLogging
import OpenWorkOperations
import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The options of a command that reaches the daemon and starts it when none runs: whether it may start one,
/// and the ``ServeOptions`` it starts it with. Shown under their own heading, after the command's own options.
struct AutoStartOptions: ParsableArguments {
    /// The heading of the daemon options in `--help-hidden`.
    static let title = "Daemon options (used when this command starts the daemon)"

    @Flag(
        inversion: .prefixedNo,
        help: """
            Start the daemon when none runs (default: yes, unless $OPENWORK_NO_AUTO_START is true/1/yes; \
            no: daemon_not_running). Its options: --help-hidden.
            """)
    var autoStart: Bool?

    /// Hidden from `--help`, which shows the command's own options; `--help-hidden` lists them under ``title``.
    @OptionGroup(title: AutoStartOptions.title, visibility: .hidden) var serve: ServeOptions

    func validate() throws {
        _ = try enabled(ProcessInfo.processInfo.environment)
    }

    /// Whether this command may start a daemon: the flag, else `OPENWORK_NO_AUTO_START` (inverted), else yes.
    func enabled(_ environment: [String: String]) throws -> Bool {
        if let autoStart { return autoStart }
        guard let text = environment["OPENWORK_NO_AUTO_START"], !text.isEmpty else { return true }
        guard let off = Setting.boolean(text) else {
            throw ValidationError("OPENWORK_NO_AUTO_START takes true/1/yes or false/0/no, got \"\(text)\"")
        }
        return !off
    }
}
