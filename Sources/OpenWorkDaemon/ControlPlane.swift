import HTTPTypes
import Hummingbird
import HummingbirdCore
public import Logging
import NIOCore
public import OpenWorkClient
import OpenWorkJSON
import OpenWorkOperations
public import OpenWorkRPC
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The HTTP control plane: the method table over HTTP on a loopback address, behind ``AccessPolicy``.
///
/// Routes: `POST /rpc` (a request, a notification or a batch, handled by the same ``Dispatcher`` as stdio),
/// `GET /health` (no token), `GET /events` (server-sent events), and the REST routes of ``RESTRoute``, each
/// one call of the same table.
/// Every request is checked before it is routed and logged (method, path, status, duration) when it ends.
/// It does not own the engine and does not stop it: its owner does that.
public struct ControlPlane: Sendable {
    public struct Configuration: Sendable {
        /// The address to bind; only loopback addresses are accepted.
        public var host = "127.0.0.1"
        /// 0 binds a free port, reported to `onRunning`.
        public var port = 0
        /// Origins whose requests are served (exact `scheme://host[:port]` strings); empty refuses every `Origin`.
        public var allowedOrigins: Set<String> = []
        public var token: DaemonToken
        /// Largest accepted request body.
        public var maximumBodyBytes = 16 << 20
        /// Gets one record per request (`GET /health 200 0.4ms`, with OpenTelemetry HTTP attributes); never a secret.
        public var logger = Logger(label: "openwork.daemon")

        public init(token: DaemonToken) {
            self.token = token
        }
    }

    public let configuration: Configuration
    public let dispatcher: Dispatcher
    let streams = EventStreams()

    public init(_ configuration: Configuration, dispatcher: Dispatcher) {
        self.configuration = configuration
        self.dispatcher = dispatcher
    }

    /// Ends every open `GET /events` stream cleanly (a final `shutdown` event, then the end of the body), so a
    /// stop never waits on a client that keeps its stream open.
    public func closeEventStreams() {
        streams.closeAll()
    }

    /// Whether `host` is a loopback address literal or `localhost`; anything else is refused at start.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.") && host.split(separator: ".").count == 4
    }

    /// A request path as it may appear in a log record: control characters and non-ASCII bytes as `%XX` (so a
    /// path can neither forge a record nor send a terminal sequence), at most ``maximumLoggedPath`` bytes, then
    /// `…`. Not reversible: a `%` the client sent stays as it is.
    static func loggable(_ path: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var escaped: [UInt8] = []
        for byte in path.utf8 {
            if escaped.count >= maximumLoggedPath {
                return String(decoding: escaped, as: UTF8.self) + "…"
            }
            if byte < 0x20 || byte >= 0x7f {
                escaped += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]]
            } else {
                escaped.append(byte)
            }
        }
        return String(decoding: escaped, as: UTF8.self)
    }

    static let maximumLoggedPath = 512

    /// Serves until the calling task is cancelled. `onRunning` gets the bound port once the server listens.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        guard Self.isLoopback(configuration.host) else {
            throw DaemonError("refusing to serve on \(configuration.host): the control plane binds loopback only")
        }
        let port = Mutex(configuration.port)
        let responder = ControlPlaneResponder(plane: self, port: { port.withLock { $0 } })
        var logger = Logger(label: "openwork.daemon")
        logger.logLevel = .critical
        let application = Application(
            responder: responder,
            server: HTTPServerBuilder { responder in ControlPlaneChannel(http1: HTTP1Channel(responder: responder)) },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                port.withLock { $0 = bound }
                await onRunning(bound)
            },
            logger: logger
        )
        try await application.run()
    }
}

