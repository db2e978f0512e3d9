import OpenWorkJSON
public import OpenWorkSystem

/// Where host mode's services run: on the host (`none`, the default), in bubblewrap namespaces (`bwrap`), or in a
/// container (`docker`, `podman`, Apple's `container`). `auto` is a request, resolved by ``SandboxChoice``.
public enum SandboxBackend: String, Sendable, Hashable, CaseIterable {
    case none
    case bwrap
    case docker
    case podman
    case container
}

/// What `--sandbox` asks for: `auto`, or one backend (`none` included). Parsed once, with the settings, so a value
/// that names nothing is refused before anything starts.
public enum SandboxRequest: Sendable, Hashable {
    case auto
    case backend(SandboxBackend)

    /// `auto` or a backend's name; anything else is `invalid_setting`.
    public init(parsing text: String) throws(OpenWorkError) {
        if text == "auto" {
            self = .auto
        } else if let backend = SandboxBackend(rawValue: text) {
            self = .backend(backend)
        } else {
            throw OpenWorkError(
                .invalidSetting,
                "--sandbox must be one of none, auto, bwrap, docker, podman, container, not \"\(text)\"",
                details: ["value": .string(text)])
        }
    }

    /// The value as `--sandbox` spells it.
    public var name: String {
        switch self {
        case .auto: "auto"
        case .backend(let backend): backend.rawValue
        }
    }
}
