public import OpenWorkJSON
public import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The user's sandbox mount allowlist: the host directories extra mounts may come from, and the path patterns
/// they may never touch.
///
/// The file is the anchor's (`~/.config/openwork/sandbox-mount-allowlist.json`, overridden by
/// `OPENWORK_SANDBOX_MOUNT_ALLOWLIST`), in the anchor's format — see ``example``. It is read more strictly than
/// the anchor reads it: the anchor treats a file it cannot use as no file at all, and ignores members of the
/// wrong type; here every such file is an `invalid_setting` error naming the file and the member, so that a
/// typo (`"allowReadwrite"`, `"blockedPattern"`) cannot silently weaken the policy.
///
/// This type holds the file's content; it does not resolve paths or decide anything (``MountPolicy`` does).
public struct MountAllowlist: Sendable, Hashable {
    /// A directory extra mounts may come from (the directory itself or anything under it).
    public struct Root: Sendable, Hashable {
        /// As written in the file: absolute, or starting with `~`.
        public var path: String
        /// Whether a mount asking for `rw` under this root gets it; false when the file leaves it out.
        public var allowReadWrite: Bool
        public var description: String?

        public init(path: String, allowReadWrite: Bool = false, description: String? = nil) {
            self.path = path
            self.allowReadWrite = allowReadWrite
            self.description = description
        }
    }

    public var allowedRoots: [Root]
    /// The file's own patterns; ``effectiveBlockedPatterns`` adds the defaults.
    public var blockedPatterns: [String]

    public init(allowedRoots: [Root], blockedPatterns: [String] = []) {
        self.allowedRoots = allowedRoots
        self.blockedPatterns = blockedPatterns
    }

    /// Always blocked, whatever the file says (the anchor's `DEFAULT_SANDBOX_BLOCKED_PATTERNS`, same order).
    public static let defaultBlockedPatterns = [
        ".ssh", ".gnupg", ".gpg", ".aws", ".azure", ".gcloud", ".kube", ".docker", "credentials", ".env", ".netrc",
        ".npmrc", ".pypirc", "id_rsa", "id_ed25519", "private_key", ".secret",
    ]

    /// ``defaultBlockedPatterns`` followed by the file's patterns that are not among them.
    public var effectiveBlockedPatterns: [String] {
        var seen = Set(Self.defaultBlockedPatterns)
        return Self.defaultBlockedPatterns + blockedPatterns.filter { seen.insert($0).inserted }
    }

    /// The allowlist the anchor prints when the file is missing (its `generateSandboxAllowlistTemplate`).
    public static let example = """
        {
          "allowedRoots": [
            {
              "path": "~/projects",
              "allowReadWrite": true,
              "description": "Development projects"
            },
            {
              "path": "~/Documents",
              "allowReadWrite": false,
              "description": "Documents (read-only)"
            }
          ],
          "blockedPatterns": [
            "password",
            "secret",
            "token"
          ]
        }
        """

    /// Where the file is: `override` (the value of `OPENWORK_SANDBOX_MOUNT_ALLOWLIST`) when it is set and not
    /// blank, with `~` expanded and a relative path taken from `workingDirectory`; else
    /// `home/.config/openwork/sandbox-mount-allowlist.json`.
    public static func path(override: String?, home: String, workingDirectory: String) -> String {
        if let override,
            let path = try? PathNormalizer.normalize(
                override.trimmingWhitespace, relativeTo: workingDirectory, home: home)
        {
            return path
        }
        return home + "/.config/openwork/sandbox-mount-allowlist.json"
    }

