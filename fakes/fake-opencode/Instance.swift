import OpenWorkJSON

/// One booted opencode instance: a directory, its project, the config read at boot, and its pending
/// permission requests.
///
/// The config is read once, at boot; like opencode the fake has no file watcher, so a changed config file
/// is only seen by the next instance of the directory.
actor Instance {
    nonisolated let directory: String
    nonisolated let worktree: String
    nonisolated let projectID: String
    nonisolated let config: JSONValue
    /// When the boot finished, in milliseconds since the epoch.
    nonisolated let createdAt: Int64
    private var permissions = PermissionQueue()

    init(directory: String, worktree: String, projectID: String, config: JSONValue, createdAt: Int64) {
        self.directory = directory
        self.worktree = worktree
        self.projectID = projectID
        self.config = config
        self.createdAt = createdAt
    }

    /// The project id as events carry it (`nil` for the `global` project).
    nonisolated var eventProject: String? { projectID == "global" ? nil : projectID }

    func pendingPermissions() -> [JSONValue] {
        permissions.pending.map(\.json)
    }

    func ask(_ request: PermissionQueue.Request) {
        permissions.ask(request)
    }

    func reply(_ reply: PermissionQueue.Reply, to id: String) -> [JSONValue] {
        permissions.reply(reply, to: id)
    }

    func tearDown() {
        permissions.removeAll()
    }
}
