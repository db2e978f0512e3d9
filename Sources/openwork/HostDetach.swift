import ArgumentParser
import Foundation
import OpenWorkClient
import OpenWorkCore
import OpenWorkHost
import OpenWorkJSON
import OpenWorkSandbox
import OpenWorkSystem

/// `openwork start|serve --detach`: host mode handed to the daemon of the data directory (started when none
/// runs), so the services keep running, supervised, after this command exits; `openwork status` shows them and
/// `openwork stop` stops them.
///
/// The settings are resolved here (this command's flags and `OPENWORK_*` variables) and travel in the body of
/// `host.start` (the daemon token authenticates it): the daemon makes the secrets, and nothing secret is on its
/// argv, which carries only the daemon's own options. With `--check` the checks run in the daemon before this
/// command returns; a failure stops the services and exits 1.
enum HostDetach {
    static func run(common: DataDirOptions, options: HostOptions) async throws {
        let environment = ProcessInfo.processInfo.environment
        try await CommandOutput.run(json: common.json) { () throws(OpenWorkError) in
            let settings = try HostSettings.resolve(
                options.flags, environment: environment, workingDirectory: FileManager.default.currentDirectoryPath)
            try await start(
                params(settings, options: options, includeSecrets: common.json, environment: environment),
                settings: settings, common: common, options: options)
        }
    }

    /// The dashboard's `d`: the services that ran here (now stopped) started again by the daemon with the same
    /// run id, ports and opencode credentials, so the URLs and the attach command people have still work (the
    /// daemon issues new openwork-server tokens: `openwork status --json` shows them).
    ///
    /// A port taken by someone else in the instant between the stop here and the start there: the services start
    /// on the ports as configured instead (their own choice for 0), and this is said on stderr.
    static func handOver(
        settings: HostSettings, connection: HostConnection, common: DataDirOptions, options: HostOptions
    ) async throws {
        func params(_ settings: HostSettings) -> JSONValue {
            var params = Self.params(settings, options: options, includeSecrets: common.json, environment: [:])
            params["opencodeUsername"] = .string(settings.secrets.opencodeUsername)
            params["opencodePassword"] = .string(settings.secrets.opencodePassword)
            params["check"] = false
            params["checkEvents"] = false
            return params
        }
        var same = settings
        same.opencodePort = connection.opencodePort
        same.openworkPort = connection.openworkPort
        let configured = settings
        try await CommandOutput.run(json: common.json) { () throws(OpenWorkError) in
            do throws(OpenWorkError) {
                try await start(params(same), settings: same, common: common, options: options)
            } catch  where (configured.opencodePort, configured.openworkPort) != (same.opencodePort, same.openworkPort)
            {
                FileHandle.standardError.write(
                    Data("openwork: the same ports could not be used (\(error.message)); starting on new ones\n".utf8))
                try await start(params(configured), settings: configured, common: common, options: options)
            }
        }
    }

    /// `host.start` on the data directory's daemon (started when none runs), then the detach summary (or the
    /// JSON answer).
    private static func start(
        _ params: JSONValue, settings: HostSettings, common: DataDirOptions, options: HostOptions
    ) async throws(OpenWorkError) {
        let environment = ProcessInfo.processInfo.environment
        let directory = common.dataDirectory
        let given = ServeOptions.given(
            opencodeBin: options.opencodeBin, approvals: options.approvals, environment)
        let arguments = daemonArguments(options, environment: environment)
        let answer = try await DaemonCall.call(
            directory, "host.start", params,
            given: given,
            start: { () throws(OpenWorkError) in
                try await DaemonCommand.Start.start(
                    arguments: arguments, opencodeBin: options.opencodeBin, in: directory)
            },
            timeout: (settings.startupTimeout + .seconds(5)) * 3 + .seconds(60))
        if let warnings = answer["warnings"]?.arrayValue, !common.json {
            SettingsWarnings.write(warnings.compactMap(\.stringValue))
        }
        if common.json {
            var members = answer.objectValue ?? [:]
            members["ok"] = true
            members["detached"] = true
            _ = FileIO.writeAll(1, Array(((try? JSONValue.object(members).serialized(.compact)) ?? "{}").utf8))
            _ = FileIO.writeAll(1, Array("\n".utf8))
        } else {
            print(HostConnection.detachSummary(answer).joined(separator: "\n"))
        }
    }

