import OpenWorkJSON

/// One booted opencode instance: a directory, its project, the config read at boot, its pending permission
/// requests and questions, and (with `FAKE_OPENCODE_INSTANCE_MEMORY_MIB`) the memory it holds.
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
    /// How many bytes the instance holds on purpose (allocated and written, so they are resident).
    nonisolated let heldBytes: Int
    private var permissions = PermissionQueue()
    private var questions = QuestionQueue()
    private var held: HeldMemory?

    init(
        directory: String, worktree: String, projectID: String, config: JSONValue, createdAt: Int64,
        holdingBytes: Int = 0
    ) {
        self.directory = directory
        self.worktree = worktree
        self.projectID = projectID
        self.config = config
        self.createdAt = createdAt
        heldBytes = holdingBytes
        if holdingBytes > 0 { held = HeldMemory(bytes: holdingBytes) }
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

    func pendingQuestions() -> [JSONValue] {
        questions.pending.map(\.json)
    }

    func ask(_ request: QuestionQueue.Request) {
        questions.ask(request)
    }

    /// Removes question request `id`; `nil` when it is not pending.
    func resolveQuestion(_ id: String) -> QuestionQueue.Request? {
        questions.resolve(id)
    }

    func tearDown() {
        permissions.removeAll()
        questions.removeAll()
        held = nil
    }
}

/// Memory an instance holds on purpose, freed with it: written, not only reserved, since untouched pages would
/// not count as resident.
private final class HeldMemory {
    private let memory: UnsafeMutableRawPointer

    init(bytes: Int) {
        memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 4096)
        memory.initializeMemory(as: UInt8.self, repeating: 0xA5, count: bytes)
    }

    deinit {
        memory.deallocate()
    }
}
