import Hummingbird
import HummingbirdCore
public import Logging
public import OpenWorkClient
public import OpenWorkJSON
public import OpenWorkRPC
public import ServiceLifecycle
import Synchronization

/// The HTTP control plane: the method table over HTTP on a loopback address, behind ``AccessMiddleware``.
///
/// Every route is a row of ``RESTRoute/table``: `POST /rpc` (a request, a notification or a batch, handled by the
/// same ``Dispatcher`` as stdio), `GET /health` (no token), `GET /events` (server-sent events read straight from
/// the engine's event stream), and the REST routes, each one call of the same method table.
/// Every request is checked before it is routed and logged (method, path, status, duration) when it ends.
/// It does not own the engine and does not stop it: its owner does that. As a ``Service`` it serves until its
/// group shuts down gracefully, which ends every open event stream after a final `shutdown` event.
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
        /// A new subscription to the engine's events (`{"type":…,"time":…,…}`), one for each `GET /events`; without
        /// it `GET /events` answers as `events.subscribe` does with no engine.
        public var events: (@Sendable () -> AsyncStream<JSONValue>)?
        /// Gets the bound port once the server listens, when it runs as a ``Service``.
        public var onRunning: @Sendable (Int) async -> Void = { _ in }

        public init(token: DaemonToken) {
            self.token = token
        }
    }

    public let configuration: Configuration
    public let dispatcher: Dispatcher

    public init(_ configuration: Configuration, dispatcher: Dispatcher) {
        self.configuration = configuration
        self.dispatcher = dispatcher
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

    /// Serves until the calling task is cancelled or its service group shuts down. `onRunning` gets the bound port
    /// once the server listens.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        guard Self.isLoopback(configuration.host) else {
            throw DaemonError("refusing to serve on \(configuration.host): the control plane binds loopback only")
        }
        let listening = Mutex(Listening(configuration, port: configuration.port))
        let responder = ControlPlaneResponder(plane: self) { listening.withLock { $0 } }
        var logger = Logger(label: "openwork.daemon")
        logger.logLevel = .critical
        let configuration = configuration
        let application = Application(
            responder: responder,
            server: HTTPServerBuilder { responder in ControlPlaneChannel(http1: HTTP1Channel(responder: responder)) },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                listening.withLock { $0 = Listening(configuration, port: bound) }
                await onRunning(bound)
            },
            logger: logger
        )
        try await application.run()
    }
}

extension ControlPlane: Service {
    /// Serves until the group shuts down; the bound port goes to ``Configuration/onRunning``.
    public func run() async throws {
        try await run(onRunning: configuration.onRunning)
    }
}

/// What the responder needs to know about the socket it serves, set once the server listens (shared, so a request
/// reads it with one retain).
final class Listening: Sendable {
    let port: Int
    let policy: AccessPolicy
    /// `http://127.0.0.1:PORT` (an IPv6 host in brackets).
    let baseURL: String

    init(_ configuration: ControlPlane.Configuration, port: Int) {
        self.port = port
        policy = AccessPolicy(port: port, allowedOrigins: configuration.allowedOrigins, token: configuration.token)
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        baseURL = "http://\(host):\(port)"
    }
}
