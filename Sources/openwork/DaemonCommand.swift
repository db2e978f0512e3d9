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

/// `openwork daemon run|start|stop|status`.
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run, start, stop or inspect the daemon: one engine plus the HTTP control plane on 127.0.0.1.",
        subcommands: [Run.self, Start.self, Stop.self, Restart.self, Status.self],
        defaultSubcommand: Run.self
    )
}

/// Options every daemon command shares.
struct DataDirOptions: ParsableArguments {
    @Option(help: "The data directory (default: $OPENWORK_DATA_DIR, else ~/.openwork/openwork-orchestrator).")
    var dataDir: String?

    @Flag(
        inversion: .prefixedNo,
        help: "Print one JSON object: {\"ok\":true,…} or {\"ok\":false,\"error\":…,\"kind\":…}.")
    var json = false

    var dataDirectory: DataDirectory {
        DataDirectory.resolve(
            flag: dataDir, environment: ProcessInfo.processInfo.environment,
            cwd: FileManager.default.currentDirectoryPath)
    }
}

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

    @OptionGroup var log: LogOptions
    @OptionGroup var sidecar: SidecarOptions
    @OptionGroup var approvals: ApprovalOptions

    func validate() throws {
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

    var host: String { daemonHost ?? "127.0.0.1" }

    var resolvedPort: Int {
        daemonPort ?? ProcessInfo.processInfo.environment["OPENWORK_DAEMON_PORT"].flatMap { Int($0) } ?? 0
    }

    /// The same options as arguments of `daemon run`.
    var arguments: [String] {
        var arguments = ["--daemon-host", host, "--daemon-port", String(resolvedPort)]
        if let opencodeBin { arguments += ["--opencode-bin", Self.absolute(opencodeBin)] }
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

/// Settings given to a command that the running daemon does not have: one warning line each on stderr, and
/// `warnings` in `--json` output. They apply only through `openwork daemon restart` (never silently ignored,
/// never a silent restart).
enum SettingsWarnings {
    static func messages(given: DaemonSettings, record: DaemonRecord) -> [String] {
        guard let running = record.settings else { return [] }
        return running.mismatches(given, boundPort: record.port).map { mismatch in
            "the running daemon (pid \(record.pid)) uses \(mismatch.flag) \(mismatch.running), not \(mismatch.given); "
                + "`openwork daemon restart` with these options applies them"
        }
    }

    /// One line on stderr per warning.
    static func write(_ warnings: [String]) {
        for warning in warnings { FileHandle.standardError.write(Data("openwork: warning: \(warning)\n".utf8)) }
    }

    /// Writes each warning on stderr and returns `result` with `warnings` added (when there are any).
    static func report(_ warnings: [String], in result: JSONValue) -> JSONValue {
        guard !warnings.isEmpty else { return result }
        write(warnings)
        var members = result.objectValue ?? ["result": result]
        members["warnings"] = .array(warnings.map(JSONValue.string))
        return .object(members)
    }
}

/// Prints a command's outcome: `--json` → one object on stdout; otherwise a line for people.
enum CommandOutput {
    static func success(_ result: JSONValue, json: Bool, human: @autoclosure () -> String) {
        if json {
            var members = result.objectValue ?? ["result": result]
            members["ok"] = true
            print((try? JSONValue.object(members).serialized(.compact)) ?? #"{"ok":true}"#)
        } else {
            print(human())
        }
    }

    /// Reports the failure (stdout JSON with `--json`, else one line on stderr) and exits 1.
    static func failure(_ error: OpenWorkError, json: Bool) -> ExitCode {
        if json {
            var members = error.details
            members["ok"] = false
            members["error"] = .string(error.message)
            members["kind"] = .string(error.code.rawValue)
            print((try? JSONValue.object(members).serialized(.compact)) ?? #"{"ok":false}"#)
        } else {
            FileHandle.standardError.write(Data("openwork: \(error.message) [\(error.code)]\n".utf8))
        }
        return ExitCode(1)
    }

    static func run(json: Bool, _ body: () async throws(OpenWorkError) -> Void) async throws {
        do {
            try await body()
        } catch {
            throw failure(error, json: json)
        }
    }
}

extension DaemonCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Serve in the foreground until SIGTERM, SIGINT or POST /shutdown.",
            discussion: """
                Takes the data directory's lock at once (another engine there → data_dir_locked, exit 3), writes a \
                fresh bearer token to <data-dir>/daemon-token (0600), serves on 127.0.0.1 and records \
                {pid, port, baseUrl, startedAt} in the state file. Stopping clears the record and stops opencode.
                """
        )

        @OptionGroup var common: DataDirOptions
        @OptionGroup var serve: ServeOptions

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            let log = serve.log.bootstrap()
            let logger = Logger(label: "openwork.daemon")
            var engine = Engine.Configuration(dataDirectory: common.dataDirectory, environment: environment)
            engine.log = log
            engine.opencodeExecutable = serve.opencodeBin
            engine.tuneSupervisor = EngineTuning.fromEnvironment(environment)
            do {
                try engine.checkExplicitOpenCode()
                engine.sidecars = try serve.sidecar.settings(
                    dataDirectory: engine.dataDirectory.path, opencodeBin: serve.opencodeBin)
            } catch {
                FileHandle.standardError.write(Data("openwork: \(error.message) [\(error.code)]\n".utf8))
                throw ExitCode(1)
            }
            engine.approvals = try ApprovalsCommand.settings(serve.approvals, environment)
            var daemon = Daemon.Configuration(engine: engine)
            daemon.host = serve.host
            daemon.settings = serve.running(environment, approvals: engine.approvals)
            daemon.port = serve.resolvedPort
            daemon.allowedOrigins = Set(serve.cors)
            daemon.testMethods = Operations.Configuration.testMethodsEnabled(environment)
            let directory = engine.dataDirectory.path
            daemon.onReady = { record in
                logger.notice(
                    "serving \(record.baseURL) (pid \(record.pid)) for \(directory)",
                    metadata: ["url.full": "\(record.baseURL)", "process.pid": "\(record.pid)"])
            }
            do {
                try await Daemon.run(daemon)
            } catch let error as OpenWorkError {
                let code: Int32 = error.code == .dataDirLocked ? DaemonLauncher.lostLockExitCode : 1
                logger.error("\(error.message) [\(error.code)]", metadata: ["error.type": "\(error.code)"])
                throw ExitCode(code)
            } catch {
                logger.error("the daemon failed: \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "start",
            abstract: "Start the daemon in the background (or report the one running) and wait until it serves.",
            discussion:
                "Output: {ok, pid, baseUrl, port, alreadyRunning}. The daemon's output goes to <data-dir>/logs/daemon.log."
        )

        @OptionGroup var common: DataDirOptions
        @OptionGroup var serve: ServeOptions

        func run() async throws {
            let directory = common.dataDirectory
            try await CommandOutput.run(json: common.json) { () throws(OpenWorkError) in
                let started = try await Self.start(serve, in: directory)
                var result = started.record.json
                result["alreadyRunning"] = .bool(started.alreadyRunning)
                if started.alreadyRunning {
                    let environment = ProcessInfo.processInfo.environment
                    result = SettingsWarnings.report(
                        SettingsWarnings.messages(given: serve.given(environment), record: started.record), in: result)
                }
                let verb = started.alreadyRunning ? "already running" : "started"
                CommandOutput.success(
                    result, json: common.json,
                    human: "daemon \(verb): pid \(started.record.pid) at \(started.record.baseURL)")
            }
        }

        /// Starts `daemon run` with these options (or finds the daemon that runs).
        static func start(_ serve: ServeOptions, in directory: DataDirectory) async throws(OpenWorkError)
            -> DaemonLauncher.Started
        {
            // A named binary that cannot run fails here and now, not on the daemon's first opencode need.
            var engine = Engine.Configuration(
                dataDirectory: directory, environment: ProcessInfo.processInfo.environment)
            engine.opencodeExecutable = serve.opencodeBin
            try engine.checkExplicitOpenCode()
            return try await DaemonLauncher.start(
                executable: currentExecutable,
                arguments: ["daemon", "run", "--data-dir", directory.path] + serve.arguments,
                environment: ProcessInfo.processInfo.environment, dataDirectory: directory,
                within: ServeOptions.startTimeout)
        }

        /// This executable, so the daemon runs the same build as the command that started it.
        static var currentExecutable: String {
            var buffer = [CChar](repeating: 0, count: 4_096)
            let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
            guard count > 0 else { return CommandLine.arguments[0] }
            return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stop",
            abstract: "Stop the running daemon and wait until it and its opencode are gone (never starts one)."
        )

        @OptionGroup var common: DataDirOptions

        func run() async throws {
            try await CommandOutput.run(json: common.json) { () throws(OpenWorkError) in
                let record = try await DaemonLauncher.stop(dataDirectory: common.dataDirectory)
                CommandOutput.success(
                    ["pid": .integer(Int64(record.pid)), "stopped": true], json: common.json,
                    human: "daemon stopped (pid \(record.pid))")
            }
        }
    }

    struct Restart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restart",
            abstract: "Stop the running daemon (if any), then start one with the options given here.",
            discussion: """
                The way to apply settings (--opencode-bin, --approval, --daemon-port, their OPENWORK_* variables, …) \
                that a command reported as differing from the running daemon's. Output: as daemon start, plus \
                stoppedPid when a daemon was stopped. Workspaces are kept (they live in the state file).
                """
        )

        @OptionGroup var common: DataDirOptions
        @OptionGroup var serve: ServeOptions

        func run() async throws {
            let directory = common.dataDirectory
            try await CommandOutput.run(json: common.json) { () throws(OpenWorkError) in
                var stopped: DaemonRecord?
                if await DaemonClient(dataDirectory: directory).running() != nil {
                    stopped = try await DaemonLauncher.stop(dataDirectory: directory)
                }
                let started = try await Start.start(serve, in: directory)
                var result = started.record.json
                result["alreadyRunning"] = .bool(started.alreadyRunning)
                if let stopped { result["stoppedPid"] = .integer(Int64(stopped.pid)) }
                CommandOutput.success(
                    result, json: common.json,
                    human: "daemon restarted: pid \(started.record.pid) at \(started.record.baseURL)")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Report the running daemon and its health (never starts one; daemon_not_running otherwise)."
        )

        @OptionGroup var common: DataDirOptions

        func run() async throws {
            try await CommandOutput.run(json: common.json) { () throws(OpenWorkError) in
                let (record, health) = try await DaemonClient(dataDirectory: common.dataDirectory).requireRunning()
                var result = record.json.objectValue ?? [:]
                result["running"] = true
                result["health"] = health
                CommandOutput.success(
                    .object(result), json: common.json,
                    human: "daemon running: pid \(record.pid) at \(record.baseURL), opencode "
                        + (health["opencode"]?["state"]?.stringValue ?? "unknown"))
            }
        }
    }
}
