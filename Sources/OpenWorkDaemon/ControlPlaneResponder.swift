import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenWorkJSON
import OpenWorkOperations
import OpenWorkRPC

/// Serves one request: ``AccessMiddleware`` first, then the row of ``RESTRoute/table`` the request matches, then
/// one record in the log.
///
/// A route's call goes straight to ``Dispatcher/call(_:params:)`` in the request's own task, and its result is
/// encoded once, into the body.
struct ControlPlaneResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let plane: ControlPlane
    let listening: @Sendable () -> Listening
    let access: AccessMiddleware<Context>

    init(plane: ControlPlane, listening: @escaping @Sendable () -> Listening) {
        self.plane = plane
        self.listening = listening
        access = AccessMiddleware { listening().policy }
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        let response: Response
        do {
            response = try await access.handle(request, context: context) { request, _ in try await route(request) }
        } catch {
            response = Self.failure(status: 500, kind: "internal_error", message: "internal error")
        }
        log(request, status: response.status.code, since: started)
        return response
    }

    /// One record: `GET /health 200 0.4ms`, with OpenTelemetry's HTTP attributes; never a header, query or body.
    private func log(_ request: Request, status: Int, since started: ContinuousClock.Instant) {
        let logger = plane.configuration.logger
        guard logger.logLevel <= .info else { return }
        let elapsed = ContinuousClock.now - started
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        let milliseconds = "\(micros / 1_000).\(micros % 1_000 / 100)"
        let method = request.method.rawValue
        let logged = ControlPlane.loggable(request.uri.path)
        logger.info(
            "\(method) \(logged) \(status) \(milliseconds)ms",
            metadata: [
                "http.request.method": "\(method)", "url.path": "\(logged)",
                "http.response.status_code": "\(status)", "http.server.duration_ms": "\(milliseconds)",
            ])
    }

    /// The request's row of the table, its params, its call. A body is read (and must be a JSON object) for every
    /// method that may carry one, before the row decides whether it needs it.
    private func route(_ request: Request) async throws -> Response {
        let path = request.uri.path
        let match = RESTRoute.match(method: request.method.rawValue, path: path)
        var body: JSONValue?
        if Self.mayCarryBody(request.method) {
            var request = request
            let bytes: ByteBuffer
            do {
                bytes = try await request.collectBody(upTo: plane.configuration.maximumBodyBytes)
            } catch {
                return Self.failure(status: 413, kind: "body_too_large", message: "request body too large")
            }
            if let match, match.route.params == .message {
                guard let answer = await plane.dispatcher.handle(text: bytes.readableBytesView) else {
                    return Response(status: .noContent)
                }
                return Self.body(answer, status: match.route.status)
            }
            if bytes.readableBytes > 0 {
                do {
                    body = try JSONValue(parsing: bytes.readableBytesView)
                } catch {
                    return Self.failure(status: 400, kind: "parse_error", message: "the body is not JSON: \(error)")
                }
                guard body?.objectValue != nil else {
                    return Self.failure(status: 400, kind: "invalid_params", message: "the body must be a JSON object")
                }
            }
        }
        if let match, match.route.params == .openAPI {
            return Self.json(RESTRoute.openAPIDocument(methods: plane.dispatcher.table), status: match.route.status)
        }
        guard let match, let method = match.route.rpcMethod else {
            return Self.failure(
                status: 404, kind: "not_found", message: "no route for \(request.method.rawValue) \(path)")
        }
        let params = match.params(query: request.uri.query, body: body)
        if match.route.params == .eventTypes {
            return events(request, types: params?["types"]?.arrayValue?.compactMap(\.stringValue))
        }
        var outcome = await plane.dispatcher.call(method, params: params)
        if method == "health", case .success(let health) = outcome { outcome = .success(augmentHealth(health)) }
        return Self.response(outcome, status: match.route.status)
    }

    private static func mayCarryBody(_ method: HTTPRequest.Method) -> Bool {
        switch method {
        case .post, .put, .patch, .delete: true
        default: false
        }
    }

    /// The anchor's `/health` members on top of the `health` result: `daemon` and `cliVersion`.
    private func augmentHealth(_ health: JSONValue) -> JSONValue {
        var members = health.objectValue ?? [:]
        let listening = listening()
        members["daemon"] = [
            "pid": members["pid"] ?? .null, "port": .integer(Int64(listening.port)),
            "baseUrl": .string(listening.baseURL),
        ]
        members["cliVersion"] = members["version"] ?? .null
        return .object(members)
    }

    /// A result as JSON with the route's status; an RPC error as `{"error","kind"}` with the status of its kind.
    static func response(_ outcome: Result<JSONValue, RPCError>, status: Int = 200) -> Response {
        switch outcome {
        case .success(let result): return json(result, status: status)
        case .failure(let error):
            return failure(status: error.httpStatus, kind: error.kind, message: error.bounded.message)
        }
    }

    static func json(_ value: JSONValue, status: Int) -> Response {
        body(
            (try? value.serializedBytes(.compact))
                ?? Array(#"{"error":"internal error","kind":"internal_error"}"#.utf8), status: status)
    }

    static func body(_ bytes: [UInt8], status: Int) -> Response {
        Response(
            status: .init(code: status), headers: jsonHeaders,
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private static let jsonHeaders: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]

    /// `{"error":<message>,"kind":<kind>}`: the anchor's error shape plus a stable kind.
    static func failure(status: Int, kind: String, message: String) -> Response {
        json(["error": .string(message), "kind": .string(kind)], status: status)
    }
}
