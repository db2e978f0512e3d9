/// Where host mode's services run: on the host (`none`, the default), in bubblewrap namespaces (`bwrap`), or in a
/// container (`docker`, `podman`, Apple's `container`). `auto` is a request, resolved by ``SandboxChoice``.
public enum SandboxBackend: String, Sendable, Hashable, CaseIterable {
    case none
    case bwrap
    case docker
    case podman
    case container
}
