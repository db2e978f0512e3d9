import Foundation
import HTTPTypes
import Hummingbird
import OpenWorkJSON

/// The HTTP side of the fake: auth, the routes host mode uses, CORS, the request log, and the introspection
/// routes. Errors are `{"code":…,"message":…,"details"?:…}` like the OpenWork server's.
///
/// Client auth is `Authorization: Bearer <OPENWORK_TOKEN or a minted token>`; host auth is
/// `X-OpenWork-Host-Token: <OPENWORK_HOST_TOKEN>` or `Authorization: Bearer <a minted owner token>`.
struct FakeOpenWorkResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let state: ServerState

    /// Which credential a route needs, as the log names it.
    enum Auth: String {
        case anyone = "none"
        case client, host
    }

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        let path = request.uri.path
        let method = request.method.rawValue
        if path == "/__fake" || path.hasPrefix("/__fake/") {
            guard state.options.introspection else { return Reply.error(404, "not_found", "Not found") }
            return await introspect(request)
        }
        state.journal.record(method: method, path: path)
        let started = ContinuousClock.now
        let (response, auth) = method == "OPTIONS" ? (Response(status: .noContent), Auth.anyone) : await route(request)
        let elapsed = (ContinuousClock.now - started).components
        state.log.request(
            method: method, path: path, status: response.status.code,
            milliseconds: elapsed.seconds * 1_000 + elapsed.attoseconds / 1_000_000_000_000_000, auth: auth.rawValue)
        return withCORS(response, origin: request.headers[.origin])
    }

    private func route(_ request: Request) async -> (Response, Auth) {
        let segments = request.uri.path.split(separator: "/").map(String.init)
        let method = request.method.rawValue
        if segments.first == "opencode" {
            guard await isClient(request) else { return (Reply.unauthorizedClient, .client) }
            return (await OpenCodeProxy(state: state).forward(request), .client)
        }
        if segments.first == "approvals" {
            guard await isHost(request) else { return (Reply.unauthorizedHost, .host) }
            return (await approvals(method, segments, request), .host)
        }
        switch (method, segments.count, segments.first) {
        case ("GET", 1, "health"):
            return (await health(), .anyone)
        case ("GET", 1, "workspaces"):
            guard await isClient(request) else { return (Reply.unauthorizedClient, .client) }
            return (workspaces(), .client)
        case ("POST", 1, "tokens"):
            guard await isHost(request) else { return (Reply.unauthorizedHost, .host) }
            return (await mintToken(try? await Self.jsonBody(request)), .host)
        case ("GET", 3, "workspace") where segments[2] == "config":
            guard await isClient(request) else { return (Reply.unauthorizedClient, .client) }
            return (await workspaceConfig(segments[1]), .client)
        default:
            return (Reply.error(404, "not_found", "Not found"), .anyone)
        }
    }

    // MARK: Auth

    private func bearer(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }

    private func isClient(_ request: Request) async -> Bool {
        guard let token = bearer(request) else { return false }
        if state.collaboratorToken.accepts(token) { return true }
        return await state.tokens.scope(of: token) != nil
    }

    private func isHost(_ request: Request) async -> Bool {
        let presented = request.headers.first { $0.name.canonicalName == "x-openwork-host-token" }?.value
        if state.hostToken.accepts(presented) { return true }
        guard let token = bearer(request) else { return false }
        return await state.tokens.scope(of: token) == .owner
    }

    // MARK: Routes

    private func health() async -> Response {
        let opencodeVersion = await OpenCodeClient(state: state).version()
        return Reply.json(
            200,
            [
                "ok": true, "version": .string(state.options.knobs.version),
                "opencodeVersion": opencodeVersion.map(JSONValue.string) ?? .null, "uptimeMs": .integer(state.uptimeMs),
            ])
    }

    private func mintToken(_ body: JSONValue?) async -> Response {
        guard let raw = body?["scope"]?.stringValue, let scope = TokenBook.Scope(rawValue: raw) else {
            return Reply.error(400, "invalid_scope", "Token scope must be owner, collaborator, or viewer")
        }
        let label = body?["label"]?.stringValue
        return Reply.json(201, await state.tokens.mint(scope: scope, label: label))
    }

    private func approvals(_ method: String, _ segments: [String], _ request: Request) async -> Response {
        switch (method, segments.count) {
        case ("GET", 1):
            return Reply.json(200, ["items": .array(await state.book.items)])
        case ("POST", 2):
            let reply = (try? await Self.jsonBody(request))?["reply"]?.stringValue
            guard reply == "allow" || reply == "deny" else {
                return Reply.error(400, "invalid_request", "reply must be \"allow\" or \"deny\"")
            }
            guard let decision = await state.book.decide(segments[1], allow: reply == "allow") else {
                return Reply.error(404, "approval_not_found", "approval \(segments[1]) not found")
            }
            return Reply.json(200, ["ok": true, "allowed": .bool(decision.allowed)])
        default:
            return Reply.error(404, "not_found", "Not found")
        }
    }

    /// The request's body as JSON (`nil` when empty or not JSON); bodies over 1 MiB throw.
    static func jsonBody(_ request: Request) async throws -> JSONValue? {
        let body = try await request.body.collect(upTo: 1 << 20)
        return body.readableBytes == 0 ? nil : try? JSONValue(parsing: Array(body.readableBytesView))
    }

    /// `Access-Control-Allow-*` when `--cors` lists `*` or the request's `Origin`.
    private func withCORS(_ response: Response, origin: String?) -> Response {
        let origins = state.options.corsOrigins
        guard let allowed = origins.contains("*") ? "*" : origin.flatMap({ origins.contains($0) ? $0 : nil }) else {
            return response
        }
        var response = response
        response.headers[.accessControlAllowOrigin] = allowed
        response.headers[.accessControlAllowHeaders] =
            "Authorization, Content-Type, X-OpenWork-Host-Token, X-OpenWork-Client-Id, X-OpenCode-Directory"
        response.headers[.accessControlAllowMethods] = "GET,POST,PATCH,DELETE,OPTIONS"
        response.headers[.vary] = "Origin"
        return response
    }
}
