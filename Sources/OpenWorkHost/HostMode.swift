import Foundation
import Logging
public import OpenWorkCore
public import OpenWorkJSON
import OpenWorkSidecars
public import OpenWorkSystem

/// Host mode: opencode (the engine's supervised child, configured by ``HostSettings/configureOpenCode(_:dataDirectory:)``),
/// then openwork-server once opencode is ready, then opencode-router when asked for; each supervised with its
/// own readiness, health probe and restart policy, all of them marked with the data directory so a later engine
/// terminates what a killed host left behind.
///
/// It republishes its services' supervisor events as `service.starting|ready|exited|restarting|failed {service,
/// …}` and ends the run (``ending()``) when a service it cannot go on without has failed: opencode or
/// openwork-server given up after a crash loop, a required router that exits, or with `exitOnChildFailure` any
/// exit (see ``end(service:what:event:settings:)``).
public actor HostMode {
    /// Why a run ends on its own.
    public struct End: Sendable, Equatable {
        public var service: String
        public var reason: String
        /// The exit code the command ends with (a child's own with `exitOnChildFailure`).
        public var exitCode: Int32
    }

    public struct Binaries: Sendable {
        public var openworkServer: String
        public var openworkServerVersion: String?
        public var router: String?

        public init(openworkServer: String, openworkServerVersion: String? = nil, router: String? = nil) {
            self.openworkServer = openworkServer
            self.openworkServerVersion = openworkServerVersion
            self.router = router
        }
    }

    public let settings: HostSettings
    /// Where the services run (``HostSandbox/none``: on the host), from ``start(binaries:sandbox:)``.
    public private(set) var sandbox = HostSandbox.none
    /// The last stop asked for: see ``stop()``.
    var stopping: Task<Void, Never>?
    var sandboxFinished = false
    let engine: Engine
    let environment: [String: String]
    let dataDirectory: String
    let onOutput: @Sendable (_ component: String, _ line: String) -> Void
    let logger = Logger(label: "openwork.host")
    var server: Supervisor?
    var router: Supervisor?
    var ownerToken: String?
    var openworkVersion: String?
    var ended: End?
    /// Carries the end of the run to ``ending()`` (one element, then finished).
    nonisolated let endings: AsyncStream<End>
    let endingsInput: AsyncStream<End>.Continuation
    var watcher: Task<Void, Never>?
    /// Ends the watcher's subscription after the events already published (the services' last exits).
    var finishWatching: (@Sendable () -> Void)?

    public init(
        settings: HostSettings, engine: Engine, environment: [String: String], dataDirectory: String,
        onOutput: @escaping @Sendable (_ component: String, _ line: String) -> Void = { _, _ in }
    ) {
        self.settings = settings
        self.engine = engine
        self.environment = environment
        self.dataDirectory = dataDirectory
        self.onOutput = onOutput
        (endings, endingsInput) = AsyncStream<End>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Starts everything in the anchor's order and returns the connection details once every required service
    /// is ready. Throws the first failure (the caller stops what was started with ``stop()``). The engine's
    /// opencode must already be configured for `sandbox` (``HostSettings/configureOpenCode(_:dataDirectory:sandbox:)``);
    /// ``stop()`` finishes it.
    public func start(binaries: Binaries, sandbox: HostSandbox = .none) async throws(OpenWorkError)
        -> HostConnection
    {
        self.sandbox = sandbox
        let (events, finish) = engine.events.subscription()
        finishWatching = finish
        watcher = Task { await self.watch(events) }
        try await engine.takeOwnership()
        _ = try await engine.add(path: settings.workspace, name: nil, cwd: nil)
        _ = try await engine.activate(settings.workspace, cwd: nil)
        await engine.setHotReload(
            enabled: settings.hotReload.enabled, debounce: .milliseconds(settings.hotReload.debounceMs),
            cooldown: .milliseconds(settings.hotReload.cooldownMs))
        try await engine.waitUntilReady()
        await engine.pin(settings.workspace)
        let opencode = await engine.supervisor.snapshot
        guard let opencodeURL = opencode.endpoint?.baseURL else {
            throw OpenWorkError(.opencodeUnavailable, "opencode stopped being ready during host start")
        }
        var serverConfiguration = OpenWorkServerService.Configuration(
            executable: binaries.openworkServer, settings: settings, opencodeURL: opencodeURL,
            environment: environment)
        serverConfiguration.expectedVersion = binaries.openworkServerVersion
        serverConfiguration.owner = dataDirectory
        let output = onOutput
        serverConfiguration.onOutputLine = { line in output("openwork-server", line) }
        serverConfiguration.onVerified = { token, version in await self.verified(token: token, version: version) }
        if let ports = sandbox.ports { serverConfiguration.port = ports.openwork }
        if let host = sandbox.bindHost { serverConfiguration.host = host }
        var serverDescription = serverConfiguration.description()
        serverDescription.launch = sandbox.launch(service: "openwork-server")
        serverDescription.beforeStop = sandbox.beforeStop(service: "openwork-server")
        let server = Supervisor(serverDescription, events: engine.events)
        self.server = server
        let serverReady = try await server.readyEndpoint(within: settings.startupTimeout + .seconds(5))
        var routerURL: String?
        if settings.router != .off, let executable = binaries.router {
            var routerConfiguration = RouterService.Configuration(
                executable: executable, settings: settings, opencodeURL: opencodeURL, environment: environment,
                dataDirectory: dataDirectory)
            routerConfiguration.owner = dataDirectory
            routerConfiguration.onOutputLine = { line in output("opencode-router", line) }
            if let ports = sandbox.ports { routerConfiguration.healthPort = ports.router }
            var routerDescription = routerConfiguration.description()
            routerDescription.launch = sandbox.launch(
                service: "opencode-router",
                writable: [routerConfiguration.childEnvironment["OPENCODE_ROUTER_DATA_DIR"]]
                    .compactMap { $0 })
            routerDescription.beforeStop = sandbox.beforeStop(service: "opencode-router")
            let router = Supervisor(routerDescription, events: engine.events)
            self.router = router
            do {
                routerURL = try await router.readyEndpoint(within: settings.startupTimeout + .seconds(5)).endpoint
                    .baseURL
            } catch {
                guard settings.router == .optional else { throw error }
                logger.warning("opencode-router did not start; continuing without it", metadata: ["error": "\(error)"])
            }
        } else if settings.router == .required {
            throw OpenWorkError(.serviceStartFailed, "opencode-router is required but no binary was found")
        }
        return connection(opencodeURL: opencodeURL, openworkURL: serverReady.endpoint.baseURL, routerURL: routerURL)
    }

    /// Waits until the run ends on its own (a failure host mode cannot go on with); `nil` when the waiting task is
    /// cancelled first (the run was ended from outside, e.g. by a signal).
    public nonisolated func ending() async -> End? {
        for await end in endings { return end }
        return nil
    }

    /// Stops the router, openwork-server, then opencode (each group TERM → grace → KILL), then the sandbox. Stops
    /// run one after the other: a second caller (a signal's handler and the run's end both stop) waits for the
    /// stop under way, then stops whatever a start still going on made meanwhile; nobody goes on (e.g. to shut
    /// the engine down) while an ordered stop is under way.
    public func stop() async {
        let previous = stopping
        let task = Task {
            await previous?.value
            await self.stopInOrder()
        }
        stopping = task
        await task.value
    }

    private func stopInOrder() async {
        await router?.stop()
        await server?.stop()
        await engine.supervisor.stop()
        await engine.endHostLifecycle(settings.workspace)
        if !sandboxFinished {
            sandboxFinished = true
            await sandbox.finish()
        }
        // Drained, not cancelled: the `service.exited` events of this stop are republished before it returns.
        finishWatching?()
        finishWatching = nil
        await watcher?.value
        watcher = nil
    }

    /// Starts a fresh child of `service` now (the running one is stopped first; a failed service gets a new
    /// chance). Throws `invalid_params` for a service this run does not have.
    public func restart(service: String) async throws(OpenWorkError) {
        switch service {
        case "opencode":
            try await engine.restartOpenCode()
        case "openwork-server" where server != nil:
            await server?.restart()
        case "opencode-router" where router != nil:
            await router?.restart()
        default:
            throw OpenWorkError(.serviceUnavailable, "this run has no service \(service)")
        }
    }

    /// `host.status`: each service's state, pid, restarts, last exit, uptime; connection without secrets.
    public func status() async -> JSONValue {
        var services: [JSONValue] = []
        for (name, supervisor) in [
            ("opencode", Optional(engine.supervisor)), ("openwork-server", server), ("opencode-router", router),
        ] {
            guard let supervisor else { continue }
            let snapshot = await supervisor.snapshot
            services.append([
                "service": .string(name), "state": .string(snapshot.phase.rawValue),
                "pid": snapshot.pid.map { .integer(Int64($0)) } ?? .null,
                "url": snapshot.endpoint.map { .string($0.baseURL) } ?? .null,
                "restarts": .integer(Int64(snapshot.restarts)),
                "lastExit": snapshot.lastExit?.jsonValue ?? .null,
                "startedAt": snapshot.startedAt.map(JSONValue.integer) ?? .null,
            ])
        }
        return [
            "runId": .string(settings.runID), "workspace": .string(settings.workspace), "services": .array(services),
            "sandbox": sandbox.json,
        ]
    }

    /// The owner token of the openwork-server child verified last.
    public var currentOwnerToken: String? { ownerToken }

    func verified(token: String, version: String?) {
        ownerToken = token
        openworkVersion = version
    }

    func connection(opencodeURL: String, openworkURL: String, routerURL: String?) -> HostConnection {
        let port = { (url: String) in Int(url.split(separator: ":").last.map(String.init) ?? "") ?? 0 }
        var connectURL = openworkURL
        if settings.remoteAccess, let address = LocalAddress.firstLAN() {
            connectURL = "http://\(address):\(port(openworkURL))"
        }
        return HostConnection(
            runID: settings.runID, workspace: settings.workspace, approvalMode: settings.approvals.mode.rawValue,
            approvalTimeoutMs: settings.approvals.timeout?.milliseconds, readOnly: settings.readOnly,
            opencodeURL: opencodeURL, opencodePort: port(opencodeURL), opencodeVersion: nil,
            hotReload: settings.hotReload, openworkURL: openworkURL, openworkConnectURL: connectURL,
            openworkHost: settings.openworkHost, openworkPort: port(openworkURL), openworkVersion: openworkVersion,
            secrets: settings.secrets, ownerToken: ownerToken, routerURL: routerURL, sandbox: sandbox.json)
    }

    // MARK: Events

    private func watch(_ events: AsyncStream<JSONValue>) async {
        for await event in events {
            guard let type = event["type"]?.stringValue, let dot = type.lastIndex(of: ".") else { continue }
            let service = String(type[..<dot])
            let what = String(type[type.index(after: dot)...])
            guard ["opencode", "openwork-server", "opencode-router"].contains(service),
                ["starting", "ready", "exited", "restarting", "failed"].contains(what)
            else { continue }
            var fields = event.objectValue ?? [:]
            fields["type"] = nil
            fields["time"] = nil
            fields["service"] = .string(service)
            engine.events.publish("service." + what, fields)
            if let end = Self.end(service: service, what: what, event: event, settings: settings) { finish(end) }
        }
    }

    /// Whether `<service>.<what>` ends the run, and how: the pure rule.
    public static func end(service: String, what: String, event: JSONValue, settings: HostSettings) -> End? {
        let reason = event["reason"]?.stringValue ?? what
        switch what {
        case "failed":
            if service == "opencode-router" && settings.router != .required {
                return nil
            }
            return End(service: service, reason: "\(service) failed: \(reason)", exitCode: 1)
        case "exited" where event["stopping"] != true && service == "opencode-router":
            // The router is the one service whose exit matters by itself: required, it ends the run; optional, the
            // warning logged for the exit is all (it is restarted like any other).
            guard settings.router == .required else { return nil }
            return End(service: service, reason: "the required opencode-router exited", exitCode: 1)
        case "exited" where settings.exitOnChildFailure && event["stopping"] != true:
            let code = event["code"]?.int64Value.flatMap { Int32(exactly: $0) } ?? 1
            return End(service: service, reason: "\(service) exited", exitCode: code == 0 ? 1 : code)
        default:
            return nil
        }
    }

    private func finish(_ end: End) {
        guard ended == nil else { return }
        ended = end
        endingsInput.yield(end)
        endingsInput.finish()
    }
}
