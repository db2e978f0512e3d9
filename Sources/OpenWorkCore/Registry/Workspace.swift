public import OpenWorkJSON
import OpenWorkSystem

/// One entry of the registry, in the OpenWork orchestrator's schema.
///
/// Members this version does not know are kept in ``extra`` and written back unchanged.
public struct Workspace: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case local
        case remote
    }

    public var id: String
    public var name: String
    /// For a local workspace, the normalized absolute path; for a remote one, its directory (or empty).
    public var path: String
    public var kind: Kind
    public var baseURL: String?
    public var directory: String?
    /// Unix milliseconds.
    public var createdAt: Int64
    public var lastUsedAt: Int64
    public var extra: [String: JSONValue] = [:]

    public init(
        id: String, name: String, path: String, kind: Kind, baseURL: String? = nil, directory: String? = nil,
        createdAt: Int64, lastUsedAt: Int64
    ) {
        self.id = id
        self.name = name
        self.path = path
        self.kind = kind
        self.baseURL = baseURL
        self.directory = directory
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }

    static let knownKeys: Set<String> = [
        "id", "name", "path", "workspaceType", "baseUrl", "directory", "createdAt", "lastUsedAt",
    ]

    public var json: JSONValue {
        var members = extra
        members["id"] = .string(id)
        members["name"] = .string(name)
        members["path"] = .string(path)
        members["workspaceType"] = .string(kind.rawValue)
        if let baseURL { members["baseUrl"] = .string(baseURL) }
        if let directory { members["directory"] = .string(directory) }
        members["createdAt"] = .integer(createdAt)
        members["lastUsedAt"] = .integer(lastUsedAt)
        return .object(members)
    }

    /// Reads an entry; `nil` when a required member is missing or mistyped.
    init?(json: JSONValue) {
        guard case .object(let members) = json, let id = members["id"]?.stringValue, !id.isEmpty else { return nil }
        let kind = Kind(rawValue: members["workspaceType"]?.stringValue ?? "local") ?? .local
        guard let path = members["path"]?.stringValue ?? (kind == .remote ? "" : nil) else { return nil }
        self.id = id
        self.name = members["name"]?.stringValue ?? PathNormalizer.baseName(path)
        self.path = path
        self.kind = kind
        self.baseURL = members["baseUrl"]?.stringValue
        self.directory = members["directory"]?.stringValue
        self.createdAt = members["createdAt"]?.int64Value ?? 0
        self.lastUsedAt = members["lastUsedAt"]?.int64Value ?? 0
        self.extra = members.filter { !Self.knownKeys.contains($0.key) }
    }
}
