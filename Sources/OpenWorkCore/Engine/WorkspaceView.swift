public import OpenWorkJSON
public import OpenWorkSidecars

/// A workspace as the engine shows it: the stored entry, and whether opencode holds an instance for it now.
///
/// A value for callers; its wire shape is built by ``Operations``, not here.
public struct WorkspaceView: Sendable, Hashable {
    public var workspace: Workspace
    /// The running opencode holds an instance for its directory (it was used since its last disposal).
    public var warm: Bool
    /// The leases held on its instance now.
    public var leases: [InstanceLease] = []
    /// Its instance as the lifecycle sees it (busy, idle time, pending reload, watcher): filled by `list` and `info`
    /// only (`nil` there when it is cold).
    public var instance: InstanceState?
    /// Whether ``instance`` was looked at (`list`, `info`).
    public var detailed = false
}

/// What a registry change left: the workspace it concerned, whether it created it, and the active one after it.
public struct WorkspaceChange: Sendable, Hashable {
    public var activeID: String?
    public var workspace: WorkspaceView
    public var created: Bool
}

/// Every workspace, in the registry's order, and the active one.
public struct WorkspaceList: Sendable, Hashable {
    public var activeID: String?
    public var workspaces: [WorkspaceView]
}

/// Where a workspace points inside opencode: its answer to `GET /path`, as it gave it.
public struct WorkspacePath: Sendable, Hashable {
    public var workspace: WorkspaceView
    public var path: JSONValue
}

/// What an integrator needs to talk to opencode directly for a workspace.
public struct WorkspaceConnection: Sendable, Hashable {
    public var workspace: Workspace
    /// The supervised opencode's for a local workspace; the workspace's own server's for a remote one.
    public var baseURL: String?
    public var directory: String?
    /// The supervised opencode's credentials (local workspaces only), also written to `authFile`.
    public var login: Login?

    public struct Login: Sendable, Hashable {
        public var username: String
        public var password: String
        public var authFile: String
    }
}

/// The engine's health: who it is, how long it has run, opencode's status and the registry's size.
public struct EngineHealth: Sendable, Hashable {
    public var version: String
    public var pid: Int32
    /// Unix milliseconds.
    public var startedAt: Int64
    public var uptime: Duration
    public var dataDirectory: String
    public var opencode: OpenCodeStatus
    /// `nil` also when the registry could not be read.
    public var activeID: String?
    public var workspaceCount: Int
    /// The instance lifecycle: its settings and how many instances are warm, leased, waiting for a reload.
    public var instances: InstanceSummary
}

/// The instance lifecycle at a glance, for `health`.
public struct InstanceSummary: Sendable, Hashable {
    public var settings: LifecycleSettings
    public var warm: Int
    public var leases: Int
    public var pendingReloads: Int
}

/// The supervised opencode: the supervisor's snapshot, and where the binary came from (`nil` until resolved).
public struct OpenCodeStatus: Sendable, Hashable {
    public var snapshot: Supervisor.Snapshot
    public var source: SidecarResolution?
}
