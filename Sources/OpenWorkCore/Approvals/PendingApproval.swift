public import OpenWorkJSON

/// One pending opencode request for a human, as `approvals.list` shows it: a permission request
/// (`source: "opencode"`, answered once, always or reject) or a question request (`source: "opencode-question"`,
/// answered with one list of labels or free text per question, or rejected).
public struct PendingApproval: Sendable, Equatable {
    /// What is asked.
    public enum Request: Sendable, Equatable {
        /// A tool wants to do something: `permission` (`bash`, `edit`…) on `patterns`.
        case permission(permission: String, patterns: [String])
        /// The agent asks the user one or more questions.
        case question([ApprovalQuestion])
    }

    public var id: String
    public var workspaceID: String?
    public var directory: String
    public var sessionID: String
    public var request: Request
    /// Unix milliseconds when openwork first saw it.
    public var createdAt: Int64
    /// When it was seen, on the owner's clock (for the timeout).
    public var received: ContinuousClock.Instant

    public init(
        id: String, workspaceID: String?, directory: String, sessionID: String, request: Request, createdAt: Int64,
        received: ContinuousClock.Instant
    ) {
        self.id = id
        self.workspaceID = workspaceID
        self.directory = directory
        self.sessionID = sessionID
        self.request = request
        self.createdAt = createdAt
        self.received = received
    }

    /// `opencode` for a permission request, `opencode-question` for a question request.
    public var source: String { Self.source(of: request) }

    public static func source(of request: Request) -> String {
        switch request {
        case .permission: "opencode"
        case .question: "opencode-question"
        }
    }

    public var isQuestion: Bool {
        if case .question = request { return true }
        return false
    }

    /// A permission: `{id, source, workspaceId, directory, sessionID, permission, patterns, createdAt}`; a
    /// question: `{id, source, workspaceId, directory, sessionID, questions, question, options, createdAt}` where
    /// `question` and `options` (labels) repeat the first question's, for clients that show one line.
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(id), "source": .string(source), "workspaceId": workspaceID.map(JSONValue.string) ?? .null,
            "directory": .string(directory), "sessionID": .string(sessionID), "createdAt": .integer(createdAt),
        ]
        switch request {
        case .permission(let permission, let patterns):
            fields["permission"] = .string(permission)
            fields["patterns"] = .array(patterns.map(JSONValue.string))
        case .question(let questions):
            fields["questions"] = .array(questions.map(\.json))
            fields["question"] = .string(questions.first?.question ?? "")
            fields["options"] = .array((questions.first?.options ?? []).map { .string($0.label) })
        }
        return .object(fields)
    }
}
