extension RESTRoute {
    /// The route list as the README shows it, one line a row of ``table``; a test keeps the README equal to it.
    public static var markdownTable: String {
        var lines = ["| route | RPC method | params | success | notes |", "|---|---|---|---|---|"]
        for route in table {
            let method = route.rpcMethod.map { "`\($0)`" } ?? (route.params == .message ? "any" : "—")
            lines.append("| `\(route)` | \(method) | \(route.paramsSummary) | \(route.status) | \(route.notes) |")
        }
        return lines.joined(separator: "\n")
    }

    /// Where the params come from: `body + `id` + `?cwd``, `—` for none.
    var paramsSummary: String {
        switch params {
        case .none, .openAPI: return "—"
        case .body: return "the body"
        case .message: return "the body: a JSON-RPC message"
        case .eventTypes: return "`?types=a,b.*`"
        case .object(let query):
            let body = method == "GET" ? [] : ["body"]
            let parts = body + parameterNames.map { "`\($0)`" } + query.map { "`?\($0)`" }
            return parts.isEmpty ? "—" : parts.joined(separator: " + ")
        }
    }
}
