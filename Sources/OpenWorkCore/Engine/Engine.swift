import AsyncHTTPClient
import Foundation
public import Logging
public import OpenWorkJSON
public import OpenWorkLogging
public import OpenWorkSidecars
public import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One engine per data directory: the registry, one supervised opencode, and the routing of every
/// workspace to it by directory.
///
/// Lifetime is scoped: ``run(_:_:)`` runs the body and on the way out stops opencode (its whole process
/// group) and writes what is pending.
///
/// Ownership: registry operations are safe from any number of processes (the state file has its own lock).
/// Supervising opencode is not: the first call that needs opencode takes the data directory's `daemon.lock`
/// for the rest of the engine's life, terminates an opencode left behind by an engine that died, and starts
/// one. Another process that needs opencode meanwhile gets `data_dir_locked`.
public actor Engine {
    public struct Configuration: Sendable {
        public var dataDirectory: DataDirectory
        public var environment: [String: String]
        /// `--opencode-bin`; else `OPENWORK_OPENCODE_BIN`; else `opencode` on PATH.
        public var opencodeExecutable: String?
        /// How long a call waits for opencode to become ready (while it starts or restarts).
        public var readyDeadline: Duration = .seconds(30)
        /// The deadline of each request to opencode.
        public var requestTimeout: Duration = .seconds(10)
        /// Where opencode comes from (see ``SidecarResolver``); `nil`: from the environment, with
        /// ``opencodeExecutable`` as the explicit binary.
        public var sidecars: SidecarSettings?
        /// Adjusts the supervisor's settings (timeouts, probes, backoff), mostly for tests.
        public var tuneSupervisor: @Sendable (inout Supervisor.Configuration) -> Void = { _ in }
        /// When set, opencode's output lines are forwarded to this log, tagged `opencode` (OpenTelemetry lines
        /// pass through unchanged).
        public var log: LogSettings?
        /// Receives every engine event (at info; warnings for exits and failures).
        public var logger = Logger(label: "openwork.engine")
        /// How opencode's permission requests are answered (`--approval`, `--approval-timeout`).
        public var approvals = ApprovalSettings()

        public init(dataDirectory: DataDirectory, environment: [String: String]) {
            self.dataDirectory = dataDirectory
            self.environment = environment
        }

        /// When a binary was named by path (`--opencode-bin`, `OPENWORK_OPENCODE_BIN`), it must be an executable
        /// file: a daemon checks it before it starts, so `daemon start` fails at once with `opencode_not_found`
        /// instead of on the first call that needs opencode.
        public func checkExplicitOpenCode() throws(OpenWorkError) {
            guard let explicit = opencodeExecutable ?? environment["OPENWORK_OPENCODE_BIN"], explicit.contains("/")
            else { return }
            var info = stat()
            let why: String? =
                if stat(explicit, &info) != 0 {
                    String(cString: strerror(errno))
                } else if (info.st_mode & S_IFMT) != S_IFREG {
                    "not a regular file"
                } else if access(explicit, X_OK) != 0 {
                    "not executable"
                } else {
                    nil
                }
            guard let why else { return }
            throw OpenWorkError(
                .opencodeNotFound,
                "no opencode at \(explicit): \(why) (set --opencode-bin or OPENWORK_OPENCODE_BIN to an opencode executable)",
                details: ["executable": .string(explicit)])
        }

        /// The opencode executable to run: the explicit one, else the environment's, else the first `opencode`
        /// on PATH, else plain `opencode` (which then fails to start with a clear error).
        public var resolvedExecutable: String {
            if let explicit = opencodeExecutable ?? environment["OPENWORK_OPENCODE_BIN"], !explicit.isEmpty {
                return explicit
            }
            return Executable.onPath("opencode", environment: environment) ?? "opencode"
        }
    }

    public nonisolated let registry: Registry
    public nonisolated let events: EventBus
    public nonisolated let supervisor: Supervisor
    /// Finds and verifies opencode (and the other sidecars) before the supervisor runs it.
    public nonisolated let sidecars: SidecarResolver
    private let sidecarSettingsError: OpenWorkError?
    /// Where the opencode the supervisor runs came from, once resolved.
    private var opencodeResolution: SidecarResolution?
    /// The resolution in progress, shared by the calls that arrive while it runs.
    private var opencodeResolving: Task<Result<SidecarResolution, OpenWorkError>, Never>?
    public nonisolated let approvals: ApprovalCenter
    private nonisolated let client: OpenCodeClient
    private let http: HTTPClient
    private let configuration: Configuration
    private var ownership: Task<Result<FileLock, OpenWorkError>, Never>?
    private let startedAt = Registry.Clock.unixMilliseconds()
    private let started = ContinuousClock.now
    /// Workspaces whose instance was touched since their last disposal, with the opencode pid that holds it.
    private var warm: [String: Int64] = [:]

    private init(_ configuration: Configuration) throws(OpenWorkError) {
        var configuration = configuration
        // A mark inherited from an opencode this process runs under names another engine's data directory:
        // it must not pass to our children (the supervisor sets our own on opencode).
        configuration.environment[OwnedProcesses.ownerVariable] = nil
        self.configuration = configuration
        let logger = configuration.logger
        let events = EventBus(tap: { type, fields in Engine.log(type, fields, to: logger) })
        self.events = events
        var registryConfiguration = Registry.Configuration(
            dataDirectory: configuration.dataDirectory, home: configuration.environment["HOME"])
        registryConfiguration.onEvent = { event in
            if let type = event["type"]?.stringValue { events.publish(type, event.objectValue ?? [:]) }
        }
        let registry = try Registry(registryConfiguration)
        self.registry = registry
        http = OpenCodeClient.makeHTTPClient()
        client = OpenCodeClient(http: http)
        var supervisorConfiguration = Supervisor.Configuration(
            executable: configuration.resolvedExecutable, environment: configuration.environment)
        if let log = configuration.log {
            supervisorConfiguration.onOutputLine = { line in log.forward(childLine: line, component: "opencode") }
        }
        supervisorConfiguration.owner = configuration.dataDirectory.path
        configuration.tuneSupervisor(&supervisorConfiguration)
        var settingsError: OpenWorkError?
        var settings = configuration.sidecars
        if settings == nil {
            var flags = SidecarSettings.Flags()
            flags.binaries[.opencode] = configuration.opencodeExecutable
            do {
                settings = try SidecarSettings.resolve(
                    flags, environment: configuration.environment, dataDirectory: configuration.dataDirectory.path,
                    bundleDirectory: nil)
            } catch {
                settingsError = error
            }
        }
        sidecarSettingsError = settingsError
        sidecars = SidecarResolver(
            settings: settings
                ?? SidecarSettings(
                    directory: configuration.dataDirectory.path + "/sidecars", baseURL: "", manifestLocation: ""),
            onEvent: { type, members in events.publish(type, members) })
        supervisor = Supervisor(supervisorConfiguration, client: client, events: events) { record in
            try? await registry.setRecord(.opencode, record?.json)
        }
        var approvalConfiguration = ApprovalCenter.Configuration(settings: configuration.approvals)
        approvalConfiguration.requestTimeout = configuration.requestTimeout
        approvals = ApprovalCenter(
            approvalConfiguration, supervisor: supervisor, registry: registry, events: events, client: client,
            http: http)
    }

    /// Runs `body` with an engine that owns `configuration.dataDirectory`, and shuts it down afterwards,
    /// whether `body` returns or throws.
    public static func run<T: Sendable>(
        _ configuration: Configuration,
        _ body: (Engine) async throws -> T
    ) async throws -> T {
        let engine = try Engine(configuration)
        await engine.approvals.start()
        do {
            let result = try await body(engine)
            await engine.shutdown()
            return result
        } catch {
            await engine.shutdown()
            throw error
        }
    }

    /// One log record per engine event: its type as the body, its fields as attributes.
    static func log(_ type: String, _ fields: [String: JSONValue], to logger: Logger) {
        let level: Logger.Level =
            switch type {
            case "opencode.exited": fields["stopping"] == true ? .info : .warning
            case "opencode.failed", "opencode.unhealthy", "opencode.orphan_terminated", "opencode.start_timeout":
                .warning
            case "opencode.ready", "opencode.starting", "opencode.restarting": .info
            default: type.hasPrefix("workspace.") || type.hasPrefix("instance.") ? .info : .debug
            }
        guard logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = [:]
        for (key, value) in fields where key != "type" && key != "time" {
            metadata[key] = .string(value.stringValue ?? (try? value.serialized(.compact)) ?? "")
        }
        logger.log(level: level, "\(type)", metadata: metadata)
    }

    /// Stops opencode and writes pending bookkeeping. Idempotent.
    public func shutdown() async {
        await approvals.stop()
        await supervisor.stop()
        await registry.flushUses()
        if case .success? = await ownership?.value { try? await registry.setRecord(.opencode, nil) }
        ownership = nil
        await sidecars.shutdown()
        try? await http.shutdown()
    }

    /// Takes the data directory's lock (once) and cleans up after a dead predecessor, before opencode is used.
    private func own() async throws(OpenWorkError) {
        if ownership == nil {
            let directory = configuration.dataDirectory
            ownership = Task { () async -> Result<FileLock, OpenWorkError> in
                do {
                    let lock = try directory.lockOwnership()
                    await self.terminateOrphan()
                    return .success(lock)
                } catch {
                    return .failure(error as? OpenWorkError ?? OpenWorkError(.dataDirUnusable, "\(error)"))
                }
            }
        }
        guard let result = await ownership?.value else { return }
        if case .failure(let error) = result {
            ownership = nil
            throw error
        }
    }

    /// Takes the data directory's lock now instead of on first need (a daemon owns its directory from the
    /// start), terminating an opencode left by a dead predecessor. Throws `data_dir_locked` when it is owned.
    public func takeOwnership() async throws(OpenWorkError) {
        try await own()
    }

    /// Starts a fresh opencode now (also out of state `failed`).
    ///
    /// - Returns: the generation of the child it replaces; ``waitUntilReady(newerThan:)`` waits for a newer one.
    @discardableResult
    public func restartOpenCode() async throws(OpenWorkError) -> Int {
        try await own()
        try await resolveOpenCode()
        return await supervisor.restart()
    }

    /// The endpoint of the supervised opencode once it is ready.
    private func readyEndpoint(within deadline: Duration) async throws(OpenWorkError) -> OpenCodeEndpoint {
        try await own()
        try await resolveOpenCode()
        return try await supervisor.readyEndpoint(within: deadline)
    }

    /// Resolves opencode through the sidecar policy once (again after a failure) and hands the binary to the
    /// supervisor: nothing runs that the policy did not choose.
    private func resolveOpenCode() async throws(OpenWorkError) {
        guard opencodeResolution == nil else { return }
        if let sidecarSettingsError { throw sidecarSettingsError }
        let task =
            opencodeResolving
            ?? Task { [sidecars] () async -> Result<SidecarResolution, OpenWorkError> in
                do {
                    return .success(try await sidecars.resolve(.opencode))
                } catch let error as OpenWorkError {
                    return .failure(error)
                } catch {
                    return .failure(OpenWorkError(.sidecarNotFound, "cannot resolve opencode: \(error)"))
                }
            }
        opencodeResolving = task
        let outcome = await task.value
        opencodeResolving = nil
        let resolution: SidecarResolution
        do {
            resolution = try outcome.get()
        } catch  where error.code == .sidecarNotFound && error.details["sidecar"] == "opencode" {
            // The same failure the supervisor reports for a path it cannot run, named for what it is.
            throw OpenWorkError(.opencodeNotFound, error.message, details: error.details)
        }
        if opencodeResolution == nil {
            await supervisor.use(executable: resolution.path)
            opencodeResolution = resolution
        }
    }

    /// Waits until opencode is ready (for `opencode.restart`): a child newer than `generation`.
    public func waitUntilReady(newerThan generation: Int = 0) async throws(OpenWorkError) {
        try await own()
        try await resolveOpenCode()
        _ = try await supervisor.readyEndpoint(within: configuration.readyDeadline, newerThan: generation)
    }

    /// Every process an engine that died left for this data directory is terminated before anything new is
    /// spawned: never an orphan, never a duplicate. Two ways to find them: the child recorded in the state file
    /// (same pid *and* start time), and on Linux every process marked with this data directory in its
    /// environment (see ``OwnedProcesses``), which also finds a child its engine died too early to record. They
    /// are not adopted: their password was never known to this process, so they could not be verified as ours.
    private func terminateOrphan() async {
        var found = OwnedProcesses.marked(owner: configuration.dataDirectory.path)
        if let record = try? await registry.state().opencode,
            let pid = record["pid"]?.int64Value.flatMap({ Int32(exactly: $0) }),
            let ticks = record["startTicks"]?.int64Value.flatMap({ UInt64(exactly: $0) }),
            ProcessIdentity.isAlive(pid: pid, startTicks: ticks), !found.contains(where: { $0.pid == pid })
        {
            let group = record["pgid"]?.int64Value.flatMap { Int32(exactly: $0) } ?? pid
            found.append(OwnedProcesses.Found(pid: pid, group: group, startTicks: ticks))
        }
        await OwnedProcesses.terminate(found, grace: .seconds(5))
        for process in found {
            events.publish("opencode.orphan_terminated", ["pid": .integer(Int64(process.pid))])
        }
        try? await registry.setRecord(.opencode, nil)
    }

    // MARK: Workspaces

    public func add(path: String, name: String?, cwd: String?) async throws(OpenWorkError) -> JSONValue {
        let change = try await registry.add(path: path, name: name, cwd: cwd)
        if change.created { events.publish("workspace.added", ["workspaceId": .string(change.workspace.id)]) }
        return await changed(change)
    }

    public func addRemote(baseURL: String, directory: String?, name: String?) async throws(OpenWorkError) -> JSONValue {
        let change = try await registry.addRemote(baseURL: baseURL, directory: directory, name: name)
        if change.created { events.publish("workspace.added", ["workspaceId": .string(change.workspace.id)]) }
        return await changed(change)
    }

    public func list() async throws(OpenWorkError) -> JSONValue {
        let state = try await registry.state()
        var workspaces: [JSONValue] = []
        for workspace in state.workspaces { workspaces.append(await describe(workspace)) }
        return ["activeId": state.activeID.map(JSONValue.string) ?? .null, "workspaces": .array(workspaces)]
    }

    public func info(_ reference: String, cwd: String?) async throws(OpenWorkError) -> JSONValue {
        ["workspace": await describe(try await registry.workspace(reference, cwd: cwd))]
    }

    public func activate(_ reference: String, cwd: String?) async throws(OpenWorkError) -> JSONValue {
        let change = try await registry.activate(reference, cwd: cwd)
        events.publish("workspace.switched", ["workspaceId": .string(change.workspace.id)])
        return await changed(change)
    }

    /// Removes a workspace; a warm one's instance is disposed first, so opencode frees it (`instance.disposed`).
    public func remove(_ reference: String, cwd: String?) async throws(OpenWorkError) -> JSONValue {
        let workspace = try await registry.workspace(reference, cwd: cwd)
        await disposeIfWarm(workspace)
        let change = try await registry.remove(workspace.id, cwd: cwd)
        events.publish("workspace.removed", ["workspaceId": .string(change.workspace.id)])
        return await changed(change)
    }

    /// Disposes the instance of a workspace that is about to become unreachable, when opencode holds one for it
    /// (it is warm and the opencode that created it is the ready one). A failure is logged, not thrown: the
    /// workspace goes either way, and an instance of a dead opencode is gone with it.
    private func disposeIfWarm(_ workspace: Workspace) async {
        guard await isWarm(workspace.id), let endpoint = await supervisor.endpointIfReady else {
            warm[workspace.id] = nil
            return
        }
        do {
            _ = try await client.disposeInstance(
                endpoint, directory: workspace.path, timeout: configuration.requestTimeout)
            if warm.removeValue(forKey: workspace.id) != nil {
                events.publish(
                    "instance.disposed", ["workspaceId": .string(workspace.id), "directory": .string(workspace.path)])
            }
        } catch {
            warm[workspace.id] = nil
            configuration.logger.warning(
                "could not dispose the instance of a removed workspace: \(error.description)",
                metadata: ["workspaceId": "\(workspace.id)"])
        }
    }

    private func changed(_ change: Registry.Change) async -> JSONValue {
        [
            "activeId": change.state.activeID.map(JSONValue.string) ?? .null,
            "workspace": await describe(change.workspace), "created": .bool(change.created),
        ]
    }

    /// The stored entry plus `warm`: whether opencode holds an instance for it right now.
    private func describe(_ workspace: Workspace) async -> JSONValue {
        var json = workspace.json
        json["warm"] = .bool(await isWarm(workspace.id))
        return json
    }

    private func isWarm(_ id: String) async -> Bool {
        guard let pid = warm[id] else { return false }
        return await supervisor.status["pid"]?.int64Value == pid
    }

    // MARK: Routing

    /// Where a workspace points inside opencode: `GET /path` for its directory, checked against it.
    public func path(_ reference: String, cwd: String?) async throws(OpenWorkError) -> JSONValue {
        let workspace = try await registry.workspace(reference, cwd: cwd)
        let path = try await withOpenCode(for: workspace) { endpoint, directory throws(OpenCodeClient.Failure) in
            try await self.client.path(endpoint, directory: directory ?? "", timeout: self.configuration.requestTimeout)
        }
        if let expected = Self.directory(of: workspace), path["directory"]?.stringValue != expected {
            throw OpenWorkError(
                .opencodeRoutingMismatch,
                "opencode answered for \(path["directory"]?.stringValue ?? "no directory") instead of \(expected)",
                details: ["expected": .string(expected), "path": path])
        }
        await registry.noteUse(workspace.id)
        return ["workspace": await describe(workspace), "path": path]
    }

    /// Frees opencode's instance for a workspace's directory; the next call creates a fresh one.
    public func dispose(_ reference: String, cwd: String?) async throws(OpenWorkError) -> JSONValue {
        let workspace = try await registry.workspace(reference, cwd: cwd)
        let disposed = try await withOpenCode(for: workspace, markWarm: false) {
            endpoint, directory throws(OpenCodeClient.Failure) in
            .bool(
                try await self.client.disposeInstance(
                    endpoint, directory: directory ?? "", timeout: self.configuration.requestTimeout))
        }
        if warm.removeValue(forKey: workspace.id) != nil {
            events.publish(
                "instance.disposed", ["workspaceId": .string(workspace.id), "directory": .string(workspace.path)])
        }
        return ["disposed": disposed]
    }

    /// What an integrator needs to talk to opencode directly for a workspace.
    public func connect(_ reference: String, cwd: String?) async throws(OpenWorkError) -> JSONValue {
        let workspace = try await registry.workspace(reference, cwd: cwd)
        guard workspace.kind == .local else {
            return [
                "workspace": workspace.json, "baseUrl": workspace.baseURL.map(JSONValue.string) ?? .null,
                "directory": workspace.directory.map(JSONValue.string) ?? .null,
            ]
        }
        let endpoint = try await readyEndpoint(within: configuration.readyDeadline)
        let username = endpoint.username ?? "opencode"
        let password = endpoint.password ?? ""
        let auth: JSONValue = [
            "baseUrl": .string(endpoint.baseURL), "username": .string(username), "password": .string(password),
            "updatedAt": .integer(Registry.Clock.unixMilliseconds()),
        ]
        let authPath = configuration.dataDirectory.path + "/openwork-orchestrator-auth.json"
        if let bytes = try? auth.serializedBytes(.pretty) { try DurableFile.write(bytes + [10], to: authPath) }
        return [
            "workspace": workspace.json, "baseUrl": .string(endpoint.baseURL), "directory": .string(workspace.path),
            "username": .string(username), "password": .string(password), "authFile": .string(authPath),
            "attach": [
                "argv": ["opencode", "attach", .string(endpoint.baseURL), "--dir", .string(workspace.path)],
                "environment": [
                    "OPENCODE_SERVER_USERNAME": .string(username), "OPENCODE_SERVER_PASSWORD": .string(password),
                ],
            ],
        ]
    }

    /// Runs a request against the opencode serving `workspace`: the supervised one for a local workspace
    /// (waiting while it starts or restarts, and retrying a request that failed because it died), the
    /// workspace's own server for a remote one.
    private func withOpenCode(
        for workspace: Workspace,
        markWarm: Bool = true,
        _ request: (OpenCodeEndpoint, String?) async throws(OpenCodeClient.Failure) -> JSONValue
    ) async throws(OpenWorkError) -> JSONValue {
        if workspace.kind == .remote {
            let endpoint = OpenCodeEndpoint(baseURL: workspace.baseURL ?? "")
            do {
                return try await request(endpoint, workspace.directory)
            } catch {
                throw OpenWorkError(
                    .opencodeRequestFailed, "the remote opencode at \(endpoint.baseURL) failed: \(error.description)",
                    details: ["baseUrl": .string(endpoint.baseURL)])
            }
        }
        let deadline = ContinuousClock.now + configuration.readyDeadline
        while true {
            let remaining = max(deadline - ContinuousClock.now, .milliseconds(1))
            let endpoint = try await readyEndpoint(within: remaining)
            let pid = await supervisor.status["pid"]?.int64Value
            configuration.logger.debug(
                "routing to opencode", metadata: ["workspaceId": "\(workspace.id)", "directory": "\(workspace.path)"])
            do {
                let result = try await request(endpoint, workspace.path)
                if markWarm, let pid, warm[workspace.id] != pid {
                    warm[workspace.id] = pid
                    events.publish(
                        "instance.created",
                        ["workspaceId": .string(workspace.id), "directory": .string(workspace.path)])
                }
                return result
            } catch {
                // opencode died, hung or is being stopped under us: wait for the supervisor's replacement.
                if ContinuousClock.now < deadline, await isReplacing(error, servedBy: pid) {
                    configuration.logger.debug(
                        "retrying a request opencode did not answer: \(error.description)",
                        metadata: ["workspaceId": "\(workspace.id)"])
                    try? await Task.sleep(for: .milliseconds(20))
                    continue
                }
                throw OpenWorkError(
                    .opencodeRequestFailed, "opencode failed the request: \(error.description)",
                    details: ["status": error.status.map { .integer(Int64($0)) } ?? .null, "body": error.body ?? .null])
            }
        }
    }

    private func isReplacing(_ failure: OpenCodeClient.Failure, servedBy pid: Int64?) async -> Bool {
        let status = await supervisor.status
        return Self.shouldRetry(
            httpStatus: failure.status, servedBy: pid, nowState: status["state"]?.stringValue,
            nowPID: status["pid"]?.int64Value)
    }

    /// Whether a failed request failed because its opencode is going away, so it should be retried against
    /// the replacement: no answer at all; `503` from a server shutting down; `401`, i.e. not our opencode at all
    /// (the dead child's port, 4096 by default, was taken by another server before the exit was seen); or
    /// opencode is no longer ready, or is a different child, by now. Other HTTP errors are opencode's answer.
    public static func shouldRetry(httpStatus: Int?, servedBy pid: Int64?, nowState: String?, nowPID: Int64?) -> Bool {
        guard let httpStatus else { return true }
        if httpStatus == 503 || httpStatus == 401 { return true }
        return nowState != "ready" || nowPID != pid
    }

    private static func directory(of workspace: Workspace) -> String? {
        workspace.kind == .local ? workspace.path : workspace.directory
    }

    // MARK: Status

    public func health() async -> JSONValue {
        let state = try? await registry.state()
        let uptime = ContinuousClock.now - started
        return [
            "ok": true, "version": .string(OpenWorkVersion.current), "pid": .integer(Int64(getpid())),
            "startedAt": .integer(startedAt), "uptimeMs": .integer(uptime.milliseconds),
            "dataDir": .string(configuration.dataDirectory.path), "opencode": await opencodeStatusWithSource(),
            "activeId": state?.activeID.map(JSONValue.string) ?? .null,
            "workspaceCount": .integer(Int64(state?.workspaces.count ?? 0)),
        ]
    }

    /// The supervisor's status plus `source`: where the binary came from (`null` until it is resolved).
    private func opencodeStatusWithSource() async -> JSONValue {
        var status = await supervisor.status
        status["source"] =
            opencodeResolution.map { resolution in
                [
                    "source": .string(resolution.source.rawValue), "path": .string(resolution.path),
                    "verified": .bool(resolution.verified),
                    "version": resolution.version.map(JSONValue.string) ?? .null,
                    "origin": resolution.origin.map(JSONValue.string) ?? .null,
                ]
            } ?? .null
        return status
    }

    public func opencodeStatus() async -> JSONValue {
        var status = await opencodeStatusWithSource()
        status["stderr"] = .array(await supervisor.stderrTail.map(JSONValue.string))
        return status
    }
}
