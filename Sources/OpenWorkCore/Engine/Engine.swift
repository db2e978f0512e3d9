import AsyncHTTPClient
import Foundation
public import Logging
import OpenWorkJSON
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
///
/// Instances are evicted when idle, capped, leased and hot-reloaded by ``InstancePolicy``'s decisions, carried out
/// by a loop that lives as long as the engine (`Engine+Lifecycle.swift`); busy work is never cut off.
///
/// Its answers are typed values (``WorkspaceView``, ``WorkspacePath``, ``OpenCodeStatus``, ``EngineHealth``…); it
/// builds no wire shapes (``Operations`` does). A routed request asks the supervisor once, for a ready child, whose
/// pid also tells which workspaces are warm.
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
        public var tuneSupervisor: @Sendable (inout OpenCodeService.Configuration) -> Void = { _ in }
        /// When set, opencode's output lines are forwarded to this log, tagged `opencode` (OpenTelemetry lines
        /// pass through unchanged).
        public var log: LogSettings?
        /// Receives every engine event (at info; warnings for exits and failures).
        public var logger = Logger(label: "openwork.engine")
        /// How opencode's permission requests and questions are answered (`--approval`, `--approval-timeout`).
        public var approvals = ApprovalSettings()
        /// Idle eviction, the warm cap and hot reload; from the environment's `OPENWORK_*` variables by default
        /// (their defaults when one is invalid: the commands check them first).
        public var lifecycle: LifecycleSettings

        public init(dataDirectory: DataDirectory, environment: [String: String]) {
            self.dataDirectory = dataDirectory
            self.environment = environment
            lifecycle = (try? LifecycleSettings.resolve(.init(), environment: environment)) ?? LifecycleSettings()
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
    let sidecarSettingsError: OpenWorkError?
    /// Where the opencode the supervisor runs came from, once resolved.
    var opencodeResolution: SidecarResolution?
    /// The resolution in progress, shared by the calls that arrive while it runs.
    var opencodeResolving: Task<Result<SidecarResolution, OpenWorkError>, Never>?
    public nonisolated let approvals: ApprovalCenter
    nonisolated let client: OpenCodeClient
    private let http: HTTPClient
    let configuration: Configuration
    var ownership: Task<Result<FileLock, OpenWorkError>, Never>?
    private let startedAt = Registry.Clock.unixMilliseconds()
    private let started = ContinuousClock.now
    /// Workspaces whose instance was touched since their last disposal, with the opencode pid that holds it.
    var warm: [String: Int32] = [:]
    /// opencode as this engine was configured (``reconfigureOpenCode(_:readyDeadline:)`` starts from it).
    let opencodeConfiguration: OpenCodeService.Configuration
    /// How long a call waits for opencode to become ready: the configured deadline, or host mode's.
    var readyDeadline: Duration
    /// Eviction and reload decisions (see ``InstancePolicy``); the engine carries them out.
    var policy: InstancePolicy
    /// Watches the configuration of each warm workspace while hot reload is on.
    let watcher: ConfigWatcher
    /// The directory of each workspace the policy knows warm.
    var warmPaths: [String: String] = [:]
    /// Each watched workspace's configuration as its instance read it (``ConfigFiles/contents(of:)``).
    var baselines: [String: [String: UInt64]] = [:]
    /// Instances found busy, and until when that answer stands.
    var busyUntil: [String: ContinuousClock.Instant] = [:]
    /// The loop that carries out the policy (``runLifecycle()``), for the engine's life.
    var lifecycleLoop: Task<Void, Never>?

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
        var opencode = OpenCodeService.Configuration(
            executable: configuration.resolvedExecutable, environment: configuration.environment)
        if let log = configuration.log {
            opencode.onOutputLine = { line in log.forward(childLine: line, component: "opencode") }
        }
        opencode.owner = configuration.dataDirectory.path
        configuration.tuneSupervisor(&opencode)
        opencodeConfiguration = opencode
        readyDeadline = configuration.readyDeadline
        policy = InstancePolicy(settings: configuration.lifecycle)
        do {
            // The commands check their variables; host mode's engine takes them as they are.
            _ = try LifecycleSettings.resolve(.init(), environment: configuration.environment)
        } catch {
            logger.warning("\(error.message): the instance lifecycle settings keep their defaults")
        }
        watcher = ConfigWatcher(settings: configuration.lifecycle)
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
        supervisor = Supervisor(Self.service(opencode, client: client, registry: registry), events: events)
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
        await engine.startLifecycle()
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
            case "service.exited": fields["stopping"] == true ? .info : .warning
            case "service.failed", "instance.over_capacity": .warning
            case "instance.reloaded": fields["forced"] == true ? .warning : .info
            case "service.ready", "service.starting", "service.restarting": .info
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
        await stopLifecycle()
        await approvals.stop()
        await supervisor.stop()
        await registry.flushUses()
        if case .success(let lock)? = await ownership?.value {
            try? await registry.setRecord(.opencode, nil)
            // Now, not whenever the last reference to the finished task goes: the next engine of this data
            // directory, in this process or another, may start at once.
            lock.release()
        }
        ownership = nil
        await sidecars.shutdown()
        try? await http.shutdown()
    }

    // MARK: opencode

    /// Starts a fresh opencode now (also out of state `failed`).
    ///
    /// - Returns: the generation of the child it replaces; ``waitUntilReady(newerThan:)`` waits for a newer one.
    @discardableResult
    public func restartOpenCode() async throws(OpenWorkError) -> Int {
        try await own()
        try await resolveOpenCode()
        return await supervisor.restart()
    }

    /// Waits until opencode is ready (for `opencode.restart`): a child newer than `generation`.
    public func waitUntilReady(newerThan generation: Int = 0) async throws(OpenWorkError) {
        _ = try await readyChild(within: readyDeadline, newerThan: generation)
    }

    /// The supervisor's snapshot and where the binary came from: one hop to the supervisor.
    public func opencodeStatus() async -> OpenCodeStatus {
        OpenCodeStatus(snapshot: await supervisor.snapshot, source: opencodeResolution)
    }

    public func health() async -> EngineHealth {
        let state = try? await registry.state()
        return EngineHealth(
            version: OpenWorkVersion.current, pid: getpid(), startedAt: startedAt,
            uptime: ContinuousClock.now - started,
            dataDirectory: configuration.dataDirectory.path, opencode: await opencodeStatus(),
            activeID: state?.activeID, workspaceCount: state?.workspaces.count ?? 0,
            instances: InstanceSummary(
                settings: policy.settings, warm: policy.warm.count,
                leases: policy.leases.values.filter { $0.expires > .now }.count,
                pendingReloads: policy.warm.values.filter { $0.pending != nil }.count))
    }
}
