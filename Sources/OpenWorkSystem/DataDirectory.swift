public import Logging
import OpenWorkJSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where openwork keeps its files: `--data-dir`, else `OPENWORK_DATA_DIR`, else
/// `~/.openwork/openwork-orchestrator`. Created 0700; files inside are 0600.
///
/// - Important: ``path`` is canonical: symbolic links in the part that exists are resolved once, here, so a
///   directory reached through a link and through its real path is one directory with one daemon. Below it
///   nothing is followed through a link (see ``openFile(_:_:mode:)`` and ``subdirectory(_:)``).
///
/// Does not protect against a symbolic link created *above* the data directory after it was resolved: the
/// canonical path is computed when the value is made.
public struct DataDirectory: Sendable, Hashable {
    public let path: String

    /// The registry's state file, under the name the OpenWork desktop app and the orchestrator use.
    public static let stateFileName = "openwork-orchestrator-state.json"

    /// The path of the state file (``stateFileName``) in this directory.
    public var statePath: String { path + "/" + Self.stateFileName }

    public init(path: String) {
        self.path = Self.canonical((try? PathNormalizer.normalize(path, relativeTo: nil, home: nil)) ?? path)
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

    /// `realpath` of the longest prefix of `path` that exists, followed by the components that do not exist
    /// yet. A relative path, or a prefix that cannot be resolved for another reason than its absence, is
    /// returned unchanged (``create(logger:)`` then reports the real problem).
    static func canonical(_ path: String) -> String {
        guard path.hasPrefix("/") else { return path }
        var existing = path
        var missing: [Substring] = []
        while true {
            if let resolved = realpath(existing, nil) {
                defer { free(resolved) }
                var result = String(cString: resolved)
                for component in missing.reversed() {
                    result += (result.hasSuffix("/") ? "" : "/") + component
                }
                return result
            }
            guard errno == ENOENT, existing != "/", let slash = existing.lastIndex(of: "/") else { return path }
            missing.append(existing[existing.index(after: slash)...])
            existing = slash == existing.startIndex ? "/" : String(existing[..<slash])
        }
    }

    /// Creates the directory (and missing parents) with mode 0700 and checks that it can be trusted.
    ///
    /// A directory another user owns is refused (`data_dir_unsafe`), as ssh refuses such a `~/.ssh`: that
    /// user could swap the token or the state file. One of ours that others may read or write (say 0777) is
    /// tightened to 0700 with a warning on `logger`: the files in it were exposed, but it is ours to fix.
    public func create(logger: Logger = Logger(label: "openwork.engine")) throws(OpenWorkError) {
        do {
            try Directory.createPrivate(path)
        } catch {
            throw OpenWorkError(.dataDirUnusable, error.description, details: ["path": .string(path)])
        }
        try Self.checkPrivateDirectory(path, logger: logger)
    }

    /// The directory `name` inside the data directory (`logs`, `sidecars`), created 0700 when missing.
    ///
    /// A symbolic link or anything else that is not a directory at that name is refused (`data_dir_unsafe`,
    /// `details.path`): following it would put our logs or binaries wherever the link points.
    @discardableResult
    public func subdirectory(_ name: String, logger: Logger = Logger(label: "openwork.engine"))
        throws(OpenWorkError) -> String
    {
        try create(logger: logger)
        let directory = path + "/" + name
        do {
            try Directory.createPrivate(directory)
        } catch {
            throw OpenWorkError(.dataDirUnusable, error.description, details: ["path": .string(directory)])
        }
        try Self.checkPrivateDirectory(directory, logger: logger)
        return directory
    }

    /// Refuses a link, a non-directory or another user's directory at `directory`; tightens ours to 0700.
    private static func checkPrivateDirectory(_ directory: String, logger: Logger) throws(OpenWorkError) {
        var info = stat()
        guard lstat(directory, &info) == 0 else {
            throw OpenWorkError(
                .dataDirUnusable, "cannot inspect \(directory): \(String(cString: strerror(errno)))",
                details: ["path": .string(directory)])
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: break
        case S_IFLNK:
            throw unsafe(directory, "is a symbolic link; openwork does not follow links inside its data directory")
        default:
            throw OpenWorkError(
                .dataDirUnusable, "\(directory) is not a directory", details: ["path": .string(directory)])
        }
        guard info.st_uid == geteuid() else {
            throw unsafe(
                directory,
                "is owned by uid \(info.st_uid), not by this user (uid \(geteuid())); another user could replace its token and state",
                extra: ["owner": .integer(Int64(info.st_uid))])
        }
        let mode = info.st_mode & 0o7777
        guard mode & 0o077 != 0 else { return }
        guard chmod(directory, 0o700) == 0 else {
            throw unsafe(
                directory,
                "is accessible to other users (mode \(octal(mode))) and cannot be made private: "
                    + String(cString: strerror(errno)))
        }
        logger.warning(
            "\(directory) was accessible to other users (mode \(octal(mode))); tightened to 0700",
            metadata: ["path": "\(directory)", "previousMode": "\(octal(mode))"])
    }

    /// The `data_dir_unsafe` error for `path`.
    static func unsafe(_ path: String, _ problem: String, extra: [String: JSONValue] = [:]) -> OpenWorkError {
        OpenWorkError(
            .dataDirUnsafe, "refusing \(path): it \(problem)",
            details: extra.merging(["path": .string(path)]) { _, new in new })
    }

    private static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
