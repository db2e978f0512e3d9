import OpenWorkJSON

/// How opencode's `Session` objects look when created through `POST /session`.
enum Session {
    static func make(
        id: String,
        slug: String,
        projectID: String,
        directory: String,
        version: String,
        title: String?,
        parentID: String?,
        permission: [PermissionRule]? = nil,
        createdAt milliseconds: Int64
    ) -> JSONValue {
        var session: JSONValue = [
            "id": .string(id),
            "slug": .string(slug),
            "projectID": .string(projectID),
            "directory": .string(directory),
            "title": .string(title ?? "New session - \(WallClock.isoString(milliseconds))"),
            "version": .string(version),
            "time": ["created": .integer(milliseconds), "updated": .integer(milliseconds)],
        ]
        if let parentID { session["parentID"] = .string(parentID) }
        if let permission { session["permission"] = .array(permission.map(\.json)) }
        return session
    }

    /// One rule of a session's `permission` ruleset: `{permission, pattern, action}`.
    struct PermissionRule: Equatable, Sendable {
        enum Action: String, Sendable, CaseIterable {
            case allow, deny, ask
        }

        var permission: String
        var pattern: String
        var action: Action

        var json: JSONValue {
            ["permission": .string(permission), "pattern": .string(pattern), "action": .string(action.rawValue)]
        }

        /// Reads a ruleset as `POST /session` receives it; anything else is rejected with the offending path.
        static func ruleset(_ value: JSONValue) throws(Reply.Rejection) -> [PermissionRule] {
            guard let items = value.arrayValue else {
                throw Reply.Rejection(message: "Expected array, received \(value.typeName)", path: ["permission"])
            }
            var rules: [PermissionRule] = []
            for (index, item) in items.enumerated() {
                let at = ["permission", String(index)]
                guard let permission = item["permission"]?.stringValue, let pattern = item["pattern"]?.stringValue
                else {
                    throw Reply.Rejection(message: "Expected {permission, pattern, action} strings", path: at)
                }
                guard let text = item["action"]?.stringValue, let action = Action(rawValue: text) else {
                    let options = Action.allCases.map { "'\($0.rawValue)'" }.joined(separator: " | ")
                    throw Reply.Rejection(message: "Invalid option: expected one of \(options)", path: at + ["action"])
                }
                rules.append(PermissionRule(permission: permission, pattern: pattern, action: action))
            }
            return rules
        }
    }

    /// A random `adjective-noun` slug like opencode's.
    static func randomSlug() -> String {
        let adjectives = ["brave", "calm", "clever", "eager", "gentle", "happy", "keen", "lucky", "quiet", "swift"]
        let nouns = ["badger", "comet", "falcon", "harbor", "lantern", "meadow", "otter", "pixel", "river", "squid"]
        return (adjectives.randomElement() ?? "calm") + "-" + (nouns.randomElement() ?? "otter")
    }

    /// Newest first: by creation time, then by id (descending ids sort the newest first on a tie).
    static func newestFirst(_ left: JSONValue, _ right: JSONValue) -> Bool {
        let leftCreated = left["time"]?["created"]?.int64Value ?? 0
        let rightCreated = right["time"]?["created"]?.int64Value ?? 0
        if leftCreated != rightCreated { return leftCreated > rightCreated }
        return (left["id"]?.stringValue ?? "") < (right["id"]?.stringValue ?? "")
    }
}
