public import OpenWorkJSON
public import OpenWorkSystem

/// The answer to an opencode permission request, as opencode spells it.
public enum ApprovalReply: String, Sendable, CaseIterable {
    case once, always, reject

    /// `once|always|reject`, plus the aliases `allow` (= once) and `deny` (= reject); `nil` for anything else.
    public static func parse(_ text: String) -> ApprovalReply? {
        switch text.lowercased() {
        case "once", "allow": .once
        case "always": .always
        case "reject", "deny": .reject
        default: nil
        }
    }

    /// The OpenWork server only knows `allow` and `deny`; `always` has no equivalent there.
    public var openworkServerReply: String? {
        switch self {
        case .once: "allow"
        case .reject: "deny"
        case .always: nil
        }
    }
}

/// Manual (someone answers) or auto (permissions answered `once` at once, logged; a question still waits for a
/// human).
public enum ApprovalMode: String, Sendable, CaseIterable {
    case manual, auto
}

/// How the approvals owner behaves: `--approval manual|auto` / `OPENWORK_APPROVAL_MODE` (default manual), and
/// `--approval-timeout MS` / `OPENWORK_APPROVAL_TIMEOUT_MS` (default none): requests nobody answered in time
/// are rejected. A flag wins over the environment.
public struct ApprovalSettings: Sendable, Equatable {
    public var mode: ApprovalMode
    public var timeout: Duration?

    public init(mode: ApprovalMode = .manual, timeout: Duration? = nil) {
        self.mode = mode
        self.timeout = timeout
    }

    public static func resolve(mode flagMode: String?, timeoutMs flagTimeout: Int?, environment: [String: String])
        throws(OpenWorkError) -> ApprovalSettings
    {
        var settings = ApprovalSettings()
        if let text = flagMode ?? environment["OPENWORK_APPROVAL_MODE"].flatMap({ $0.isEmpty ? nil : $0 }) {
            guard let mode = ApprovalMode(rawValue: text.lowercased()) else {
                throw OpenWorkError(.invalidApprovalSettings, "the approval mode must be manual or auto, not \(text)")
            }
            settings.mode = mode
        }
        let envTimeout = environment["OPENWORK_APPROVAL_TIMEOUT_MS"].flatMap { $0.isEmpty ? nil : $0 }
        if let flagTimeout {
            guard flagTimeout > 0 else {
                throw OpenWorkError(
                    .invalidApprovalSettings, "the approval timeout must be a positive number of milliseconds")
            }
            settings.timeout = .milliseconds(flagTimeout)
        } else if let envTimeout {
            guard let milliseconds = Int(envTimeout), milliseconds > 0 else {
                throw OpenWorkError(
                    .invalidApprovalSettings, "OPENWORK_APPROVAL_TIMEOUT_MS must be a positive number of milliseconds")
            }
            settings.timeout = .milliseconds(milliseconds)
        }
        return settings
    }
}

/// The pure rules of the approvals owner: reading opencode's events, checking replies, timeouts, reconnect delays.
public enum ApprovalRules {
    /// What an opencode event means for approvals.
    public enum Change: Sendable, Equatable {
        /// `permission.asked` or `question.asked`.
        case asked(id: String, sessionID: String, request: PendingApproval.Request)
        /// `permission.replied`.
        case replied(id: String, reply: String)
        /// `question.replied`: one list of answers per question.
        case answered(id: String, answers: [[String]])
        /// `question.rejected`.
        case rejected(id: String)
        case connected
        case other
    }

    /// Reads one `/global/event` frame `{directory, payload:{type, properties}}` (or a bare `{type, properties}`).
    public static func change(in frame: JSONValue) -> (directory: String?, change: Change) {
        let payload = frame["payload"] ?? frame
        let directory = frame["directory"]?.stringValue
        let properties = payload["properties"] ?? [:]
        let requestID = properties["requestID"]?.stringValue
        switch payload["type"]?.stringValue {
        case "server.connected":
            return (directory, .connected)
        case "permission.asked":
            guard let id = properties["id"]?.stringValue else { return (directory, .other) }
            return (directory, .asked(id: id, sessionID: sessionID(properties), request: permission(properties)))
        case "question.asked":
            guard let id = properties["id"]?.stringValue else { return (directory, .other) }
            return (directory, .asked(id: id, sessionID: sessionID(properties), request: questions(properties)))
        case "permission.replied":
            guard let id = requestID ?? properties["permissionID"]?.stringValue else { return (directory, .other) }
            return (directory, .replied(id: id, reply: properties["reply"]?.stringValue ?? "unknown"))
        case "question.replied":
            guard let requestID else { return (directory, .other) }
            let answers = (properties["answers"]?.arrayValue ?? []).map {
                $0.arrayValue?.compactMap(\.stringValue) ?? []
            }
            return (directory, .answered(id: requestID, answers: answers))
        case "question.rejected":
            guard let requestID else { return (directory, .other) }
            return (directory, .rejected(id: requestID))
        default:
            return (directory, .other)
        }
    }

    /// The session of a `PermissionRequest` or `QuestionRequest`.
    public static func sessionID(_ request: JSONValue) -> String { request["sessionID"]?.stringValue ?? "" }

    /// A `PermissionRequest` (event properties, or an item of `GET /permission`).
    public static func permission(_ request: JSONValue) -> PendingApproval.Request {
        .permission(
            permission: request["permission"]?.stringValue ?? request["type"]?.stringValue ?? "",
            patterns: request["patterns"]?.arrayValue?.compactMap(\.stringValue)
                ?? request["pattern"]?.stringValue.map { [$0] } ?? [])
    }

    /// A `QuestionRequest` (event properties, or an item of `GET /question`); questions without text are skipped.
    public static func questions(_ request: JSONValue) -> PendingApproval.Request {
        .question((request["questions"]?.arrayValue ?? []).compactMap(ApprovalQuestion.init))
    }

    /// The local workspace whose directory is `directory` (opencode reports the directory it was asked with).
    public static func workspaceID(for directory: String, in workspaces: [Workspace]) -> String? {
        let trimmed = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        return workspaces.first { $0.kind == .local && ($0.path == trimmed || $0.path == directory) }?.id
    }

    /// The requests whose timeout has passed at `now`, oldest first.
    public static func expired(_ pending: [PendingApproval], timeout: Duration?, now: ContinuousClock.Instant)
        -> [String]
    {
        guard let timeout else { return [] }
        return pending.filter { now - $0.received >= timeout }.sorted { $0.received < $1.received }.map(\.id)
    }

    /// Whether a reply on the current route should be retried on the legacy one
    /// (`POST /session/:sid/permissions/:pid`): only when the current route does not exist (404).
    public static func shouldUseLegacyRoute(afterStatus status: Int?) -> Bool { status == 404 }

    /// The delay before reconnecting to `/global/event` after `failures` consecutive failed or ended streams:
    /// 100 ms doubling to 5 s.
    public static func reconnectDelay(failures: Int) -> Duration {
        let floor = 100
        let cap = 5_000
        let shift = min(max(failures - 1, 0), 10)
        return .milliseconds(min(floor << shift, cap))
    }

    /// Requests pending in `known` for `directory` that opencode no longer lists after a resync.
    public static func vanished(_ known: [PendingApproval], directory: String, listed: Set<String>) -> [String] {
        known.filter { $0.directory == directory && !listed.contains($0.id) }.map(\.id)
    }
}
