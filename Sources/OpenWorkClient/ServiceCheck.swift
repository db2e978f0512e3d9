import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenWorkCore
public import OpenWorkJSON
import OpenWorkSystem

/// `openwork status --opencode-url U --openwork-url U`: checks those services directly, with no daemon, as the
/// anchor's `status` does. opencode: authenticated `GET /global/health`; an openwork server: `GET /health`.
///
/// Each check answers `{"ok":true,"url":…,"health":{…}}` or `{"ok":false,"url":…,"error":…,"kind":…}`; the
/// password goes into the Basic `Authorization` header only, never into the answer.
public enum ServiceCheck {
    /// `GET <url>/global/health` with Basic auth when a password is given; healthy means `healthy: true`.
    public static func opencode(url: String, username: String?, password: String?, timeout: Duration = .seconds(5))
        async -> JSONValue
    {
        guard let base = normalized(url) else { return invalidURL(url) }
        let endpoint = OpenCodeEndpoint(baseURL: base, username: username, password: password)
        // Its own client: no redirects, so the credentials only ever go to `url`.
        let http = OpenCodeClient.makeHTTPClient()
        let outcome: Result<JSONValue, OpenCodeClient.Failure>
        do {
            outcome = .success(try await OpenCodeClient(http: http).health(endpoint, timeout: timeout))
        } catch {
            outcome = .failure(error)
        }
        try? await http.shutdown()
        switch outcome {
        case .success(let health):
            guard health["healthy"] == true else {
                return failure(base, kind: "opencode_unhealthy", "opencode at \(base) does not report healthy")
            }
            return ["ok": true, "url": .string(base), "health": health]
        case .failure(let error):
            let kind =
                switch error.status {
                case 401?, 403?: "opencode_unauthorized"
                case nil: "opencode_unreachable"
                default: "opencode_unhealthy"
                }
            return failure(base, kind: kind, "opencode at \(base): \(error.description)")
        }
    }

    /// `GET <url>/health` of an openwork server (a daemon's control plane answers it without a token).
    public static func openwork(url: String, timeout: Duration = .seconds(5)) async -> JSONValue {
        guard let base = normalized(url) else { return invalidURL(url) }
        do {
            var request = HTTPClientRequest(url: base + "/health")
            request.headers.add(name: "Accept", value: "application/json")
            let response = try await HTTPClient.shared.execute(
                request, timeout: .nanoseconds(max(1, timeout.nanoseconds)))
            let bytes = Array(buffer: try await response.body.collect(upTo: 4 << 20))
            let health = try? JSONValue(parsing: bytes)
            guard response.status == .ok, let health, health["ok"] != false else {
                return failure(
                    base, kind: "openwork_unhealthy",
                    "the openwork server at \(base) answered HTTP \(response.status.code)")
            }
            return ["ok": true, "url": .string(base), "health": health]
        } catch {
            return failure(
                base, kind: "openwork_unreachable",
                "cannot reach the openwork server at \(base): \(OpenCodeClient.describe(error))")
        }
    }

    /// `http(s)://…` without a trailing slash, or `nil`.
    static func normalized(_ url: String) -> String? {
        var url = url.trimmingWhitespace
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else { return nil }
        while url.hasSuffix("/") { url.removeLast() }
        guard let scheme = url.range(of: "://"), !url[scheme.upperBound...].isEmpty else { return nil }
        return url
    }

    private static func invalidURL(_ url: String) -> JSONValue {
        failure(url, kind: "invalid_url", "not an http(s) URL: \(url)")
    }

    private static func failure(_ url: String, kind: String, _ message: String) -> JSONValue {
        ["ok": false, "url": .string(url), "error": .string(message), "kind": .string(kind)]
    }
}
