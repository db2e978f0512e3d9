public import OpenWorkJSON

/// What a service is doing, as the Overview colours it.
///
/// `starting`: its binary is checked or it is being spawned; `running`: its process is up, not ready yet;
/// `healthy`: ready (its readiness probe passed, and the health probe keeps passing, or it is restarted);
/// `restarting`: it exited and is backing off before the next start; `stopped`; `failed`: supervision gave up.
public enum ServiceState: String, Sendable, Equatable, CaseIterable {
    case starting, running, healthy, restarting, stopped, failed
}

/// One line of the Overview's service table.
public struct ServiceRow: Sendable, Equatable {
    public var name: String
    public var state: ServiceState
    public var pid: Int32?
    public var port: Int?
    /// When the current (or latest) child was spawned, in Unix milliseconds.
    public var startedAt: Int64?
    public var restarts: Int
    /// `exit 1`, `signal 9`, or nil before any exit.
    public var lastExit: String?

    public init(
        name: String, state: ServiceState, pid: Int32? = nil, port: Int? = nil, startedAt: Int64? = nil,
        restarts: Int = 0, lastExit: String? = nil
    ) {
        self.name = name
        self.state = state
        self.pid = pid
        self.port = port
        self.startedAt = startedAt
        self.restarts = restarts
        self.lastExit = lastExit
    }

    /// The rows of a `host.status` answer (`services: [{service, state, pid, url, restarts, lastExit,
    /// startedAt}]`), with the supervisor's phase mapped to the dashboard's states.
    public static func rows(hostStatus status: JSONValue) -> [ServiceRow] {
        (status["services"]?.arrayValue ?? []).map { service in
            let pid = service["pid"]?.int64Value.flatMap { Int32(exactly: $0) }
            let url = service["url"]?.stringValue
            let phase = service["state"]?.stringValue ?? "stopped"
            let state: ServiceState =
                switch phase {
                case "ready": .healthy
                case "starting": pid == nil ? .starting : .running
                case "restarting": .restarting
                case "failed": .failed
                default: .stopped
                }
            return ServiceRow(
                name: service["service"]?.stringValue ?? "?", state: state, pid: pid,
                port: url.flatMap(Self.port(ofURL:)), startedAt: service["startedAt"]?.int64Value,
                restarts: Int(service["restarts"]?.int64Value ?? 0), lastExit: exitText(service["lastExit"]))
        }
    }

    /// The port of `http://host:port[/…]`.
    static func port(ofURL url: String) -> Int? {
        let afterScheme = url.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first
        guard let authority = afterScheme, let colon = authority.lastIndex(of: ":") else { return nil }
        return Int(authority[authority.index(after: colon)...])
    }

    /// `exit N` or `signal N` from a supervisor's `lastExit` object (`{code}` or `{signal}`).
    static func exitText(_ exit: JSONValue?) -> String? {
        guard let exit, exit != .null else { return nil }
        if let signal = exit["signal"]?.int64Value { return "signal \(signal)" }
        if let code = exit["code"]?.int64Value { return "exit \(code)" }
        return nil
    }
}

/// The run's health at a glance: every service healthy, some still starting, or something wrong.
public enum OverallHealth: String, Sendable, Equatable {
    case allGreen = "All green"
    case starting = "Starting"
    case degraded = "Degraded"
    case stopped = "Stopped"

    public init(_ services: [ServiceRow]) {
        if services.isEmpty {
            self = .starting
        } else if services.allSatisfy({ $0.state == .healthy }) {
            self = .allGreen
        } else if services.allSatisfy({ $0.state == .stopped }) {
            self = .stopped
        } else if services.contains(where: { [.restarting, .failed, .stopped].contains($0.state) }) {
            self = .degraded
        } else {
            self = .starting
        }
    }
}
