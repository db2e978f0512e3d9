public import OpenWorkJSON
public import OpenWorkSystem

/// Where a ready service answers: every supervised service is an HTTP server, reached with optional Basic
/// credentials. The supervisor only carries it from the readiness check to the callers and the health probe.
public struct ServiceEndpoint: Sendable, Hashable {
    public var baseURL: String
    public var username: String?
    public var password: String?

    public init(baseURL: String, username: String? = nil, password: String? = nil) {
        self.baseURL = baseURL
        self.username = username
        self.password = password
    }
}

/// The command a service's child is started with: what ``ServiceDescription`` names, or that wrapped by
/// ``ServiceDescription/launch`` (host mode's sandbox runs it under bubblewrap or in a container).
public struct LaunchCommand: Sendable, Hashable {
    public var executable: String
    public var arguments: [String]
    public var environment: [String: String]
    public var workingDirectory: String?

    public init(
        executable: String, arguments: [String], environment: [String: String], workingDirectory: String? = nil
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
    }
}

/// A service the ``Supervisor`` keeps alive, as data: what to run, how to tell it is ready and healthy, when
/// to restart it and how to stop it.
///
/// It does nothing by itself. Its checks are closures the supervisor calls at the right moment; they decide
/// nothing about restarts (that is ``RestartPolicy``) and never signal the child (the supervisor stops it with
/// ``stop``). opencode's is built by ``OpenCodeService``.
public struct ServiceDescription: Sendable {
    /// Names the events (`<name>.starting`, `.ready`, `.exited`, `.restarting`, `.failed`, `.unhealthy`,
    /// `.start_timeout`) and the messages of its errors.
    public var name: String
    public var executable: String
    public var arguments: [String]
    /// The child's whole environment (nothing is inherited), except ``owner``.
    public var environment: [String: String]
    /// Where the child runs; `nil`: this process's working directory.
    public var workingDirectory: String?
    /// The engine's data directory, put in the child's environment as ``OwnedProcesses/ownerVariable`` so a later
    /// engine can find (and stop) every process this one started, recorded or not.
    public var owner: String?
    /// Asks the executable what it is before the first start of it (again after ``Supervisor/use(executable:)``):
    /// its version, or the error that puts the supervisor in state `failed` without spawning anything.
    public var preStart: @Sendable (_ executable: String) async throws(OpenWorkError) -> String
    /// Whether a fresh child became ready, by the deadline: its endpoint, or `nil` (it exited, or the deadline
    /// passed; the supervisor tells which). Stopping the child ends the check, so it needs no other way out.
    public var readiness: @Sendable (ChildProcess, _ deadline: ContinuousClock.Instant) async -> ServiceEndpoint?
    public var startTimeout: Duration = .seconds(30)
    /// One health probe of a ready child: whether it answered healthy within the timeout.
    public var probe: @Sendable (ServiceEndpoint, _ timeout: Duration) async -> Bool
    public var health = HealthProbe()
    public var policy = RestartPolicy()
    public var stop = StopSequence()
    /// Turns the command (the owner mark already in its environment) into the one spawned; identity by default.
    /// The child is still spawned in its own process group and stopped as ``stop`` says.
    public var launch: @Sendable (LaunchCommand) -> LaunchCommand = { $0 }
    /// Runs before a live child is signalled, given the grace it has (a container's `docker stop`, which stops
    /// what the child's process group does not hold). It must end within about that grace.
    public var beforeStop: (@Sendable (_ grace: Duration) async -> Void)?
    /// The codes of the errors callers get: the child ended before it was ready (and none of this executable
    /// ever was), and it cannot serve (not ready in time, or given up).
    public var startFailedCode: OpenWorkError.Code
    public var unavailableCode: OpenWorkError.Code
    /// Called with the child's identity when one is spawned (again with its address once ready) and with `nil`
    /// once it is gone, before its exit is announced.
    public var record: @Sendable (ChildRecord?) async -> Void = { _ in }
    /// Receives every line the child writes to stdout or stderr, as it arrives (e.g. to forward it to the log).
    public var onOutputLine: (@Sendable (String) -> Void)?

