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
        return session
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
