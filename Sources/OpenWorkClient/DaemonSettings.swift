public import OpenWorkJSON

/// The settings a daemon was started with, as its record in the state file publishes them, so a command that
/// reaches a running daemon can tell when the settings it was given differ (they cannot apply without a restart).
///
/// Holds no secret: paths, modes, numbers and origins only. A `nil` member means "not set": for a running daemon
/// the default, for the settings a command was given "not given" (never compared).
public struct DaemonSettings: Sendable, Hashable {
    /// The explicit opencode executable (`--opencode-bin` / `OPENWORK_OPENCODE_BIN`).
    public var opencodeBin: String?
    /// `manual` or `auto`.
    public var approval: String?
    /// `nil`: requests wait until someone answers.
    public var approvalTimeoutMs: Int?
    public var host: String?
    /// The port asked for; 0 (any free port) is never a mismatch.
    public var port: Int?
    public var cors: [String]?

    public init(
        opencodeBin: String? = nil, approval: String? = nil, approvalTimeoutMs: Int? = nil, host: String? = nil,
        port: Int? = nil, cors: [String]? = nil
    ) {
        self.opencodeBin = opencodeBin
        self.approval = approval
        self.approvalTimeoutMs = approvalTimeoutMs
        self.host = host
        self.port = port
        self.cors = cors
    }

    public init(json: JSONValue) {
        self.init(
            opencodeBin: json["opencodeBin"]?.stringValue, approval: json["approval"]?.stringValue,
            approvalTimeoutMs: json["approvalTimeoutMs"]?.int64Value.flatMap { Int(exactly: $0) },
            host: json["host"]?.stringValue, port: json["port"]?.int64Value.flatMap { Int(exactly: $0) },
            cors: json["cors"]?.arrayValue?.compactMap(\.stringValue))
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = [:]
        if let opencodeBin { members["opencodeBin"] = .string(opencodeBin) }
        if let approval { members["approval"] = .string(approval) }
        if let approvalTimeoutMs { members["approvalTimeoutMs"] = .integer(Int64(approvalTimeoutMs)) }
        if let host { members["host"] = .string(host) }
        if let port { members["port"] = .integer(Int64(port)) }
        if let cors { members["cors"] = .array(cors.map(JSONValue.string)) }
        return .object(members)
    }

    /// A setting given to a command that the running daemon does not have.
    public struct Mismatch: Sendable, Hashable {
        /// The flag that sets it, e.g. `--opencode-bin` (its variable sets it too).
        public var flag: String
        public var given: String
        public var running: String
    }

    /// Each setting of `given` (those a command was given) that differs from these, the running daemon's, in a
    /// fixed order. `boundPort` is the port the daemon actually listens on.
    public func mismatches(_ given: DaemonSettings, boundPort: Int) -> [Mismatch] {
        var found: [Mismatch] = []
        func check(_ flag: String, _ wanted: String?, _ actual: String) {
            if let wanted, wanted != actual { found.append(Mismatch(flag: flag, given: wanted, running: actual)) }
        }
        check("--opencode-bin", given.opencodeBin, opencodeBin ?? "(default: opencode from PATH)")
        check("--approval", given.approval, approval ?? "manual")
        check(
            "--approval-timeout", given.approvalTimeoutMs.map(String.init), approvalTimeoutMs.map(String.init) ?? "none"
        )
        check("--daemon-host", given.host, host ?? "127.0.0.1")
        if let port = given.port, port != 0 { check("--daemon-port", String(port), String(boundPort)) }
        check(
            "--cors", given.cors.map { $0.sorted().joined(separator: ",") },
            (cors ?? []).sorted().joined(separator: ","))
        return found
    }
}
