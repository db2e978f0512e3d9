import AsyncHTTPClient
import Foundation
import NIOCore
public import NIOHTTP1
public import OpenWorkJSON
public import OpenWorkSystem

/// The OpenWork server's approvals API in host mode (compatible with the anchor's client): `GET /approvals` and
/// `POST /approvals/:id {"reply":"allow"|"deny"}`, authenticated with the `X-OpenWork-Host-Token` header (never
/// in the URL). Items come back with `source: "openwork-server"`.
///
/// Errors: a URL that is not http(s) → `invalid_url`; no connection or no answer in time →
/// `openwork_server_unreachable`; 401/403 → `unauthorized`; an unknown id → `approval_not_found`; any other
/// failure → `openwork_server_failed` with the status.
public struct OpenWorkServerClient: Sendable {
    public var baseURL: String
    public var hostToken: String
    public var timeout: Duration

    public init(baseURL: String, hostToken: String, timeout: Duration = .seconds(30)) throws(OpenWorkError) {
        guard let url = URL(string: baseURL), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
            url.host != nil, url.user == nil, url.password == nil
        else {
            throw OpenWorkError(
                .invalidURL, "the OpenWork server URL must be an http(s) URL without credentials: \(baseURL)")
        }
        guard !hostToken.isEmpty else {
            throw OpenWorkError(.unauthorized, "a host token is required (--host-token or OPENWORK_HOST_TOKEN)")
        }
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.hostToken = hostToken
        self.timeout = timeout
    }

    /// `GET /approvals` → `{items:[{id, source, workspaceId, action, summary, paths, createdAt, actor}]}`.
    public func list() async throws(OpenWorkError) -> JSONValue {
        let answer = try await send(.GET, "/approvals", body: nil)
        let items = (answer["items"]?.arrayValue ?? []).map { item -> JSONValue in
            var item = item
            item["source"] = "openwork-server"
            return item
        }
        return ["items": .array(items)]
    }

    /// `POST /approvals/:id {"reply":"allow"|"deny"}` → `{id, source, reply, allowed}`.
    public func reply(_ id: String, allow: Bool) async throws(OpenWorkError) -> JSONValue {
        let reply = allow ? "allow" : "deny"
        let encoded = id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~")))
        let answer = try await send(.POST, "/approvals/\(encoded ?? id)", body: ["reply": .string(reply)], id: id)
        return [
            "id": .string(id), "source": "openwork-server", "reply": .string(reply),
            "allowed": answer["allowed"] ?? .bool(allow),
        ]
    }

    /// One client for the process (like `HTTPClient.shared`, never shut down), with a 2 s connect timeout: a server
    /// that is down is reported after at most 2 s of connection retries instead of the whole request timeout.
    private static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(2), read: .seconds(30))
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// How a request to the server authenticates: its host routes take `X-OpenWork-Host-Token`, its client routes
    /// `Authorization: Bearer <token>`, `/health` nothing.
    public enum Auth: Sendable {
        case host
        case bearer(String)
        case none
    }

    /// One request: the status and the JSON body (`nil` when empty or not JSON). Throws
    /// `openwork_server_unreachable` when there is no answer in time.
    public func request(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil, auth: Auth = .host)
        async throws(OpenWorkError) -> (status: Int, json: JSONValue?)
    {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        switch auth {
        case .host: request.headers.add(name: "X-OpenWork-Host-Token", value: hostToken)
        case .bearer(let token): request.headers.add(name: "Authorization", value: "Bearer " + token)
        case .none: break
        }
        request.headers.add(name: "Accept", value: "application/json")
        if let body, let bytes = try? body.serializedBytes() {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: bytes))
        }
        do {
            let response = try await Self.http.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            var buffer = try await response.body.collect(upTo: 4 << 20)
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            return (Int(response.status.code), bytes.isEmpty ? nil : try? JSONValue(parsing: bytes))
        } catch {
            throw OpenWorkError(
                .openworkServerUnreachable, "the OpenWork server at \(baseURL) is unreachable: \(error)",
                details: ["url": .string(baseURL)])
        }
    }

    private func send(_ method: HTTPMethod, _ path: String, body: JSONValue?, id: String? = nil)
        async throws(OpenWorkError) -> JSONValue
    {
        let (status, json) = try await request(method, path, body: body)
        let message = json?["message"]?.stringValue ?? json?["error"]?.stringValue ?? "HTTP \(status)"
        switch status {
        case 200..<300:
            guard let json else {
                throw OpenWorkError(.openworkServerFailed, "the OpenWork server's answer is not JSON")
            }
            return json
        case 401, 403:
            throw OpenWorkError(
                .unauthorized, "the OpenWork server refused the host token: \(message)",
                details: ["status": .integer(Int64(status))])
        case 404 where id != nil:
            throw OpenWorkError(
                .approvalNotFound, "no pending approval \(id ?? "") on the OpenWork server",
                details: ["id": .string(id ?? ""), "source": "openwork-server"])
        default:
            throw OpenWorkError(
                .openworkServerFailed, "the OpenWork server failed: \(message)",
                details: ["status": .integer(Int64(status)), "code": json?["code"] ?? .null])
        }
    }
}