/// Checks, routes and logs every request.
struct ControlPlaneResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let plane: ControlPlane
    let port: @Sendable () -> Int

    private static let hostField = HTTPField.Name("Host")
    private static let targetField = HTTPField.Name(ControlPlane.requestTargetField)

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        let method = request.method.rawValue
        let path = request.uri.path
        var response: Response
        do {
            response = try await checked(request, method: method, path: path)
        } catch {
            response = Self.failure(status: 500, kind: "internal_error", message: "internal error")
        }
        let elapsed = ContinuousClock.now - started
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        let milliseconds = "\(micros / 1_000).\(String(micros % 1_000 / 100))"
        let logged = ControlPlane.loggable(path)
        plane.configuration.logger.info(
            "\(method) \(logged) \(response.status.code) \(milliseconds)ms",
            metadata: [
                "http.request.method": "\(method)", "url.path": "\(logged)",
                "http.response.status_code": "\(response.status.code)", "http.server.duration_ms": "\(milliseconds)",
            ])
        return response
    }

    private func checked(_ request: Request, method: String, path: String) async throws -> Response {
        let policy = AccessPolicy(
            port: port(), allowedOrigins: plane.configuration.allowedOrigins, token: plane.configuration.token)
        let origin = request.headers[.origin]
        let credentials = AccessPolicy.Credentials(
            method: method, path: path, authority: request.head.authority,
            repeatedHost: Self.hostField.map { request.headers[$0] != nil } ?? false,
            origin: origin, authorization: request.headers[.authorization],
            target: Self.targetField.flatMap { request.headers[$0] })
        if case .refuse(let status, let kind, let message) = policy.verdict(for: credentials) {
            var response = Self.failure(status: status, kind: kind, message: message)
            if status == 401 { response.headers[.wwwAuthenticate] = "Bearer" }
            return response
        }
        var response: Response
        if method == "OPTIONS" {
            response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = "GET, POST, DELETE"
            response.headers[.accessControlAllowHeaders] = "authorization, content-type"
        } else {
            response = try await route(request, method: method, path: path)
        }
        if let origin {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.vary] = "Origin"
        }
        return response
    }

    private func route(_ request: Request, method: String, path: String) async throws -> Response {
        var request = request
        var body: JSONValue?
        if ["POST", "PUT", "PATCH", "DELETE"].contains(method) {
            let bytes: ByteBuffer
            do {
                bytes = try await request.collectBody(upTo: plane.configuration.maximumBodyBytes)
            } catch {
                return Self.failure(status: 413, kind: "body_too_large", message: "request body too large")
            }
            if method == "POST" && path == "/rpc" {
                guard let answer = await plane.dispatcher.handle(text: Array(buffer: bytes)) else {
                    return Response(status: .noContent)
                }
                return Self.body(answer, status: 200)
            }
            if bytes.readableBytes > 0 {
                do {
                    body = try JSONValue(parsing: Array(buffer: bytes))
                } catch {
                    return Self.failure(status: 400, kind: "parse_error", message: "the body is not JSON: \(error)")
                }
                guard body?.objectValue != nil else {
                    return Self.failure(status: 400, kind: "invalid_params", message: "the body must be a JSON object")
                }
            }
        }
        switch RESTRoute.match(method: method, path: path, query: request.uri.query, body: body) {
        case .call(let name, let params):
            var outcome = await self.outcome(name, params)
            if name == "health", case .success(let health) = outcome { outcome = .success(augmentHealth(health)) }
            return Self.response(outcome)
        case .events(let types):
            return await events(request, types: types)
        case .notFound:
            return Self.failure(status: 404, kind: "not_found", message: "no route for \(method) \(path)")
        }
    }

    /// The anchor's `/health` members on top of the `health` result: `daemon` and `cliVersion`.
    private func augmentHealth(_ health: JSONValue) -> JSONValue {
        var members = health.objectValue ?? [:]
        let port = port()
        let host = plane.configuration.host.contains(":") ? "[\(plane.configuration.host)]" : plane.configuration.host
        members["daemon"] = [
            "pid": members["pid"] ?? .null, "port": .integer(Int64(port)), "baseUrl": .string("http://\(host):\(port)"),
        ]
        members["cliVersion"] = members["version"] ?? .null
        return .object(members)
    }

    /// Runs one method of the table.
    func outcome(_ method: String, _ params: JSONValue? = nil) async -> Result<JSONValue, RPCError> {
        let request = RPCRequest(id: 1, method: method, params: params)
        guard let response = await plane.dispatcher.handle(request) else {
            return .failure(.internalError("no answer"))
        }
        return response.outcome
    }

    /// A result as 200 JSON; an RPC error as `{"error","kind"}` with a status from its kind.
    static func response(_ outcome: Result<JSONValue, RPCError>) -> Response {
        switch outcome {
        case .success(let result): return json(result, status: 200)
        case .failure(let error):
            return failure(status: error.httpStatus, kind: error.kind, message: error.bounded.message)
        }
    }

    static func json(_ value: JSONValue, status: Int) -> Response {
        body(Dispatcher.encodeForWire(value), status: status)
    }

    static func body(_ bytes: [UInt8], status: Int) -> Response {
        Response(
            status: .init(code: status),
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `{"error":<message>,"kind":<kind>}`: the anchor's error shape plus a stable kind.
    static func failure(status: Int, kind: String, message: String) -> Response {
        json(["error": .string(message), "kind": .string(kind)], status: status)
    }
}

extension Dispatcher {
    /// Compact JSON for a response body; a value that cannot be encoded becomes an internal error object.
    static func encodeForWire(_ value: JSONValue) -> [UInt8] {
        (try? value.serializedBytes(.compact)) ?? Array(#"{"error":"internal error","kind":"internal_error"}"#.utf8)
    }
}