    public init(
        name: String, executable: String, arguments: [String], environment: [String: String],
        preStart: @escaping @Sendable (String) async throws(OpenWorkError) -> String,
        readiness: @escaping @Sendable (ChildProcess, ContinuousClock.Instant) async -> ServiceEndpoint?,
        probe: @escaping @Sendable (ServiceEndpoint, Duration) async -> Bool,
        startFailedCode: OpenWorkError.Code, unavailableCode: OpenWorkError.Code
    ) {
        self.name = name
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.preStart = preStart
        self.readiness = readiness
        self.probe = probe
        self.startFailedCode = startFailedCode
        self.unavailableCode = unavailableCode
    }

    /// How often a ready child is probed: one probe every `interval`, each allowed `timeout`; `misses` failures
    /// in a row mean it hangs.
    public struct HealthProbe: Sendable, Hashable {
        public var interval: Duration = .seconds(2)
        public var timeout: Duration = .seconds(2)
        public var misses = 2

        public init() {}

        /// The longest a hung child (one that stops answering, e.g. SIGSTOPped) stays in place: the hang can
        /// begin right after a good probe, then `misses` probes of `interval + timeout` each fail, then the child
        /// gets `stop.hungGrace` to exit. A replacement starts right after (no backoff for the first exit beyond
        /// the policy's floor).
        public func hangBudget(then stop: StopSequence) -> Duration {
            (interval + timeout) * misses + stop.hungGrace
        }
    }

    /// How a child is stopped: SIGTERM and SIGCONT to its process group, `grace` to exit, then SIGKILL to the
    /// group. A child found hung gets `hungGrace` instead: it answered nothing for several probes already.
    public struct StopSequence: Sendable, Hashable {
        public var grace: Duration = .seconds(5)
        public var hungGrace: Duration = .seconds(1)

        public init() {}
    }
}

/// A supervised child as recorded in the state file, so a later engine can find it if this one dies.
public struct ChildRecord: Sendable, Hashable {
    public var pid: Int32
    /// The process group to signal: the child leads its own.
    public var group: Int32
    public var startTicks: UInt64?
    public var port: Int?
    public var baseURL: String?
    public var startedAt: Int64

    public init(
        pid: Int32, group: Int32? = nil, startTicks: UInt64?, port: Int? = nil, baseURL: String? = nil,
        startedAt: Int64
    ) {
        self.pid = pid
        self.group = group ?? pid
        self.startTicks = startTicks
        self.port = port
        self.baseURL = baseURL
        self.startedAt = startedAt
    }

    /// Reads a record back; `nil` without a pid that fits a process id.
    public init?(json: JSONValue) {
        guard let pid = json["pid"]?.int64Value.flatMap({ Int32(exactly: $0) }) else { return nil }
        self.init(
            pid: pid, group: json["pgid"]?.int64Value.flatMap { Int32(exactly: $0) },
            startTicks: json["startTicks"]?.int64Value.flatMap { UInt64(exactly: $0) },
            port: json["port"]?.int64Value.flatMap { Int(exactly: $0) }, baseURL: json["baseUrl"]?.stringValue,
            startedAt: json["startedAt"]?.int64Value ?? 0)
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "pid": .integer(Int64(pid)), "pgid": .integer(Int64(group)), "startedAt": .integer(startedAt),
        ]
        if let startTicks { members["startTicks"] = .integer(Int64(startTicks)) }
        if let port { members["port"] = .integer(Int64(port)) }
        if let baseURL { members["baseUrl"] = .string(baseURL) }
        return .object(members)
    }
}

extension ChildProcess.Exit {
    /// `{"code": n}` or `{"signal": n}`.
    public var jsonValue: JSONValue { .object(json.mapValues(JSONValue.integer)) }
}
