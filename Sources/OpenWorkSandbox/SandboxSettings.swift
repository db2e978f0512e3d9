public import OpenWorkSystem

/// What the flags and the environment ask of the sandbox (a flag wins, then the variable, then the default),
/// before anything is checked: ``SandboxChoice`` picks the backend, the mount policy judges the mounts.
public struct SandboxSettings: Sendable, Hashable {
    /// `none` (default), `auto` or a backend: `--sandbox`, `OPENWORK_SANDBOX`.
    public var requested: SandboxRequest
    /// The containers' image: `--sandbox-image`, `OPENWORK_SANDBOX_IMAGE`.
    public var image: String
    /// `/persist` inside, and `HOME`: `--sandbox-persist-dir`, `OPENWORK_SANDBOX_PERSIST_DIR`; `nil`: the data
    /// directory's `sandbox/persist`.
    public var persistDirectory: String?
    /// `hostPath:subpath[:ro|rw]` specs, each possibly a comma- or newline-separated list
    /// (``MountRequest/parseList(_:)``): `--sandbox-mount` (repeatable), else `OPENWORK_SANDBOX_MOUNT` (the
    /// anchor's name) or `OPENWORK_SANDBOX_MOUNTS`.
    public var mounts: [String]
    /// The allowlist file: `OPENWORK_SANDBOX_MOUNT_ALLOWLIST`, else `~/.config/openwork/sandbox-mount-allowlist.json`.
    public var allowlistPath: String?
    /// Where relative host paths of the mounts (and of the allowlist variable) start.
    public var workingDirectory = "/"

    public static let defaultImage = "debian:bookworm-slim"

    public init(
        requested: SandboxRequest = .backend(.none), image: String = SandboxSettings.defaultImage,
        persistDirectory: String? = nil,
        mounts: [String] = [], allowlistPath: String? = nil
    ) {
        self.requested = requested
        self.image = image
        self.persistDirectory = persistDirectory
        self.mounts = mounts
        self.allowlistPath = allowlistPath
    }

    public static func resolve(
        sandbox: String?, image: String?, persistDirectory: String?, mounts: [String], environment: [String: String]
    ) throws(OpenWorkError) -> SandboxSettings {
        func variable(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let listed =
            mounts.isEmpty
            ? (variable("OPENWORK_SANDBOX_MOUNT") ?? variable("OPENWORK_SANDBOX_MOUNTS")).map { [$0] } ?? [] : mounts
        return SandboxSettings(
            requested: try SandboxRequest(parsing: sandbox ?? variable("OPENWORK_SANDBOX") ?? "none"),
            image: image ?? variable("OPENWORK_SANDBOX_IMAGE") ?? defaultImage,
            persistDirectory: persistDirectory ?? variable("OPENWORK_SANDBOX_PERSIST_DIR"), mounts: listed,
            allowlistPath: variable("OPENWORK_SANDBOX_MOUNT_ALLOWLIST"))
    }
}
