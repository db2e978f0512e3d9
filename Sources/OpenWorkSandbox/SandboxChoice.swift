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

    /// - Parameters:
    ///   - requested: `none`, `auto` or a backend's name.
    ///   - find: the path of an executable on `PATH`, `nil` when there is none.
    public static func choose(_ requested: String, platform: Platform, find: (String) -> String?)
        throws(OpenWorkError) -> SandboxChoice
    {
        if requested == "auto" {
            if platform.isMacOS && platform.isARM64, let path = find("container") {
                return SandboxChoice(
                    backend: .container, executable: path, reason: "auto: Apple container found at \(path)")
            }
            var missing = platform.isMacOS && platform.isARM64 ? ["container"] : []
            for backend in [SandboxBackend.docker, .podman] + (platform.isMacOS ? [] : [.bwrap]) {
                if let path = find(backend.rawValue) {
                    let skipped = missing.isEmpty ? "" : " (\(missing.joined(separator: ", ")) not found)"
                    return SandboxChoice(
                        backend: backend, executable: path,
                        reason: "auto: \(backend.rawValue) found at \(path)\(skipped)")
                }
                missing.append(backend.rawValue)
            }
            return SandboxChoice(
                backend: .none, executable: nil,
                reason: "auto: no sandbox backend found (\(missing.joined(separator: ", "))); running unsandboxed")
        }
        guard let backend = SandboxBackend(rawValue: requested) else {
            throw OpenWorkError(
                .invalidSetting,
                "--sandbox must be one of none, auto, bwrap, docker, podman, container, not \"\(requested)\"",
                details: ["value": .string(requested)])
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
            return SandboxChoice(
                backend: backend, executable: path, reason: "asked for (--sandbox \(backend.rawValue))")
        }
    }
}
