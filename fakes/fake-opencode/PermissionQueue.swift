import OpenWorkJSON

/// The pending permission requests of one instance and what a reply does to them, as opencode decides it.
///
/// - `once` resolves that request only;
/// - `always` resolves it, remembers its `always` patterns, and resolves the session's other pending
///   requests whose patterns are now all allowed;
/// - `reject` rejects it and every other pending request of the same session.
///
/// A reply to an unknown request changes nothing and reports nothing. This type does not publish events:
/// it returns the `permission.replied` properties for the caller to publish.
struct PermissionQueue: Sendable {
    enum Reply: String, Sendable, CaseIterable {
        case once
        case always
        case reject
    }

    struct Request: Equatable, Sendable {
        var id: String
        var sessionID: String
        var permission: String
        var patterns: [String]
        var metadata: JSONValue = [:]
        var always: [String]
        var tool: JSONValue?

        var json: JSONValue {
            var object: JSONValue = [
                "id": .string(id),
                "sessionID": .string(sessionID),
                "permission": .string(permission),
                "patterns": .array(patterns.map(JSONValue.string)),
                "metadata": metadata,
                "always": .array(always.map(JSONValue.string)),
            ]
            if let tool { object["tool"] = tool }
            return object
        }
    }

    private(set) var pending: [Request] = []
    private var approved: [(permission: String, pattern: String)] = []

    mutating func ask(_ request: Request) {
        pending.append(request)
    }

    /// Applies `reply` to request `id`; returns the `permission.replied` properties to publish, in order.
    mutating func reply(_ reply: Reply, to id: String) -> [JSONValue] {
        guard let index = pending.firstIndex(where: { $0.id == id }) else { return [] }
        let answered = pending.remove(at: index)
        var replied = [Self.replied(answered, reply)]
        switch reply {
        case .once:
            break
        case .reject:
            let (rejected, kept) = pending.partitioned { $0.sessionID == answered.sessionID }
            pending = kept
            replied += rejected.map { Self.replied($0, .reject) }
        case .always:
            approved += answered.always.map { (answered.permission, $0) }
            let (allowed, kept) = pending.partitioned { request in
                request.sessionID == answered.sessionID
                    && request.patterns.allSatisfy { isApproved(request.permission, $0) }
            }
            pending = kept
            replied += allowed.map { Self.replied($0, .always) }
        }
        return replied
    }

    /// Drops every pending request (the instance is going away).
    mutating func removeAll() {
        pending.removeAll()
    }

    private func isApproved(_ permission: String, _ pattern: String) -> Bool {
        approved.contains {
            Wildcard.matches(permission, pattern: $0.permission) && Wildcard.matches(pattern, pattern: $0.pattern)
        }
    }

    private static func replied(_ request: Request, _ reply: Reply) -> JSONValue {
        ["sessionID": .string(request.sessionID), "requestID": .string(request.id), "reply": .string(reply.rawValue)]
    }
}

extension Array {
    /// The elements matching `predicate` and the others, each in their original order.
    fileprivate func partitioned(by predicate: (Element) -> Bool) -> (matching: [Element], rest: [Element]) {
        var matching: [Element] = []
        var rest: [Element] = []
        for element in self {
            if predicate(element) { matching.append(element) } else { rest.append(element) }
        }
        return (matching, rest)
    }
}
