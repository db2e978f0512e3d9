import OpenWorkJSON
import Synchronization

/// The sessions of every project, kept for the life of the process.
///
/// Like opencode's storage, sessions belong to a project, not to a directory: every directory outside git
/// shares the `global` project and so sees the same sessions. Sessions outlive instance disposal. Nothing is
/// written to disk.
final class SessionStore: Sendable {
    private let sessions = Mutex<[String: [String: JSONValue]]>([:])

    func list(inProject project: String) -> [JSONValue] {
        sessions.withLock { Array(($0[project] ?? [:]).values) }.sorted(by: Session.newestFirst)
    }

    func insert(_ session: JSONValue, inProject project: String) {
        guard let id = session["id"]?.stringValue else { return }
        sessions.withLock { $0[project, default: [:]][id] = session }
    }

    func session(_ id: String, inProject project: String) -> JSONValue? {
        sessions.withLock { $0[project]?[id] }
    }

    func remove(_ id: String, inProject project: String) -> JSONValue? {
        sessions.withLock { $0[project]?.removeValue(forKey: id) }
    }
}
