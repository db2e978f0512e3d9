/// The routes the fake serves, matched from a method and a path (exactly: no trailing-slash variants).
enum Route: Equatable, Sendable {
    case health
    case globalDispose
    case globalEvent
    case doc
    case path
    case instanceDispose
    case event
    case getConfig
    case patchConfig
    case listSessions
    case createSession
    case getSession(String)
    case deleteSession(String)
    case listPermissions
    case replyPermission(String)
    case legacyReplyPermission(sessionID: String, permissionID: String)
    case fakeState
    case fakePermission
    case fakeDropStreams

    static func match(method: String, path: String) -> Route? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        guard path.hasPrefix("/"), !segments.contains(where: \.isEmpty) || path == "/" else { return nil }
        switch (method, segments.count) {
        case ("GET", 2) where segments == ["global", "health"]: return .health
        case ("POST", 2) where segments == ["global", "dispose"]: return .globalDispose
        case ("GET", 2) where segments == ["global", "event"]: return .globalEvent
        case ("GET", 1) where segments == ["doc"]: return .doc
        case ("GET", 1) where segments == ["path"]: return .path
        case ("POST", 2) where segments == ["instance", "dispose"]: return .instanceDispose
        case ("GET", 1) where segments == ["event"]: return .event
        case ("GET", 1) where segments == ["config"]: return .getConfig
        case ("PATCH", 1) where segments == ["config"]: return .patchConfig
        case ("GET", 1) where segments == ["session"]: return .listSessions
        case ("POST", 1) where segments == ["session"]: return .createSession
        case ("GET", 2) where segments[0] == "session": return .getSession(segments[1])
        case ("DELETE", 2) where segments[0] == "session": return .deleteSession(segments[1])
        case ("GET", 1) where segments == ["permission"]: return .listPermissions
        case ("POST", 3) where segments[0] == "permission" && segments[2] == "reply":
            return .replyPermission(segments[1])
        case ("POST", 4) where segments[0] == "session" && segments[2] == "permissions":
            return .legacyReplyPermission(sessionID: segments[1], permissionID: segments[3])
        case ("GET", 2) where segments == ["__fake", "state"]: return .fakeState
        case ("POST", 2) where segments == ["__fake", "permission"]: return .fakePermission
        case ("POST", 2) where segments == ["__fake", "drop-streams"]: return .fakeDropStreams
        default: return nil
        }
    }

    /// Whether the route runs inside a directory's instance (and so boots one on first use).
    var isInstanceScoped: Bool {
        switch self {
        case .health, .globalDispose, .globalEvent, .doc, .fakeState, .fakePermission, .fakeDropStreams: false
        default: true
        }
    }

    /// Whether the route belongs to the fake's introspection API rather than to opencode's.
    var isIntrospection: Bool {
        self == .fakeState || self == .fakePermission || self == .fakeDropStreams
    }
}
