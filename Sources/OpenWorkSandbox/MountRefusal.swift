import OpenWorkJSON
public import OpenWorkSystem

/// Why ``MountPolicy`` refused an extra mount: the rule, and a message for the user.
public struct MountRefusal: Sendable, Hashable {
    /// The rule that refused. Its ``name`` is `details.rule` of ``error``.
    public enum Rule: Sendable, Hashable {
        /// There is no allowlist file: every extra mount is refused.
        case noAllowlist
        /// The subpath is empty, absolute, has a `.` or `..` component, or a `\`, `:` or `,`.
        case invalidSubpath
        /// The host path does not exist (or cannot be resolved).
        case hostPathMissing
        /// A component of the host path (as given, or its real path) matches a blocked pattern.
        case blockedPattern(pattern: String, component: String)
        /// The real host path is not under the real path of any allowed root.
        case outsideAllowedRoots
        /// Another request of the same list already mounts at this target.
        case duplicateTarget

        /// `snake_case`, stable: `no_allowlist`, `invalid_subpath`, `host_path_missing`, `blocked_pattern`,
        /// `outside_allowed_roots`, `duplicate_target`.
        public var name: String {
            switch self {
            case .noAllowlist: "no_allowlist"
            case .invalidSubpath: "invalid_subpath"
            case .hostPathMissing: "host_path_missing"
            case .blockedPattern: "blocked_pattern"
            case .outsideAllowedRoots: "outside_allowed_roots"
            case .duplicateTarget: "duplicate_target"
            }
        }
    }

    public var rule: Rule
    /// The refused request.
    public var request: MountRequest
    public var message: String

    public init(rule: Rule, request: MountRequest, message: String) {
        self.rule = rule
        self.request = request
        self.message = message
    }

    /// `sandbox_mount_refused` with `details.rule` (``Rule/name``) and `details.mount` (the request's spec);
    /// `details.pattern` too for a blocked pattern.
    public var error: OpenWorkError {
        var details: [String: JSONValue] = ["rule": .string(rule.name), "mount": .string(request.spec)]
        if case .blockedPattern(let pattern, _) = rule { details["pattern"] = .string(pattern) }
        return OpenWorkError(.sandboxMountRefused, message, details: details)
    }
}
