import ArgumentParser
import Foundation
import Logging
import OpenWorkCore
import OpenWorkDashboard
import OpenWorkHost
import OpenWorkJSON
import OpenWorkLogging
import OpenWorkSandbox
import OpenWorkSidecars
import OpenWorkSystem
import Synchronization
import UnixSignals

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The options of host mode (`openwork start` and `openwork serve`), with the anchor's names. Each flag wins
/// over its `OPENWORK_*` variable (see ``HostSettings``).
struct HostOptions: ParsableArguments {
    @Option(help: "The workspace to serve (default: $OPENWORK_WORKSPACE, else the current directory).")
    var workspace: String?

    @Flag(inversion: .prefixedNo, help: "openwork-server refuses writes (default: $OPENWORK_READ_ONLY, else no).")
    var readOnly: Bool?

    @Option(
        help: "An origin opencode and openwork-server accept (repeatable; default: $OPENWORK_CORS_ORIGINS, else *).")
    var cors: [String] = []

    @Option(help: "opencode's port (default: $OPENWORK_OPENCODE_PORT, else 0: its own choice).")
    var opencodePort: Int?

    @Option(help: "openwork-server's port (default: $OPENWORK_PORT, else 0: its own choice).")
    var openworkPort: Int?

    @Flag(
        inversion: .prefixedNo,
        help:
            "Let openwork-server bind beyond loopback and print its LAN URL (default: $OPENWORK_REMOTE_ACCESS, else no)."
    )
    var remoteAccess: Bool?

    @Option(help: "opencode's --log-level (default: $OPENWORK_OPENCODE_LOG_LEVEL, else opencode's own).")
    var opencodeLogLevel: String?

    @Option(help: "Seconds each service may take to become ready (default: $OPENWORK_STARTUP_TIMEOUT, else 60).")
    var startupTimeout: Int?

    @Flag(
        inversion: .prefixedNo,
        help:
            "Run opencode-router too (default: $OPENWORK_OPENCODE_ROUTER, else only when --opencode-router-bin is given)."
    )
    var opencodeRouter: Bool?

    @Flag(
        inversion: .prefixedNo,
        help: "Stop everything when opencode-router fails (default: $OPENWORK_OPENCODE_ROUTER_REQUIRED, else no).")
    var opencodeRouterRequired: Bool?

    @Flag(
        inversion: .prefixedNo,
        help: "End the run when any service exits, as the anchor does (default: restart it).")
    var exitOnChildFailure: Bool?

    @OptionGroup var hotReload: HotReloadOptions

    @Option(
        help: """
            Where the services run: none (default), auto, bwrap, docker, podman or container (Apple's, macOS on \
            Apple silicon). auto picks container, docker, podman, then bwrap (default: $OPENWORK_SANDBOX).
            """)
    var sandbox: String?

    @Option(help: "The containers' image (default: $OPENWORK_SANDBOX_IMAGE, else debian:bookworm-slim).")
    var sandboxImage: String?

    @Option(
        help: """
            The directory mounted at /persist, the services' HOME (default: $OPENWORK_SANDBOX_PERSIST_DIR, else \
            <data-dir>/sandbox/persist).
            """)
    var sandboxPersistDir: String?

    @Option(
        help: """
            An extra mount, hostPath:subpath[:ro|rw], at /workspace/extra/<subpath> (repeatable; default: \
            $OPENWORK_SANDBOX_MOUNTS). Refused unless ~/.config/openwork/sandbox-mount-allowlist.json (or \
            $OPENWORK_SANDBOX_MOUNT_ALLOWLIST) allows it.
            """)
    var sandboxMount: [String] = []

    @Flag(help: "After start-up, run the anchor's checks, then stop; exit 0 when they pass, 1 otherwise.")
    var check = false

    @Flag(help: "Like --check, and also require an event from opencode's event stream.")
    var checkEvents = false

    @Flag(help: "Print the credentials in the pretty pairing text (--json always has them).")
    var showSecrets = false

