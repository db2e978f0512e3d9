/// Every `OPENWORK_*` variable openwork reads, in one list, so that one a user sets and we do not support is
/// reported (once, as ignored) instead of silently doing nothing. A test keeps the list complete: every
/// `"OPENWORK_…"` literal in the sources is either read (here) or only passed to children (``passedToChildren``).
public enum OpenWorkVariables {
    public static let read: Set<String> = [
        "OPENWORK_DATA_DIR", "OPENWORK_DAEMON_PORT", "OPENWORK_DAEMON_START_TIMEOUT_MS", "OPENWORK_NO_AUTO_START",
        "OPENWORK_LOG_FORMAT", "OPENWORK_RUN_ID", "OPENWORK_VERBOSE", "OPENWORK_APPROVAL_MODE",
        "OPENWORK_APPROVAL_TIMEOUT_MS", "OPENWORK_URL", "OPENWORK_HOST_TOKEN", "OPENWORK_OPENCODE_BIN",
        "OPENWORK_OPENWORK_SERVER_BIN", "OPENWORK_OPENCODE_ROUTER_BIN", "OPENWORK_SIDECAR_DIR",
        "OPENWORK_SIDECAR_BASE_URL", "OPENWORK_SIDECAR_MANIFEST_URL", "OPENWORK_SIDECAR_SOURCE",
        "OPENWORK_OPENCODE_SOURCE", "OPENWORK_ALLOW_EXTERNAL", "OPENWORK_OPENCODE_USERNAME",
        "OPENWORK_OPENCODE_PASSWORD", "OPENWORK_WORKSPACE", "OPENWORK_READ_ONLY", "OPENWORK_CORS_ORIGINS",
        "OPENWORK_OPENCODE_PORT", "OPENWORK_PORT", "OPENWORK_REMOTE_ACCESS", "OPENWORK_OPENCODE_LOG_LEVEL",
        "OPENWORK_STARTUP_TIMEOUT", "OPENWORK_OPENCODE_ROUTER", "OPENWORK_OPENCODE_ROUTER_REQUIRED",
        "OPENWORK_EXIT_ON_CHILD_FAILURE", "OPENWORK_OPENCODE_HOT_RELOAD", "OPENWORK_OPENCODE_HOT_RELOAD_DEBOUNCE_MS",
        "OPENWORK_OPENCODE_HOT_RELOAD_COOLDOWN_MS", "OPENWORK_ENABLE_TEST_METHODS", "OPENWORK_RPC_TRACE",
        // Sandbox mode (see `SandboxSettings`).
        "OPENWORK_SANDBOX", "OPENWORK_SANDBOX_IMAGE", "OPENWORK_SANDBOX_PERSIST_DIR", "OPENWORK_SANDBOX_MOUNT",
        "OPENWORK_SANDBOX_MOUNTS",
        "OPENWORK_SANDBOX_MOUNT_ALLOWLIST",
        // Instance lifecycle (see `LifecycleSettings`).
        "OPENWORK_INSTANCE_IDLE_TTL", "OPENWORK_MAX_WARM_INSTANCES", "OPENWORK_RELOAD_DEFER_MAX",
        "OPENWORK_OPENCODE_HOT_RELOAD_WATCHER",
        // Supervision tuning for tests and the harness (see `EngineTuning`).
        "OPENWORK_OPENCODE_START_TIMEOUT_MS", "OPENWORK_OPENCODE_PROBE_INTERVAL_MS",
        "OPENWORK_OPENCODE_PROBE_TIMEOUT_MS", "OPENWORK_OPENCODE_PROBE_MISSES", "OPENWORK_OPENCODE_STOP_GRACE_MS",
        "OPENWORK_OPENCODE_BACKOFF_FLOOR_MS", "OPENWORK_OPENCODE_BACKOFF_CAP_MS",
        "OPENWORK_OPENCODE_MAX_START_FAILURES",
        // Ours, set on children and read back from their environment.
        "OPENWORK_ENGINE_DATA_DIR",
    ]

    /// Variables openwork sets for its children (openwork-server's environment, the host's run id…) and never
    /// reads from its own: a user who sets one is not ignored silently either.
    public static let passedToChildren: Set<String> = [
        "OPENWORK_TOKEN", "OPENWORK_OPENCODE_BASE_URL", "OPENWORK_OPENCODE_DIRECTORY",
    ]

    /// Build and benchmark plumbing, never a user setting.
    public static let internalPrefixes = ["OPENWORK_BENCH_", "OPENWORK_BUILD_DIR", "OPENWORK_TEST_"]

    /// The `OPENWORK_*` names in `environment` that this openwork does not read, sorted.
    public static func ignored(in environment: [String: String]) -> [String] {
        environment.keys.filter { name in
            name.hasPrefix("OPENWORK_") && !read.contains(name)
                && !internalPrefixes.contains(where: name.hasPrefix)
        }.sorted()
    }

    /// One line per ignored variable, for the log.
    public static func warnings(for environment: [String: String]) -> [String] {
        ignored(in: environment).map { name in
            let why = passedToChildren.contains(name) ? "openwork sets it for its children itself" : "not supported"
            return "ignoring \(name): \(why) (README: Host mode, compatibility)"
        }
    }
}
