/// opencode's CORS rules: local origins, Tauri, `https://*.opencode.ai` and the `--cors` list are echoed
/// back; every `OPTIONS` request is answered 204 (before authentication).
struct CORSPolicy: Equatable, Sendable {
    var extraOrigins: [String]

    /// The headers a response gets for a request with this `Origin`.
    struct Headers: Equatable, Sendable {
        var allowOrigin: String?
        var allowMethods: String?
        var allowHeaders: String?
        var maxAge: String?
        var vary: String?
    }

    func allows(origin: String) -> Bool {
        if origin.hasPrefix("http://localhost:") || origin.hasPrefix("http://127.0.0.1:") { return true }
        if origin.hasPrefix("oc://renderer") { return true }
        if ["tauri://localhost", "http://tauri.localhost", "https://tauri.localhost"].contains(origin) { return true }
        if Self.isOpenCodeOrigin(origin) { return true }
        return extraOrigins.contains(origin)
    }

    func responseHeaders(origin: String?) -> Headers {
        var headers = Headers()
        headers.vary = "Origin"
        if let origin, allows(origin: origin) { headers.allowOrigin = origin }
        return headers
    }

    func preflightHeaders(origin: String?, requestedHeaders: String?) -> Headers {
        var headers = responseHeaders(origin: origin)
        headers.maxAge = "86400"
        headers.allowMethods = "GET,HEAD,PUT,POST,DELETE,PATCH"
        if let requestedHeaders {
            headers.allowHeaders = requestedHeaders
            headers.vary = "Origin, Access-Control-Request-Headers"
        }
        return headers
    }

    /// `https://` then any number of `[a-z0-9-]+.` labels, then `opencode.ai`.
    private static func isOpenCodeOrigin(_ origin: String) -> Bool {
        guard origin.hasPrefix("https://"), origin.hasSuffix("opencode.ai") else { return false }
        let host = origin.dropFirst("https://".count).dropLast("opencode.ai".count)
        if host.isEmpty { return true }
        guard host.hasSuffix(".") else { return false }
        return host.dropLast().split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.allSatisfy { ($0.isLetter && $0.isLowercase) || $0.isNumber || $0 == "-" }
        }
    }
}