    /// Reads the allowlist at `path`, following symbolic links (dotfiles are often linked).
    ///
    /// - Returns: `nil` when there is no file at `path` — every extra mount is then refused — which is not the
    ///   same as a file that allows no root.
    /// - Throws: `invalid_setting` when the file cannot be read (not a regular file, no permission, larger than
    ///   1 MiB), is not JSON, or is not an allowlist.
    public static func load(path: String) throws(OpenWorkError) -> MountAllowlist? {
        // O_NONBLOCK: a FIFO at the path must not hang the read; it is refused as not a regular file.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw invalid(path, nil, "cannot be read: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw invalid(path, nil, "is not a regular file")
        }
        let limit = 1 << 20
        guard let bytes = FileIO.readAll(descriptor, limit: limit) else {
            throw invalid(path, nil, "cannot be read: \(String(cString: strerror(errno)))")
        }
        guard bytes.count <= limit else { throw invalid(path, nil, "is larger than 1 MiB") }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes)
        } catch {
            throw invalid(path, nil, "is not JSON: \(error)")
        }
        return try MountAllowlist(json: json, file: path)
    }

    /// The allowlist in `json`, the content of `file` (named in errors).
    ///
    /// `allowedRoots` is required (an empty array allows nothing); each root needs a `path` that is absolute or
    /// starts with `~`, and may have `allowReadWrite` (a boolean) and `description` (a string).
    /// `blockedPatterns` is optional; each pattern is a non-empty string that is one path component (no `/`).
    /// Any other member is refused.
    ///
    /// - Throws: `invalid_setting` with `details.file` and `details.member`.
    public init(json: JSONValue, file: String) throws(OpenWorkError) {
        guard let members = json.objectValue else {
            throw Self.invalid(file, nil, "must be a JSON object, not \(json.typeName)")
        }
        try Self.refuseUnknown(members, known: ["allowedRoots", "blockedPatterns"], at: nil, file: file)
        guard let rootsValue = members["allowedRoots"] else {
            throw Self.invalid(file, "allowedRoots", "is missing (an array of {\"path\": …} objects)")
        }
        guard let roots = rootsValue.arrayValue else {
            throw Self.invalid(file, "allowedRoots", "must be an array, not \(rootsValue.typeName)")
        }
        allowedRoots = []
        for (index, value) in roots.enumerated() {
            allowedRoots.append(try Self.root(value, member: "allowedRoots[\(index)]", file: file))
        }
        blockedPatterns = []
        if let patternsValue = members["blockedPatterns"] {
            guard let patterns = patternsValue.arrayValue else {
                throw Self.invalid(file, "blockedPatterns", "must be an array, not \(patternsValue.typeName)")
            }
            for (index, value) in patterns.enumerated() {
                let member = "blockedPatterns[\(index)]"
                guard let pattern = value.stringValue else {
                    throw Self.invalid(file, member, "must be a string, not \(value.typeName)")
                }
                guard !pattern.trimmingWhitespace.isEmpty, !pattern.contains("/") else {
                    throw Self.invalid(file, member, "must be one path component (not empty, no \"/\")")
                }
                blockedPatterns.append(pattern)
            }
        }
    }

    private static func root(_ value: JSONValue, member: String, file: String) throws(OpenWorkError) -> Root {
        guard let members = value.objectValue else {
            throw invalid(file, member, "must be an object, not \(value.typeName)")
        }
        try refuseUnknown(members, known: ["path", "allowReadWrite", "description"], at: member, file: file)
        guard let pathValue = members["path"] else { throw invalid(file, "\(member).path", "is missing") }
        guard let path = pathValue.stringValue else {
            throw invalid(file, "\(member).path", "must be a string, not \(pathValue.typeName)")
        }
        guard path.hasPrefix("/") || path == "~" || path.hasPrefix("~/"), !path.utf8.contains(0) else {
            throw invalid(file, "\(member).path", "must be absolute or start with ~/, not \"\(path)\"")
        }
        var root = Root(path: path)
        if let flag = members["allowReadWrite"] {
            guard let allow = flag.boolValue else {
                throw invalid(file, "\(member).allowReadWrite", "must be true or false, not \(flag.typeName)")
            }
            root.allowReadWrite = allow
        }
        if let text = members["description"] {
            guard let description = text.stringValue else {
                throw invalid(file, "\(member).description", "must be a string, not \(text.typeName)")
            }
            root.description = description
        }
        return root
    }

    private static func refuseUnknown(
        _ members: [String: JSONValue], known: Set<String>, at parent: String?, file: String
    ) throws(OpenWorkError) {
        guard let unknown = members.keys.filter({ !known.contains($0) }).sorted().first else { return }
        let member = parent.map { "\($0).\(unknown)" } ?? unknown
        throw invalid(file, member, "is not an allowlist member (known: \(known.sorted().joined(separator: ", ")))")
    }

    private static func invalid(_ file: String, _ member: String?, _ problem: String) -> OpenWorkError {
        var details: [String: JSONValue] = ["file": .string(file)]
        if let member { details["member"] = .string(member) }
        let subject = member.map { "\($0) in \(file)" } ?? file
        return OpenWorkError(.invalidSetting, "sandbox mount allowlist: \(subject) \(problem)", details: details)
    }
}
