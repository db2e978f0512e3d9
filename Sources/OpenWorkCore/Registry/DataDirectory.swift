import OpenWorkJSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where openwork keeps its files: `--data-dir`, else `OPENWORK_DATA_DIR`, else
/// `~/.openwork/openwork-orchestrator`. Created 0700; files inside are 0600.
public struct DataDirectory: Sendable, Hashable {
    public let path: String

    public init(path: String) {
        self.path = (try? PathNormalizer.normalize(path, relativeTo: nil, home: nil)) ?? path
    }

    /// Resolves the data directory from a flag value, the environment and the home directory.
    public static func resolve(flag: String?, environment: [String: String], cwd: String?) -> DataDirectory {
        let home = environment["HOME"]
        let chosen = [flag, environment["OPENWORK_DATA_DIR"]].compactMap { $0 }.first { !$0.isEmpty }
        if let chosen, let path = try? PathNormalizer.normalize(chosen, relativeTo: cwd, home: home) {
            return DataDirectory(path: path)
        }
        return DataDirectory(path: (home ?? "/tmp") + "/.openwork/openwork-orchestrator")
    }

    /// Creates the directory (and missing parents) with mode 0700.
    public func create() throws(OpenWorkError) {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw OpenWorkError(
                    .dataDirUnusable, "cannot create \(prefix): \(String(cString: strerror(errno)))",
                    details: ["path": .string(path)])
            }
        }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw OpenWorkError(.dataDirUnusable, "\(path) is not a directory", details: ["path": .string(path)])
        }
    }
}
