/// The routes the fake serves, matched from a method and a path (exactly: no trailing-slash variants).
enum Route: Equatable, Sendable {
    case health
    case globalDispose
    case globalEvent
    case getGlobalConfig
    case patchGlobalConfig
    case doc
    case path
    case instanceDispose
    case event
    case getConfig
    case patchConfig
    case currentProject
    case vcs
    case listSessions
    case createSession
    case sessionStatus
    case getSession(String)
    case deleteSession(String)
    case updateSession(String)
    case sessionChildren(String)
    case promptAsync(String)
    case abortSession(String)
    case sessionMessages(String)
    case listPermissions
    case replyPermission(String)
    case legacyReplyPermission(sessionID: String, permissionID: String)
    case listQuestions
    case replyQuestion(String)
    case rejectQuestion(String)
    case fakeState
    case fakePermission
    case fakeQuestion
    case fakeDropStreams
    case fakeFileProbe

    static func match(method: String, path: String) -> Route? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        guard path.hasPrefix("/"), !segments.contains(where: \.isEmpty) || path == "/" else { return nil }
        switch segments.first {
        case "global": return global(method, segments)
        case "session": return session(method, segments)
        case "permission", "question": return waiting(method, segments)
        case "__fake": return introspection(method, segments)
        default: break
        }
        switch (method, segments) {
        case ("GET", ["doc"]): return .doc
        case ("GET", ["path"]): return .path
        case ("POST", ["instance", "dispose"]): return .instanceDispose
        case ("GET", ["event"]): return .event
        case ("GET", ["config"]): return .getConfig
        case ("PATCH", ["config"]): return .patchConfig
        case ("GET", ["project", "current"]): return .currentProject
        case ("GET", ["vcs"]): return .vcs
        default: return nil
        }
    }

    private static func global(_ method: String, _ segments: [String]) -> Route? {
        switch (method, segments) {
        case ("GET", ["global", "health"]): .health
        case ("POST", ["global", "dispose"]): .globalDispose
        case ("GET", ["global", "event"]): .globalEvent
        case ("GET", ["global", "config"]): .getGlobalConfig
        case ("PATCH", ["global", "config"]): .patchGlobalConfig
        default: nil
        }
    }

    private static func session(_ method: String, _ segments: [String]) -> Route? {
        switch (method, segments.count) {
        case ("GET", 1): return .listSessions
        case ("POST", 1): return .createSession
        case ("GET", 2) where segments[1] == "status": return .sessionStatus
        case ("GET", 2): return .getSession(segments[1])
        case ("DELETE", 2): return .deleteSession(segments[1])
        case ("PATCH", 2): return .updateSession(segments[1])
        case ("GET", 3) where segments[2] == "children": return .sessionChildren(segments[1])
        case ("GET", 3) where segments[2] == "message": return .sessionMessages(segments[1])
        case ("POST", 3) where segments[2] == "prompt_async": return .promptAsync(segments[1])
        case ("POST", 3) where segments[2] == "abort": return .abortSession(segments[1])
        case ("POST", 4) where segments[2] == "permissions":
            return .legacyReplyPermission(sessionID: segments[1], permissionID: segments[3])
        default: return nil
        }
    }

    /// The routes of what waits for a human: permission requests and questions.
    private static func waiting(_ method: String, _ segments: [String]) -> Route? {
        switch (method, segments) {
        case ("GET", ["permission"]): return .listPermissions
        case ("GET", ["question"]): return .listQuestions
        default: break
        }
        guard method == "POST", segments.count == 3 else { return nil }
        switch (segments[0], segments[2]) {
        case ("permission", "reply"): return .replyPermission(segments[1])
        case ("question", "reply"): return .replyQuestion(segments[1])
        case ("question", "reject"): return .rejectQuestion(segments[1])
        default: return nil
        }
    }

    private static func introspection(_ method: String, _ segments: [String]) -> Route? {
        switch (method, segments) {
        case ("GET", ["__fake", "state"]): .fakeState
        case ("POST", ["__fake", "permission"]): .fakePermission
        case ("POST", ["__fake", "question"]): .fakeQuestion
        case ("POST", ["__fake", "drop-streams"]): .fakeDropStreams
        case ("POST", ["__fake", "fs"]): .fakeFileProbe
        default: nil
        }
    }

    /// The session a route names in its path, whose stored directory picks the instance (as upstream: it wins
    /// over `?directory` and the header).
    var sessionID: String? {
        switch self {
        case .getSession(let id), .deleteSession(let id), .updateSession(let id), .sessionChildren(let id),
            .promptAsync(let id), .abortSession(let id), .sessionMessages(let id):
            id
        case .legacyReplyPermission(let id, _): id
        default: nil
        }
    }

    /// Whether the route runs inside a directory's instance (and so boots one on first use).
    var isInstanceScoped: Bool {
        switch self {
        case .health, .globalDispose, .globalEvent, .getGlobalConfig, .patchGlobalConfig, .doc: false
        default: !isIntrospection
        }
    }

    /// Whether the route belongs to the fake's introspection API rather than to opencode's.
    var isIntrospection: Bool {
        switch self {
        case .fakeState, .fakePermission, .fakeQuestion, .fakeDropStreams, .fakeFileProbe: true
        default: false
        }
    }
}