    @Flag(
        help: """
            Hand the services to the daemon of the data directory (started when none runs) and exit: they keep \
            running, supervised, with their output in <data-dir>/logs/<service>.log; openwork status shows them, \
            openwork stop stops them. With --check the checks run before this command exits.
            """)
    var detach = false

    @Flag(help: "Plain logs even in a terminal (openwork start shows a dashboard when stdin and stdout are terminals).")
    var noTui = false

    @Option(help: "The opencode executable (default: $OPENWORK_OPENCODE_BIN, else the resolved sidecar).")
    var opencodeBin: String?

    @OptionGroup var log: LogOptions
    @OptionGroup var sidecar: SidecarOptions
    @OptionGroup var approvals: ApprovalOptions

    var flags: HostSettings.Flags {
        var flags = HostSettings.Flags()
        flags.workspace = workspace
        flags.approval = approvals.approval
        flags.approvalTimeoutMs = approvals.approvalTimeout
        flags.readOnly = readOnly
        flags.cors = cors
        flags.opencodePort = opencodePort
        flags.openworkPort = openworkPort
        flags.remoteAccess = remoteAccess
        flags.opencodeLogLevel = opencodeLogLevel
        flags.runID = log.runId
        flags.startupTimeoutSeconds = startupTimeout
        flags.opencodeRouter = opencodeRouter
        flags.opencodeRouterRequired = opencodeRouterRequired
        flags.opencodeRouterBin = sidecar.opencodeRouterBin
        flags.exitOnChildFailure = exitOnChildFailure
        flags.hotReload = hotReload.opencodeHotReload
        flags.hotReloadDebounceMs = hotReload.opencodeHotReloadDebounceMs
        flags.hotReloadCooldownMs = hotReload.opencodeHotReloadCooldownMs
        flags.sandbox = sandbox
        flags.sandboxImage = sandboxImage
        flags.sandboxPersistDir = sandboxPersistDir
        flags.sandboxMounts = sandboxMount
        return flags
    }
}

/// `openwork start`: host mode, with the dashboard in a terminal (plain logs otherwise).
struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Host mode: opencode + openwork-server (+ opencode-router), supervised, with pairing details.",
        discussion: HostRunner.discussion)

    @OptionGroup var common: DataDirOptions
    @OptionGroup var host: HostOptions

    func run() async throws { try await HostRunner(mode: .start, common: common, options: host).run() }
}

/// `openwork serve`: host mode with plain logs only.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Host mode with plain logs: opencode + openwork-server (+ opencode-router), supervised.",
        discussion: HostRunner.discussion)

    @OptionGroup var common: DataDirOptions
    @OptionGroup var host: HostOptions

    func run() async throws { try await HostRunner(mode: .serve, common: common, options: host).run() }
}

/// What `start` and `serve` do: resolve the settings, run an engine that owns the data directory, start the
/// services in order, print the pairing, then check (`--check`) or serve until SIGINT/SIGTERM or a failure host
/// mode cannot go on with. Every exit path stops every service.
struct HostRunner {
    static let discussion = """
        Order: opencode (ready on an authenticated GET /global/health), then openwork-server (ready on GET /health, \
        then verified: version, the workspace and its opencode credentials in GET /workspaces, GET /approvals with \
        the host token; then an owner token is minted), then opencode-router when asked for. No secret is put on \
        any child's argv or printed (the pretty pairing withholds them; --json prints the anchor's object with the \
        raw credentials). Services restart with backoff (--exit-on-child-failure restores the anchor's "any exit \
        ends the run"). SIGINT/SIGTERM stop every service and exit 0. --detach hands the services to the daemon \
        instead (host.start) and prints the anchor's detach summary; openwork stop ends them. openwork start in a \
        terminal shows a dashboard (services, health, connection with secrets masked, logs; press ? for its keys); \
        serve, --no-tui, --json, --check, or a stdin/stdout that is not a terminal print plain logs.
        """

