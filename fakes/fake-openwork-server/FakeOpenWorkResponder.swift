import Hummingbird
import OpenWorkJSON

/// The HTTP side of the fake: host-token auth, the approvals API, health and the introspection routes.
/// Errors are `{"code":…,"message":…}` like the OpenWork server's.
struct FakeOpenWorkResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let options: ServerOptions
    let book: ApprovalBook
    let token: HostTokenCheck
    let started: ContinuousClock.Instant
    static let version = "0.11.165"

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        let segments = request.uri.path.split(separator: "/").map(String.init)
        let method = request.method.rawValue
        let body = try await request.body.collect(upTo: 1 << 20)
        let parsed: JSONValue? = body.readableBytes == 0 ? nil : try? JSONValue(parsing: Array(body.readableBytesView))
        if segments.first == "__fake" {
            guard options.introspection else { return Self.error(404, "not_found", "no route") }
            return await introspect(method, segments, parsed)
        }
        if method == "GET", segments == ["health"] {
            let uptime = ContinuousClock.now - started
            return Self.json(
                200,
                [
                    "ok": true, "version": .string(Self.version),
                    "uptimeMs": .integer(
                        uptime.components.seconds * 1_000 + uptime.components.attoseconds / 1_000_000_000_000_000),
                ])
        }
        guard segments.first == "approvals" else { return Self.error(404, "not_found", "no route for \(method)") }
        let presented = request.headers.first { $0.name.canonicalName == "x-openwork-host-token" }?.value
        guard token.accepts(presented) else {
            return Self.error(401, "unauthorized", "a valid X-OpenWork-Host-Token is required")
        }
        switch (method, segments.count) {
        case ("GET", 1):
            return Self.json(200, ["items": .array(await book.items)])
        case ("POST", 2):
            let reply = parsed?["reply"]?.stringValue
            guard reply == "allow" || reply == "deny" else {
                return Self.error(400, "invalid_request", "reply must be \"allow\" or \"deny\"")
            }
            guard let decision = await book.decide(segments[1], allow: reply == "allow") else {
                return Self.error(404, "approval_not_found", "approval \(segments[1]) not found")
            }
            return Self.json(200, ["ok": true, "allowed": .bool(decision.allowed)])
        default:
            return Self.error(404, "not_found", "no route for \(method)")
        }
    }

    /// `POST /__fake/approvals {workspaceId?, action?, summary?, paths?, wait?}` makes a write request: at once
    /// `201 {approval, decided}`, or with `wait: true` the writer's view once decided: `200 {ok, allowed, id}`
    /// or `403 {code:"write_denied", id, reason}`. `GET /__fake/state` → `{mode, pending, decisions}`.
    private func introspect(_ method: String, _ segments: [String], _ body: JSONValue?) async -> Response {
        switch (method, segments.dropFirst().first) {
        case ("GET", "state"):
            return Self.json(200, await book.state)
        case ("POST", "approvals"):
            let (approval, decided) = await book.request(
                workspaceId: body?["workspaceId"]?.stringValue ?? "ws-fake",
                action: body?["action"]?.stringValue ?? "file.write",
                summary: body?["summary"]?.stringValue ?? "write a file",
                paths: body?["paths"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            guard body?["wait"] == true else {
                return Self.json(
                    201, ["approval": approval.json, "decided": decided.map { .bool($0.allowed) } ?? .null])
            }
            let decision: ApprovalBook.Decision
            if let decided { decision = decided } else { decision = await book.outcome(of: approval.id) }
            if decision.allowed {
                return Self.json(200, ["ok": true, "allowed": true, "id": .string(approval.id)])
            }
            return Self.json(
                403,
                [
                    "code": "write_denied", "message": "the write was not approved", "id": .string(approval.id),
                    "reason": .string(decision.reason),
                ])
        default:
            return Self.error(404, "not_found", "no route")
        }
    }

    static func json(_ status: Int, _ value: JSONValue) -> Response {
        let bytes = (try? value.serializedBytes(.compact)) ?? Array(#"{"code":"internal"}"#.utf8)
        return Response(
            status: .init(code: status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func error(_ status: Int, _ code: String, _ message: String) -> Response {
        json(status, ["code": .string(code), "message": .string(message)])
    }
}
