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
        @OptionGroup var lifecycle: LifecycleOptions

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            let log = serve.log.bootstrap()
            let logger = Logger(label: "openwork.daemon")
            for warning in OpenWorkVariables.warnings(for: environment) { logger.warning("\(warning)") }
            var engine = Engine.Configuration(dataDirectory: common.dataDirectory, environment: environment)
            engine.log = log
            engine.opencodeExecutable = serve.opencodeBin
            engine.tuneSupervisor = serve.tuneOpenCode(environment)
            do {
                try engine.checkExplicitOpenCode()
                engine.sidecars = try serve.sidecar.settings(
                    dataDirectory: engine.dataDirectory.path, opencodeBin: serve.opencodeBin)
            } catch {
                FileHandle.standardError.write(Data("openwork: \(error.message) [\(error.code)]\n".utf8))
                throw ExitCode(1)
            }
            engine.approvals = try ApprovalsCommand.settings(serve.approvals, environment)
            engine.lifecycle = try lifecycle.settings(environment)
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
        @OptionGroup var lifecycle: LifecycleOptions

        func run() async throws {
            let directory = common.dataDirectory
            try await CommandOutput.run(json: common.json) { () throws(OpenWorkError) in
                let started = try await Self.start(serve, lifecycle: lifecycle, in: directory)
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
        /// `lifecycle`: only `daemon start|restart` take those flags (in the options of every command that may
        /// start a daemon, they would slow the parsing of each; the variables reach an auto-started daemon).
        static func start(_ serve: ServeOptions, lifecycle: LifecycleOptions? = nil, in directory: DataDirectory)
            async throws(OpenWorkError) -> DaemonLauncher.Started
        {
            try await start(
                arguments: serve.arguments + (lifecycle?.arguments ?? []), opencodeBin: serve.opencodeBin,
                in: directory)
        }

        /// Starts `daemon run --data-dir DIR arguments…` (the options of ``ServeOptions/arguments``; never a
        /// secret: they are on its argv), or finds the daemon that runs.
        static func start(arguments: [String], opencodeBin: String?, in directory: DataDirectory)
            async throws(OpenWorkError) -> DaemonLauncher.Started
        {
            // A named binary that cannot run fails here and now, not on the daemon's first opencode need.
            var engine = Engine.Configuration(
                dataDirectory: directory, environment: ProcessInfo.processInfo.environment)
            engine.opencodeExecutable = opencodeBin
            try engine.checkExplicitOpenCode()
            return try await DaemonLauncher.start(
                executable: currentExecutable,
                arguments: ["daemon", "run", "--data-dir", directory.path] + arguments,
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
        @OptionGroup var lifecycle: LifecycleOptions

        func run() async throws {
            let directory = common.dataDirectory
            try await CommandOutput.run(json: common.json) { () throws(OpenWorkError) in
                var stopped: DaemonRecord?
                if await DaemonClient(dataDirectory: directory).running() != nil {
                    stopped = try await DaemonLauncher.stop(dataDirectory: directory)
                }
                let started = try await Start.start(serve, lifecycle: lifecycle, in: directory)
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
