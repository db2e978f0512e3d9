#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A manifest target: the operating system and CPU a sidecar binary is built for, spelled as in the
/// orchestrator's manifest (`linux-x64`, `linux-arm64`, `darwin-arm64`, `darwin-x64`, `windows-x64`, …).
public enum HostTarget {
    /// The targets the manifest may name.
    public static let known = [
        "darwin-arm64", "darwin-x64", "linux-x64", "linux-arm64", "windows-x64", "windows-arm64",
    ]

    /// The target for `uname`'s system name and machine, or `nil` when openwork has no binaries for it.
    public static func target(system: String, machine: String) -> String? {
        let os: String
        switch system.lowercased() {
        case "linux": os = "linux"
        case "darwin": os = "darwin"
        default: return nil
        }
        let cpu: String
        switch machine.lowercased() {
        case "x86_64", "amd64": cpu = "x64"
        case "aarch64", "arm64": cpu = "arm64"
        default: return nil
        }
        return "\(os)-\(cpu)"
    }

    /// This machine's target (`uname`), or a description of the host when it has none.
    public static func current() -> Result<String, UnsupportedHost> {
        var names = utsname()
        uname(&names)
        func text<T>(_ field: inout T) -> String {
            withUnsafeBytes(of: &field) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        let system = text(&names.sysname)
        let machine = text(&names.machine)
        guard let target = target(system: system, machine: machine) else {
            return .failure(UnsupportedHost(system: system, machine: machine))
        }
        return .success(target)
    }

    public struct UnsupportedHost: Error, Sendable, Hashable {
        public var system: String
        public var machine: String

        public init(system: String, machine: String) {
            self.system = system
            self.machine = machine
        }
    }
}
