import Hummingbird
import OpenWorkJSON

/// The HTTP front door: fault knobs, CORS preflight, authentication, routing, the request logs.
///
/// Order matters and follows opencode: `OPTIONS` is answered before authentication; authentication happens
/// before a route is matched and before any instance exists; unknown routes get 404 without booting an
/// instance.
struct FakeResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let server: FakeServer

    /// The largest request body read; larger bodies get 413.
    static let maximumBodySize = 4 << 20

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        let method = request.method.rawValue
        let path = request.uri.path
        let route = Route.match(method: method, path: path)
        if let route, route.isIntrospection {
            guard server.knobs.introspection else {
                return response(for: .notFound("Route not found: \(method) \(path)"))
            }
            return try await answer(request, route: route, crashAfterResponse: false)
        }

        switch server.faults.admit() {
        case .answer(let thenCrash):
            return try await answer(request, route: route, crashAfterResponse: thenCrash)
        case .hang:
            record(method: method, path: path, query: request.uri.query, directory: nil, status: nil)
            while true { try await Task.sleep(for: .seconds(3600)) }
        case .crashNow:
            SystemCalls.exitImmediately(server.knobs.crashExitCode)
        }
    }

    private func answer(_ request: Request, route: Route?, crashAfterResponse: Bool) async throws -> Response {
        var request = request
        let method = request.method.rawValue
        let path = request.uri.path
        let query = QueryString(request.uri.query ?? "")
        var headers: [String: String] = [:]
        for field in request.headers where headers[field.name.canonicalName] == nil {
            headers[field.name.canonicalName] = field.value
        }
        server.log.log(.info, service: "server", "request", ["method": method, "path": path])

        let reply: Reply
        var directory: String?
        if method == "OPTIONS" {
            reply = .noContent
        } else if let auth = server.auth, route?.isIntrospection != true,
            !auth.authorizes(authorization: headers["authorization"], authToken: query["auth_token"])
        {
            reply = .unauthorized
        } else if let route {
            if route.isInstanceScoped {
                directory = DirectoryResolver.resolve(
                    query: query["directory"],
                    header: headers[DirectoryResolver.headerName],
                    workingDirectory: server.workingDirectory
                )
                // As upstream: the directory a session was created in wins over the request's.
                if let id = route.sessionID, let stored = server.sessions.session(id)?["directory"]?.stringValue {
                    directory = stored
                }
            }
            var call = Call(method: method, path: path, query: query)
            if ["POST", "PUT", "PATCH", "DELETE"].contains(method) {
                do {
                    call.body = Array(buffer: try await request.collectBody(upTo: Self.maximumBodySize))
                } catch {
                    return response(for: .unknownError("request body too large", status: 413))
                }
            }
            reply = await Routes(server: server).reply(to: call, route: route, directory: directory)
        } else {
            reply = .notFound("Route not found: \(method) \(path)")
        }

        record(method: method, path: path, query: request.uri.query, directory: directory, status: reply.status)
        let code = server.knobs.crashExitCode
        var crash: (@Sendable () async -> Void)?
        if crashAfterResponse { crash = { await Self.crash(code) } }
        var response: Response
        if case .events(let subscription) = reply {
            response = EventStreamResponse.make(subscription, request: request, server: server, afterFirstFrame: crash)
        } else {
            response = self.response(for: reply, then: crash)
        }
        let origin = headers["origin"]
        let cors =
            method == "OPTIONS"
            ? server.cors.preflightHeaders(origin: origin, requestedHeaders: headers["access-control-request-headers"])
            : server.cors.responseHeaders(origin: origin)
        Self.apply(cors, to: &response.headers)
        return response
    }

    private func response(for reply: Reply, then after: (@Sendable () async -> Void)? = nil) -> Response {
        var headers = HTTPFields()
        let bytes: [UInt8]
        switch reply {
        case .json(_, let value):
            headers[.contentType] = "application/json"
            bytes = (try? value.serializedBytes(.compact)) ?? Array("null".utf8)
        case .unauthorized:
            headers[.contentType] = "text/plain; charset=UTF-8"
            headers[.wwwAuthenticate] = BasicAuth.challenge
            bytes = Array("Unauthorized".utf8)
        case .noContent, .events:
            bytes = []
        }
        let status = HTTPResponse.Status(code: reply.status)
        guard let after else {
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        let body = ResponseBody(contentLength: bytes.count) { writer in
            try await writer.write(ByteBuffer(bytes: bytes))
            try await writer.finish(nil)
            await after()
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// Exits once the response has had time to leave the event loop (a crash must not eat the response
    /// it follows).
    private static func crash(_ code: Int32) async {
        try? await Task.sleep(for: FakeServer.flushGrace)
        SystemCalls.exitImmediately(code)
    }

    private static func apply(_ cors: CORSPolicy.Headers, to headers: inout HTTPFields) {
        if let value = cors.allowOrigin { headers[.accessControlAllowOrigin] = value }
        if let value = cors.allowMethods { headers[.accessControlAllowMethods] = value }
        if let value = cors.allowHeaders { headers[.accessControlAllowHeaders] = value }
        if let value = cors.maxAge { headers[.accessControlMaxAge] = value }
        if let value = cors.vary { headers[.vary] = value }
    }

    private func record(method: String, path: String, query: String?, directory: String?, status: Int?) {
        guard let log = server.requestLog else { return }
        let redacted = QueryString(query ?? "").pairs.filter { $0.name != "auth_token" }
        var query: [String: JSONValue] = [:]
        for pair in redacted where query[pair.name] == nil { query[pair.name] = .string(pair.value) }
        log.record([
            "time": .integer(server.clock.milliseconds()),
            "method": .string(method),
            "path": .string(path),
            "query": .object(query),
            "directory": directory.map(JSONValue.string) ?? .null,
            "status": status.map { .integer(Int64($0)) } ?? .null,
            "hung": .bool(status == nil),
        ])
    }
}