    /// `start` shows the dashboard in a terminal; `serve` always prints plain logs.
    enum Mode: String {
        case start, serve
    }

    /// How a run ended: the exit code, what to say on stderr once the terminal is back, whether `d` asked for a
    /// hand-over, and the connection of the services that ran.
    struct Outcome: Sendable {
        var exitCode: Int32 = 0
        var messages: [String] = []
        var connection: HostConnection?
    }

    let mode: Mode
    let common: DataDirOptions
    let options: HostOptions

    func run() async throws {
        if options.detach {
            try await HostDetach.run(common: common, options: options)
            return
        }
        let environment = ProcessInfo.processInfo.environment
        let settings: HostSettings
        do {
            settings = try HostSettings.resolve(
                options.flags, environment: environment, workingDirectory: FileManager.default.currentDirectoryPath)
        } catch {
            throw CommandOutput.failure(error, json: common.json)
        }
        let redactor = Redactor(secrets: settings.secrets.all)
        let choice = DashboardChoice.decide(
            command: mode.rawValue, noTUI: options.noTui, json: common.json,
            check: options.check || options.checkEvents, standardInputIsTerminal: isatty(0) == 1,
            standardOutputIsTerminal: isatty(1) == 1, term: environment["TERM"])
        let dashboard = await HostDashboard.open(choice, settings: settings)
        // Bootstrapped once, with the redaction in place: swift-log takes only the first handler.
        var plain = (try? options.log.settings(environment)) ?? LogSettings(runID: settings.runID)
        plain.colour = LogSettings.standardErrorTakesColour(environment)
        let write = plain.write
        plain.write = { line in write(redactor.redact(line)) }
        var log = plain
        if let dashboard {
            let plainLog = plain
            log.records = { line in
                var shown = line
                shown.body = redactor.redact(line.message)
                shown.attributes = [:]
                dashboard.route(shown, plain: plainLog)
            }
        }
        OpenWorkLogging.bootstrap(log)
        for warning in OpenWorkVariables.warnings(for: environment) { Logger(label: "openwork").warning("\(warning)") }
        let outcome: Outcome
        do {
            outcome = try await serve(settings: settings, log: log, dashboard: dashboard, environment: environment)
        } catch let error as OpenWorkError {
            // Said once the terminal is back: written while the dashboard runs, it would land in its Logs tab.
            _ = await dashboard?.close()
            throw CommandOutput.failure(error, json: common.json)
        } catch {
            _ = await dashboard?.close()
            throw error
        }
        if let dashboard {
            let model = await dashboard.close()
            if outcome.exitCode != 0 {
                let lines = HostDashboard.lastLines(model, count: 20)
                if !lines.isEmpty {
                    HostDashboard.say("the last log lines:")
                    FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
                }
            }
        }
        for message in outcome.messages { FileHandle.standardError.write(Data((message + "\n").utf8)) }
        if outcome.exitCode == 0, dashboard?.wantsDetach == true,
            let connection = dashboard?.connection ?? outcome.connection
        {
            HostDashboard.say("handing the services to the daemon of \(common.dataDirectory)…")
            try await HostDetach.handOver(
                settings: settings, connection: connection, common: common, options: options)
            return
        }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }

