import OpenWorkJSON
public import OpenWorkSystem

/// Which backend a `--sandbox` request runs, and why: pure, given the platform and which executables exist.
///
/// `auto`: Apple's `container` on macOS arm64 when present, else `docker`, else `podman`, else `bwrap`, else
/// none (the anchor's order, with podman and bubblewrap added before giving up). A named backend must be usable
/// here, or the request is refused (`sandbox_unavailable`) rather than silently run without isolation.
public struct SandboxChoice: Sendable, Hashable {
    public var backend: SandboxBackend
    /// The backend's executable (`nil` for `none`).
    public var executable: String?
    public var reason: String

    public init(backend: SandboxBackend, executable: String?, reason: String) {
        self.backend = backend
        self.executable = executable
        self.reason = reason
    }

    public struct Platform: Sendable, Hashable {
        public var isMacOS: Bool
        public var isARM64: Bool

        public init(isMacOS: Bool, isARM64: Bool) {
            self.isMacOS = isMacOS
            self.isARM64 = isARM64
        }

        public static var current: Platform {
            #if os(macOS)
                let macOS = true
            #else
                let macOS = false
            #endif
            #if arch(arm64)
                return Platform(isMacOS: macOS, isARM64: true)
            #else
                return Platform(isMacOS: macOS, isARM64: false)
            #endif
        }
    }

    /// The backends `auto` tries on `platform`, in order.
    public static func candidates(on platform: Platform) -> [SandboxBackend] {
        (platform.isMacOS && platform.isARM64 ? [.container] : []) + [.docker, .podman]
            + (platform.isMacOS ? [] : [.bwrap])
    }

    /// - Parameters:
    ///   - requested: `auto` or a backend (`none` included).
    ///   - find: the path of an executable on `PATH`, `nil` when there is none.
    ///   - problem: why a backend found at a path does not work here (its engine does not answer, user
    ///     namespaces are off), `nil` when it works; `auto` skips such a backend and says why.
    public static func choose(
        _ requested: SandboxRequest, platform: Platform, find: (String) -> String?,
        problem: (SandboxBackend, String) -> String? = { _, _ in nil }
    ) throws(OpenWorkError) -> SandboxChoice {
        guard case .backend(let backend) = requested else {
            return automatic(platform: platform, find: find, problem: problem)
        }
        switch backend {
        case .none:
            return SandboxChoice(backend: .none, executable: nil, reason: "sandbox off (--sandbox none)")
        case .container where !(platform.isMacOS && platform.isARM64):
            throw OpenWorkError(
                .sandboxUnavailable, "the container backend is Apple's container tool: macOS on Apple silicon only",
                details: ["backend": "container"])
        case .bwrap where platform.isMacOS:
            throw OpenWorkError(
                .sandboxUnavailable, "bubblewrap needs Linux namespaces; on macOS use container or docker",
                details: ["backend": "bwrap"])
        default:
            guard let path = find(backend.rawValue) else {
                let package = backend == .bwrap ? " (Debian: apt-get install bubblewrap)" : ""
                throw OpenWorkError(
                    .sandboxUnavailable, "--sandbox \(backend.rawValue): no \(backend.rawValue) on PATH\(package)",
                    details: ["backend": .string(backend.rawValue)])
            }
            if let problem = problem(backend, path) {
                throw OpenWorkError(
                    .sandboxUnavailable, "--sandbox \(backend.rawValue): \(path) does not work here: \(problem)",
                    details: ["backend": .string(backend.rawValue)])
            }
            return SandboxChoice(
                backend: backend, executable: path, reason: "asked for (--sandbox \(backend.rawValue))")
        }
    }

    /// `auto`: the first candidate found that works, else none; the reason names what was skipped.
    static func automatic(
        platform: Platform, find: (String) -> String?, problem: (SandboxBackend, String) -> String?
    ) -> SandboxChoice {
        var missing: [String] = []
        var failing: [String] = []
        func skipped() -> String {
            let notFound = missing.isEmpty ? [] : [missing.joined(separator: ", ") + " not found"]
            return (notFound + failing).joined(separator: "; ")
        }
        for backend in candidates(on: platform) {
            guard let path = find(backend.rawValue) else {
                missing.append(backend.rawValue)
                continue
            }
            if let problem = problem(backend, path) {
                failing.append("\(backend.rawValue) at \(path): \(problem)")
                continue
            }
            let notes = skipped()
            let name = backend == .container ? "Apple container" : backend.rawValue
            return SandboxChoice(
                backend: backend, executable: path,
                reason: "auto: \(name) found at \(path)" + (notes.isEmpty ? "" : " (\(notes))"))
        }
        return SandboxChoice(
            backend: .none, executable: nil,
            reason: "auto: no usable sandbox backend (\(skipped())); running unsandboxed")
    }
}