    /// `host.start`'s params: every setting as resolved here, so the daemon's own environment decides nothing.
    static func params(
        _ settings: HostSettings, options: HostOptions, includeSecrets: Bool, environment: [String: String]
    ) -> JSONValue {
        let given = Set(environment.filter { !$0.value.isEmpty }.keys)
        var params: [String: JSONValue] = [
            "workspace": .string(settings.workspace),
            "approval": .string(settings.approvals.mode.rawValue),
            "readOnly": .bool(settings.readOnly),
            "cors": .array(settings.cors.map(JSONValue.string)),
            "opencodePort": .integer(Int64(settings.opencodePort)),
            "openworkPort": .integer(Int64(settings.openworkPort)),
            "remoteAccess": .bool(settings.remoteAccess),
            "runId": .string(settings.runID),
            "startupTimeout": .integer(settings.startupTimeout.components.seconds),
            "opencodeRouter": .bool(settings.router != .off),
            "opencodeRouterRequired": .bool(settings.router == .required),
            "exitOnChildFailure": .bool(settings.exitOnChildFailure),
            "hotReload": .bool(settings.hotReload.enabled),
            "hotReloadDebounceMs": .integer(Int64(settings.hotReload.debounceMs)),
            "hotReloadCooldownMs": .integer(Int64(settings.hotReload.cooldownMs)),
            "check": .bool(options.check || options.checkEvents),
            "checkEvents": .bool(options.checkEvents),
            "includeSecrets": .bool(includeSecrets),
        ]
        if let timeout = settings.approvals.timeout { params["approvalTimeoutMs"] = .integer(timeout.milliseconds) }
        let sandbox = settings.sandbox
        params["sandbox"] = .string(sandbox.requested.name)
        params["sandboxImage"] = .string(sandbox.image)
        if let persist = sandbox.persistDirectory { params["sandboxPersistDir"] = .string(persist) }
        if !sandbox.mounts.isEmpty {
            params["sandboxMounts"] = .array(sandbox.mounts.map(JSONValue.string))
            params["sandboxMountAllowlist"] = .string(
                MountAllowlist.path(
                    override: sandbox.allowlistPath, home: environment["HOME"] ?? "/",
                    workingDirectory: sandbox.workingDirectory))
        }
        if let level = settings.opencodeLogLevel { params["opencodeLogLevel"] = .string(level) }
        // opencode's credentials only when this command was given them ($OPENWORK_OPENCODE_USERNAME/PASSWORD);
        // else the daemon makes its own. They travel in the body, never on an argv.
        if given.contains("OPENWORK_OPENCODE_USERNAME") {
            params["opencodeUsername"] = .string(settings.secrets.opencodeUsername)
        }
        if given.contains("OPENWORK_OPENCODE_PASSWORD") {
            params["opencodePassword"] = .string(settings.secrets.opencodePassword)
        }
        return .object(params)
    }

    /// The daemon's options when this command starts it: its address, then the binaries, sidecar, approval and
    /// log options given here. None of them is a secret.
    static func daemonArguments(_ options: HostOptions, environment: [String: String]) -> [String] {
        let port = environment["OPENWORK_DAEMON_PORT"].flatMap { Int($0) } ?? 0
        var arguments = ["--daemon-host", "127.0.0.1", "--daemon-port", String(port)]
        if let opencodeBin = options.opencodeBin {
            arguments += ["--opencode-bin", ServeOptions.absolute(opencodeBin)]
        }
        return arguments + options.sidecar.arguments + options.approvals.arguments + options.log.arguments
    }
}