    /// Runs the services until a stop request, a signal, the checks' end or a failure; every path stops them.
    private func serve(
        settings: HostSettings, log: LogSettings, dashboard: HostDashboard?, environment: [String: String]
    ) async throws -> Outcome {
        var engine = Engine.Configuration(dataDirectory: common.dataDirectory, environment: environment)
        engine.log = log
        engine.opencodeExecutable = options.opencodeBin
        engine.readyDeadline = settings.startupTimeout + .seconds(5)
        engine.approvals = settings.approvals
        let tuning = EngineTuning.fromEnvironment(environment)
        let dataDirectory = engine.dataDirectory.path
        engine.tuneSupervisor = { opencode in
            tuning(&opencode)
            settings.configureOpenCode(&opencode, dataDirectory: dataDirectory)
        }
        try engine.checkExplicitOpenCode()
        engine.sidecars = try options.sidecar.settings(dataDirectory: dataDirectory, opencodeBin: options.opencodeBin)
        let json = common.json
        let options = options
        // Trapped before anything starts: a signal during start-up stops what has started, and is not a failure.
        // With the dashboard, SIGHUP too: the terminal went away.
        let signals = await UnixSignalsSequence(
            trapping: dashboard == nil ? [.sigterm, .sigint] : [.sigterm, .sigint, .sighup])
        return try await Engine.run(engine) { engine in
            let host = HostMode(
                settings: settings, engine: engine, environment: environment, dataDirectory: dataDirectory,
                onOutput: { component, line in log.forward(childLine: line, component: component) })
            let signalled = Mutex(false)
            let (stopRequests, requestStop) = AsyncStream<Void>.makeStream()
            let onSignal = Task {
                for await _ in signals {
                    signalled.withLock { $0 = true }
                    dashboard?.phase(.stopping)
                    requestStop.yield()
                    await host.stop()
                    return
                }
            }
            defer { onSignal.cancel() }
            dashboard?.follow(host, events: engine.events, requestStop: { requestStop.yield() })
            var outcome = Outcome()
            do throws(OpenWorkError) {
                let binaries = try await HostMode.Binaries.resolve(engine.sidecars, settings: settings)
                let sandbox = try await HostSandbox.prepare(
                    settings, dataDirectory: DataDirectory(path: dataDirectory), environment: environment)
                if sandbox.choice.backend != .none {
                    await engine.reconfigureOpenCode({ opencode in
                        settings.configureOpenCode(&opencode, dataDirectory: dataDirectory, sandbox: sandbox)
                    })
                }
                let connection = try await host.start(binaries: binaries, sandbox: sandbox)
                outcome.connection = connection
                if let dashboard {
                    dashboard.started(connection)
                } else {
                    Self.printPairing(connection, json: json, showSecrets: options.showSecrets)
                }
                if options.check || options.checkEvents {
                    try await HostChecks(connection: connection).run(events: options.checkEvents)
                    FileHandle.standardError.write(Data("Checks: ok\n".utf8))
                    await host.stop()
                    return outcome
                }
            } catch {
                dashboard?.phase(.failed(error.message))
                await host.stop()
                if signalled.withLock({ $0 }) { return outcome }
                if json {
                    _ = CommandOutput.failure(error, json: true)
                } else {
                    outcome.messages.append("openwork: \(error.message) [\(error.code)]")
                }
                outcome.exitCode = 1
                return outcome
            }
            let end = await Self.serve(host, until: stopRequests)
            dashboard?.phase(end.map { .failed($0.reason) } ?? .stopping)
            await host.stop()
            guard let end else { return outcome }
            outcome.messages.append("openwork: \(end.reason); stopping everything")
            outcome.exitCode = end.exitCode
            return outcome
        }
    }

    /// Waits for a stop request (a signal: `nil`) or a failure that ends the run.
    static func serve(_ host: HostMode, until stopRequests: AsyncStream<Void>) async -> HostMode.End? {
        await withTaskGroup(of: HostMode.End?.self) { group in
            group.addTask {
                for await _ in stopRequests { return nil }
                return nil
            }
            group.addTask { await host.ending() }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Written at once with one `write(2)`: whoever reads our stdout sees the pairing while we run.
    static func printPairing(_ connection: HostConnection, json: Bool, showSecrets: Bool) {
        let text: String
        if json {
            var members = connection.json().objectValue ?? [:]
            members["ok"] = true
            text = (try? JSONValue.object(members).serialized(.compact)) ?? #"{"ok":true}"#
        } else {
            text = connection.pairingLines(showSecrets: showSecrets).joined(separator: "\n")
        }
        _ = FileIO.writeAll(1, Array((text + "\n").utf8))
    }
}
