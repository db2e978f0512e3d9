public import OpenWorkJSON

/// The whole state file as a value: the workspaces, the active id, the daemon and opencode records, and any
/// top-level members a newer or older tool wrote that we do not know (kept and written back).
public struct RegistryState: Sendable, Hashable {
    /// The schema version this build reads and writes.
    public static let supportedVersion: Int64 = 1

    public var version: Int64 = supportedVersion
    public var activeID: String?
    public var workspaces: [Workspace] = []
    public var daemon: JSONValue?
    public var opencode: JSONValue?
    public var cliVersion: String?
    public var extra: [String: JSONValue] = [:]

    public init() {}

    static let knownKeys: Set<String> = ["version", "activeId", "workspaces", "daemon", "opencode", "cliVersion"]

    /// Why a parsed document is not a state file.
    public struct SchemaError: Error, Hashable {
        public var message: String
    }

    /// Reads a state file's JSON.
    public init(json: JSONValue) throws(SchemaError) {
        guard case .object(let members) = json else { throw SchemaError(message: "the top level is not an object") }
        if let rawVersion = members["version"] {
            guard let version = rawVersion.int64Value, version >= 1 else {
                throw SchemaError(message: "\"version\" must be a positive integer")
            }
            self.version = version
        }
        switch members["activeId"] {
        case nil, .null?: activeID = nil
        case .string(let id)?: activeID = id
        default: throw SchemaError(message: "\"activeId\" must be a string or null")
        }
        switch members["workspaces"] {
        case nil: workspaces = []
        case .array(let entries)?:
            var seen: Set<String> = []
            for (index, entry) in entries.enumerated() {
                guard let workspace = Workspace(json: entry) else {
                    throw SchemaError(message: "workspaces[\(index)] lacks a string id or path")
                }
                guard seen.insert(workspace.id).inserted else {
                    throw SchemaError(message: "workspaces[\(index)] repeats the id \(workspace.id)")
                }
                workspaces.append(workspace)
            }
        default: throw SchemaError(message: "\"workspaces\" must be an array")
        }
        daemon = members["daemon"]
        opencode = members["opencode"]
        cliVersion = members["cliVersion"]?.stringValue
        extra = members.filter { !Self.knownKeys.contains($0.key) }
    }

    public var json: JSONValue {
        var members = extra
        members["version"] = .integer(version)
        members["activeId"] = activeID.map(JSONValue.string) ?? .null
        members["workspaces"] = .array(workspaces.map(\.json))
        if let daemon { members["daemon"] = daemon }
        if let opencode { members["opencode"] = opencode }
        if let cliVersion { members["cliVersion"] = .string(cliVersion) }
        return .object(members)
    }

    public var activeWorkspace: Workspace? { workspaces.first { $0.id == activeID } }
}
