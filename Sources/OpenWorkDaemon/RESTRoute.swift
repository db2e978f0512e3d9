import Foundation
public import OpenWorkJSON

/// The REST routes of the operation table, each a thin mapping onto one RPC method of the same table.
///
/// `:id` is one percent-encoded path segment (an id, an exact name, or a path: `%2F` for `/`); a `cwd` query
/// parameter (or body member) resolves a relative path in the caller's directory, never the daemon's. This type
/// only maps; it runs nothing.
public enum RESTRoute: Sendable, Equatable {
    /// Call `method` with `params` and answer with its result.
    case call(method: String, params: JSONValue?)
    /// `GET /events`: stream the events matching `types` (all when `nil`) as server-sent events.
    case events(types: [String]?)
    case notFound

    /// Every route, for documentation: HTTP method, path pattern, RPC method.
    public static let table: [(String, String, String)] = [
        ("GET", "/health", "health"), ("GET", "/openrpc.json", "rpc.discover"),
        ("POST", "/shutdown", "daemon.shutdown"), ("GET", "/workspaces", "workspace.list"),
        ("POST", "/workspaces", "workspace.add"), ("POST", "/workspaces/remote", "workspace.addRemote"),
        ("GET", "/workspaces/:id", "workspace.info"), ("DELETE", "/workspaces/:id", "workspace.remove"),
        ("POST", "/workspaces/:id/activate", "workspace.switch"), ("GET", "/workspaces/:id/path", "workspace.path"),
        ("GET", "/workspaces/:id/connect", "workspace.connect"), ("POST", "/instances/:id/dispose", "instance.dispose"),
        ("GET", "/opencode", "opencode.status"), ("POST", "/opencode/restart", "opencode.restart"),
        ("GET", "/events", "events.subscribe"),
        ("GET", "/sidecars", "sidecar.list"), ("POST", "/sidecars/:name/resolve", "sidecar.resolve"),
        ("GET", "/approvals", "approvals.list"), ("POST", "/approvals/:id", "approvals.reply"),
    ]

    /// Maps a request. `body` is the parsed JSON body (`nil` when there was none).
    public static func match(method: String, path: String, query: String?, body: JSONValue?) -> RESTRoute {
        let segments = path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        let parameters = Self.query(query)
        func withID(_ rpc: String, _ id: String) -> RESTRoute {
            var params: [String: JSONValue] = body?.objectValue ?? [:]
            params["id"] = .string(id)
            if let cwd = parameters["cwd"] { params["cwd"] = .string(cwd) }
            return .call(method: rpc, params: .object(params))
        }
        switch (method, segments.count) {
        case ("GET", 1):
            switch segments[0] {
            case "health": return .call(method: "health", params: nil)
            case "openrpc.json": return .call(method: "rpc.discover", params: nil)
            case "workspaces": return .call(method: "workspace.list", params: nil)
            case "opencode": return .call(method: "opencode.status", params: nil)
            case "sidecars": return .call(method: "sidecar.list", params: nil)
            case "approvals": return approvalsList(parameters)
            case "events":
                let types = parameters["types"].map { $0.split(separator: ",").map(String.init) }
                return .events(types: types)
            default: return .notFound
            }
        case ("POST", 1):
            switch segments[0] {
            case "shutdown": return .call(method: "daemon.shutdown", params: nil)
            case "workspaces": return .call(method: "workspace.add", params: body ?? [:])
            default: return .notFound
            }
        case ("POST", 2) where segments == ["workspaces", "remote"]:
            return .call(method: "workspace.addRemote", params: body ?? [:])
        case ("POST", 2) where segments[0] == "approvals":
            var params: [String: JSONValue] = body?.objectValue ?? [:]
            params["id"] = .string(segments[1])
            return .call(method: "approvals.reply", params: .object(params))
        case ("POST", 2) where segments == ["opencode", "restart"]:
            return .call(method: "opencode.restart", params: body)
        case ("GET", 2) where segments[0] == "workspaces": return withID("workspace.info", segments[1])
        case ("DELETE", 2) where segments[0] == "workspaces": return withID("workspace.remove", segments[1])
        case ("POST", 3) where segments[0] == "workspaces" && segments[2] == "activate":
            return withID("workspace.switch", segments[1])
        case ("GET", 3) where segments[0] == "workspaces" && segments[2] == "path":
            return withID("workspace.path", segments[1])
        case ("GET", 3) where segments[0] == "workspaces" && segments[2] == "connect":
            return withID("workspace.connect", segments[1])
        case ("POST", 3) where segments[0] == "instances" && segments[2] == "dispose":
            return withID("instance.dispose", segments[1])
        case ("POST", 3) where segments[0] == "sidecars" && segments[2] == "resolve":
            var params: [String: JSONValue] = body?.objectValue ?? [:]
            params["name"] = .string(segments[1])
            return .call(method: "sidecar.resolve", params: .object(params))
        default:
            return .notFound
        }
    }

    /// `GET /approvals?workspace=…&cwd=…` → `approvals.list`.
    static func approvalsList(_ parameters: [String: String]) -> RESTRoute {
        var params: [String: JSONValue] = [:]
        for name in ["workspace", "cwd"] { if let value = parameters[name] { params[name] = .string(value) } }
        return .call(method: "approvals.list", params: .object(params))
    }

    /// `a=b&c=d`, percent-decoded (`+` is a space); the first value of a repeated name wins.
    static func query(_ text: String?) -> [String: String] {
        var result: [String: String] = [:]
        for pair in (text ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let name = decode(parts[0])
            if result[name] == nil { result[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return result
    }
}
