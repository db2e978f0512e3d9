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

/// Options of the serving daemon (`run`, and `start`, which passes them on).
struct ServeOptions: ParsableArguments {
    @Option(help: "The opencode executable (default: $OPENWORK_OPENCODE_BIN, else `opencode` on PATH).")
    var opencodeBin: String?

    @Option(help: "The loopback address to bind (127.0.0.1, ::1 or localhost; default: 127.0.0.1).")
    var daemonHost: String?

    @Option(help: "The port to bind (default: $OPENWORK_DAEMON_PORT, else 0: a free port, recorded in the state file).")
    var daemonPort: Int?

    @Option(help: "An Origin allowed to call the control plane (repeatable; none by default).")
    var cors: [String] = []

    @Option(help: "opencode's port (default: $OPENWORK_OPENCODE_PORT, else 0: its own choice).")
    var opencodePort: Int?

    @Option(help: "opencode's --log-level (default: $OPENWORK_OPENCODE_LOG_LEVEL, else opencode's own).")
    var opencodeLogLevel: String?

    @OptionGroup var log: LogOptions
    @OptionGroup var sidecar: SidecarOptions
    @OptionGroup var approvals: ApprovalOptions

    func validate() throws {
        _ = try openCodeSettings(ProcessInfo.processInfo.environment)
        guard ControlPlane.isLoopback(host) else {
            throw ValidationError("--daemon-host must be a loopback address (127.0.0.1, ::1 or localhost)")
        }
        if let daemonPort, !(0...65_535).contains(daemonPort) {
            throw ValidationError("--daemon-port must be between 0 and 65535")
        }
        let environment = ProcessInfo.processInfo.environment
        for (name, range) in [
            ("OPENWORK_DAEMON_PORT", 0...65_535), ("OPENWORK_DAEMON_START_TIMEOUT_MS", 1...86_400_000),
        ] {
            guard let text = environment[name], !text.isEmpty else { continue }
            guard let value = Int(text), range.contains(value) else {
                throw ValidationError(
                    "\(name) must be a number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
            }
        }
    }

    /// How long `daemon start` (and an auto-start) waits for the daemon: `OPENWORK_DAEMON_START_TIMEOUT_MS`, else 30 s
    /// (a deadline: a daemon serves in well under a second, but a loaded machine can take many).
    static var startTimeout: Duration {
        .milliseconds(
            ProcessInfo.processInfo.environment["OPENWORK_DAEMON_START_TIMEOUT_MS"].flatMap { Int($0) } ?? 30_000)
    }

    /// opencode's port and log level (the anchor's `--opencode-port` and `--opencode-log-level`), flag over
    /// variable; applied to the supervised opencode on top of `tuning`.
    func openCodeSettings(_ environment: [String: String]) throws -> (port: Int, logLevel: String?) {
        var port = 0
        if let opencodePort {
            port = opencodePort
        } else if let text = environment["OPENWORK_OPENCODE_PORT"], !text.isEmpty {
            guard let value = Int(text) else {
                throw ValidationError("OPENWORK_OPENCODE_PORT must be a number from 0 to 65535, got \"\(text)\"")
            }
            port = value
        }
        guard (0...65_535).contains(port) else { throw ValidationError("the opencode port must be from 0 to 65535") }
        let level = opencodeLogLevel ?? environment["OPENWORK_OPENCODE_LOG_LEVEL"].flatMap { $0.isEmpty ? nil : $0 }
        return (port, level)
    }

    /// The supervisor settings of the daemon's opencode: the test tuning from the environment, then the port and
    /// log level.
    func tuneOpenCode(_ environment: [String: String]) -> @Sendable (inout OpenCodeService.Configuration) -> Void {
        let tuning = EngineTuning.fromEnvironment(environment)
        let settings = try? openCodeSettings(environment)
        return { opencode in
            tuning(&opencode)
            guard let settings else { return }
            opencode.port = settings.port
            if let level = settings.logLevel { opencode.extraArguments += ["--log-level", level] }
        }
    }

    var host: String { daemonHost ?? "127.0.0.1" }

    var resolvedPort: Int {
        daemonPort ?? ProcessInfo.processInfo.environment["OPENWORK_DAEMON_PORT"].flatMap { Int($0) } ?? 0
    }

    /// The same options as arguments of `daemon run`.
    var arguments: [String] {
        var arguments = ["--daemon-host", host, "--daemon-port", String(resolvedPort)]
        if let opencodeBin { arguments += ["--opencode-bin", Self.absolute(opencodeBin)] }
        if let opencodePort { arguments += ["--opencode-port", String(opencodePort)] }
        if let opencodeLogLevel { arguments += ["--opencode-log-level", opencodeLogLevel] }
        for origin in cors { arguments += ["--cors", origin] }
        arguments += sidecar.arguments
        arguments += approvals.arguments
        return arguments + log.arguments
    }

    /// The settings given to this command, by flag or variable (`nil`: not given), to compare with a running
    /// daemon's.
    func given(_ environment: [String: String]) -> DaemonSettings {
        var settings = Self.given(opencodeBin: opencodeBin, approvals: approvals, environment)
        settings.host = daemonHost
        settings.port = daemonPort ?? environment["OPENWORK_DAEMON_PORT"].flatMap { Int($0) }
        settings.cors = cors.isEmpty ? nil : cors
        return settings
    }

    /// The engine settings given by flag or variable; shared with `openwork rpc`, which bridges to a running daemon.
    static func given(opencodeBin: String?, approvals: ApprovalOptions, _ environment: [String: String])
        -> DaemonSettings
    {
        func variable(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        return DaemonSettings(
            opencodeBin: opencodeBin.map(absolute) ?? variable("OPENWORK_OPENCODE_BIN"),
            approval: (approvals.approval ?? variable("OPENWORK_APPROVAL_MODE"))?.lowercased(),
            approvalTimeoutMs: approvals.approvalTimeout
                ?? variable("OPENWORK_APPROVAL_TIMEOUT_MS").flatMap { Int($0) })
    }

    /// The settings a daemon serving with these options runs with, for its record.
    func running(_ environment: [String: String], approvals settings: ApprovalSettings) -> DaemonSettings {
        DaemonSettings(
            opencodeBin: opencodeBin ?? environment["OPENWORK_OPENCODE_BIN"].flatMap { $0.isEmpty ? nil : $0 },
            approval: settings.mode.rawValue,
            approvalTimeoutMs: settings.timeout.map { Int($0 / .milliseconds(1)) },
            host: host, port: resolvedPort, cors: cors)
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") || !path.contains("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
