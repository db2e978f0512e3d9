import OpenWorkJSON
import Synchronization

/// Every session, kept for the life of the process (sessions outlive instance disposal; nothing is written to
/// disk).
///
/// Like opencode, a session remembers the directory it was created in: `GET /session` lists the routed
/// directory's sessions, and a route naming a session runs in that session's directory.
final class SessionStore: Sendable {
    private let sessions = Mutex<[String: JSONValue]>([:])

    /// `directory`'s sessions that pass `filter`, newest first.
    func list(directory: String, filter: SessionFilter = SessionFilter()) -> [JSONValue] {
        let matching = sessions.withLock { sessions in
            sessions.values.filter { $0["directory"]?.stringValue == directory }
        }
        return filter.apply(to: matching)
    }

    /// The newest session of `project`, if any.
    func newest(inProject project: String) -> JSONValue? {
        sessions.withLock { sessions in
            sessions.values.filter { $0["projectID"]?.stringValue == project }
        }.sorted(by: Session.newestFirst).first
    }

    /// The sessions whose parent is `id`, newest first.
    func children(of id: String) -> [JSONValue] {
        sessions.withLock { $0.values.filter { $0["parentID"]?.stringValue == id } }.sorted(by: Session.newestFirst)
    }

    func insert(_ session: JSONValue) {
        guard let id = session["id"]?.stringValue else { return }
        sessions.withLock { $0[id] = session }
    }

    func session(_ id: String) -> JSONValue? {
        sessions.withLock { $0[id] }
    }

    /// Applies `change` to session `id` and returns the result; `nil` when there is no such session.
    func update(_ id: String, _ change: (inout JSONValue) -> Void) -> JSONValue? {
        sessions.withLock { sessions in
            guard var session = sessions[id] else { return nil }
            change(&session)
            sessions[id] = session
            return session
        }
    }

    func remove(_ id: String) -> JSONValue? {
        sessions.withLock { $0.removeValue(forKey: id) }
    }
}

/// The query of `GET /session`: `roots`, `search`, `start` and `limit`, applied as opencode does (newest first,
/// then the cap).
struct SessionFilter: Equatable, Sendable {
    /// Only sessions without a parent.
    var roots = false
    /// A case-insensitive substring of the title.
    var search: String?
    /// Only sessions updated at or after this time (milliseconds since the epoch).
    var start: Int64?
    /// At most this many.
    var limit: Int?

    init(roots: Bool = false, search: String? = nil, start: Int64? = nil, limit: Int? = nil) {
        self.roots = roots
        self.search = search
        self.start = start
        self.limit = limit
    }

    /// Reads the query; a value of the wrong type is rejected as opencode's validator does.
    init(query: QueryString) throws(Reply.Rejection) {
        if let text = query["roots"] {
            guard let roots = Bool(text.lowercased()) else {
                throw Reply.Rejection(message: "Invalid input: expected boolean, received string", path: ["roots"])
            }
            self.roots = roots
        }
        if let text = query["search"], !text.isEmpty { search = text }
        if let text = query["start"] {
            guard let start = Int64(text) else {
                throw Reply.Rejection(message: "Invalid input: expected number, received NaN", path: ["start"])
            }
            self.start = start
        }
        if let text = query["limit"] {
            guard let limit = Int(text), limit >= 0 else {
                throw Reply.Rejection(message: "Invalid input: expected number, received NaN", path: ["limit"])
            }
            self.limit = limit
        }
    }

    func apply(to sessions: [JSONValue]) -> [JSONValue] {
        let needle = search?.lowercased()
        let kept = sessions.filter { session in
            if roots, session["parentID"] != nil { return false }
            if let needle, !(session["title"]?.stringValue ?? "").lowercased().contains(needle) { return false }
            if let start, (session["time"]?["updated"]?.int64Value ?? 0) < start { return false }
            return true
        }.sorted(by: Session.newestFirst)
        guard let limit else { return kept }
        return Array(kept.prefix(limit))
    }
}
