/// A host path bound into a sandbox at `target`: what the backends' command lines are made of.
public struct SandboxBind: Sendable, Hashable {
    public var source: String
    public var target: String
    public var readOnly: Bool

    public init(source: String, target: String, readOnly: Bool) {
        self.source = source
        self.target = target
        self.readOnly = readOnly
    }
}

extension SandboxMount {
    /// The allowed mount as a bind: its real host path at `/workspace/extra/<subpath>`.
    public var bind: SandboxBind { SandboxBind(source: hostPath, target: target, readOnly: readOnly) }
}
