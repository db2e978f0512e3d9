/// What ``MountPolicy`` decided about one ``MountRequest``.
public enum MountDecision: Sendable, Hashable {
    /// Mount it. `note` says when the mount is not what was asked for (`rw` asked under a read-only root):
    /// the caller logs it.
    case allowed(SandboxMount, note: String?)
    case refused(MountRefusal)
}

/// An extra mount that passed the allowlist: what a backend binds into the sandbox.
public struct SandboxMount: Sendable, Hashable {
    /// Where extra mounts go inside the sandbox (the anchor's `/workspace/extra`).
    public static let extraRoot = "/workspace/extra"

    /// The real path on the host (symbolic links resolved): the backend binds this, not the path as given, so a
    /// link changed after the decision cannot redirect the mount.
    public var hostPath: String
    /// Normalized: components joined by single slashes, no trailing slash.
    public var subpath: String
    public var readOnly: Bool

    public init(hostPath: String, subpath: String, readOnly: Bool) {
        self.hostPath = hostPath
        self.subpath = subpath
        self.readOnly = readOnly
    }

    /// The path inside the sandbox: `/workspace/extra/<subpath>`.
    public var target: String { Self.extraRoot + "/" + subpath }
}
