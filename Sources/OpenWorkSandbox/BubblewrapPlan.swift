/// The bubblewrap command line that runs one service: pure, from the paths it is given.
///
/// The service gets new mount, pid, ipc, uts and cgroup namespaces and no capabilities; it shares the host's
/// network (opencode and openwork-server must be reachable on 127.0.0.1, and opencode reaches its model
/// providers). Its root holds, read-only, the host's `/usr`, `/etc` and the `/bin`, `/sbin`, `/lib*` entries (as
/// the symbolic links they are on a merged-/usr system, else bound); a private `/tmp`, a fresh `/proc` and a minimal
/// `/dev`; the workspace read-write at `/workspace` *and* at its own path (the engine routes requests to opencode
/// by that path, so it must mean the same inside); the persist directory at `/persist`, which is `HOME`; each
/// executable and its run-path directories read-only at their own paths; the given read-write paths (opencode's
/// config directory); and the allowed extra mounts under `/workspace/extra/`. Nothing else of the host is there:
/// not `HOME`, not the data directory (its token).
///
/// Stopping: the supervisor signals the child's process group, which the sandboxed processes stay in (no
/// `--new-session`). bubblewrap itself would die of the SIGTERM and take the sandbox down at once, so it is started
/// with SIGTERM ignored (`env --ignore-signal=TERM`) and the service with it restored (`env --default-signal=TERM`,
/// coreutils 8.31+): the service gets its grace, then SIGKILL reaches every process of the group. With an older
/// `env` (``terminateReset`` false) a stop is immediate. `--die-with-parent` and the spawn's own guard end the
/// sandbox when openwork dies.
public struct BubblewrapPlan: Sendable, Hashable {
    /// A top-level entry of the host's root that the sandbox reproduces read-only.
    public enum RootEntry: Sendable, Hashable {
        case bind(String)
        case symlink(String, target: String)
    }

    public var bwrap: String
    public var env = "/usr/bin/env"
    /// Whether `env` knows `--ignore-signal` and `--default-signal` (see the type's documentation).
    public var terminateReset: Bool
    public var root: [RootEntry]
    public var workspace: String
    public var persist: String
    public var readOnly: [String] = []
    public var readWrite: [String] = []
    public var extra: [SandboxBind] = []

    public static let workspaceTarget = "/workspace"
    public static let persistTarget = "/persist"

    public init(bwrap: String, terminateReset: Bool, root: [RootEntry], workspace: String, persist: String) {
        self.bwrap = bwrap
        self.terminateReset = terminateReset
        self.root = root
        self.workspace = workspace
        self.persist = persist
    }

    /// The host's root entries to reproduce, given how each candidate looks (`symlinkTarget`: the link's text,
    /// `nil` for a directory; `exists`): `/usr` and `/etc` bound, `/bin`, `/sbin`, `/lib`, `/lib32`, `/lib64`,
    /// `/libx32` as links or binds when present.
    public static func root(exists: (String) -> Bool, symlinkTarget: (String) -> String?) -> [RootEntry] {
        var entries: [RootEntry] = [.bind("/usr"), .bind("/etc")]
        for path in ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] where exists(path) {
            entries.append(symlinkTarget(path).map { .symlink(path, target: $0) } ?? .bind(path))
        }
        return entries
    }

    /// The command that runs `command` inside the sandbox, in `workingDirectory` (the workspace when `nil`).
    public func command(_ executable: String, _ arguments: [String], workingDirectory: String?) -> [String] {
        var argv: [String] = terminateReset ? [env, "--ignore-signal=TERM", bwrap] : [bwrap]
        argv += [
            "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent",
            "--cap-drop", "ALL",
        ]
        for entry in root {
            switch entry {
            case .bind(let path): argv += ["--ro-bind", path, path]
            case .symlink(let path, let target): argv += ["--symlink", target, path]
            }
        }
        argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        argv += ["--bind", workspace, Self.workspaceTarget]
        if workspace != Self.workspaceTarget { argv += ["--bind", workspace, workspace] }
        argv += ["--bind", persist, Self.persistTarget, "--setenv", "HOME", Self.persistTarget]
        for path in readWrite { argv += ["--bind", path, path] }
        for path in readOnly where !readWrite.contains(path) { argv += ["--ro-bind", path, path] }
        for bind in extra { argv += [bind.readOnly ? "--ro-bind" : "--bind", bind.source, bind.target] }
        argv += ["--chdir", workingDirectory ?? workspace, "--"]
        if terminateReset { argv += [env, "--default-signal=TERM"] }
        return argv + [executable] + arguments
    }
}
