import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenWorkClient
import OpenWorkDaemon
import OpenWorkJSON
import Synchronization
import Testing

/// ``AccessMiddleware`` in process, with no socket: a request value in, the answer (or the call of what is behind
/// it) out.
@Suite("access middleware")
struct AccessMiddlewareTests {
    private let token = DaemonToken.generate()
    private let port = 4242

    private func check(
        _ method: HTTPRequest.Method = .get, _ path: String = "/workspaces", host: String? = "127.0.0.1:4242",
        _ fields: HTTPFields = [:], origins: Set<String> = []
    ) async throws -> (response: Response, passed: Bool) {
        let middleware = AccessMiddleware<TestContext>(
            AccessPolicy(port: port, allowedOrigins: origins, token: token))
        let request = Request(
            head: HTTPRequest(method: method, scheme: nil, authority: host, path: path, headerFields: fields),
            body: RequestBody(buffer: ByteBuffer()))
        let passed = Mutex(false)
        let response = try await middleware.handle(request, context: TestContext(source: .init())) { _, _ in
            passed.withLock { $0 = true }
            return Response(status: .ok)
        }
        return (response, passed.withLock { $0 })
    }

    private var bearer: HTTPFields { [.authorization: "Bearer \(token.value)"] }

    private static func kind(_ response: Response) async throws -> String? {
        let collector = BodyCollector()
        try await response.body.write(collector)
        return try JSONValue(parsing: Array(buffer: collector.bytes.withLock { $0 }))["kind"]?.stringValue
    }

    @Test("a request with the token and a Host naming this server passes; what is behind answers it")
    func allowed() async throws {
        for host in ["127.0.0.1:4242", "localhost:4242", "LocalHost:4242", "[::1]:4242"] {
            let checked = try await check(host: host, bearer)
            #expect(checked.passed, "\(host)")
            #expect(checked.response.status == .ok)
        }
        #expect(try await check(.get, "/health").passed, "GET /health needs no token")
    }

    @Test(
        "a foreign, missing or repeated Host is 421 and nothing behind runs",
        arguments: [
            "evil.example:4242", "127.0.0.1", "127.0.0.1:4243", "127.0.0.1:04242", "127.0.0.2:4242", "localhost.:4242",
        ])
    func hostRefused(host: String) async throws {
        let checked = try await check(host: host, bearer)
        #expect(!checked.passed)
        #expect(checked.response.status.code == 421)
        #expect(try await Self.kind(checked.response) == "host_not_allowed")
    }

    @Test("no Host, a second Host or a foreign absolute-form target is 421, even on GET /health")
    func hostVariantsRefused() async throws {
        #expect(try await check(.get, "/health", host: nil).response.status.code == 421)
        var repeated = bearer
        repeated.append(HTTPField(name: try #require(HTTPField.Name("Host")), value: "evil.example"))
        #expect(try await check(host: "127.0.0.1:4242", repeated).response.status.code == 421)
        let target = try #require(HTTPField.Name("X-OpenWork-Request-Target"))
        for (value, status) in [
            ("http://evil.example/health", 421), ("http://user@127.0.0.1:4242/health", 421),
            ("http://LOCALHOST:4242/health", 200),
        ] {
            let checked = try await check(.get, "/health", [target: value])
            #expect(checked.response.status.code == status, "\(value)")
        }
    }

    @Test("a missing, wrong or non-Bearer token is 401 with WWW-Authenticate; the scheme's case does not matter")
    func tokenRequired() async throws {
        for authorization in [
            nil, "Bearer", "Bearer ", "Basic \(token.value)", "Bearer \(token.value)x", "Bearer\t\(token.value)",
        ] {
            let fields: HTTPFields = authorization.map { [.authorization: $0] } ?? [:]
            let checked = try await check(.post, "/rpc", fields)
            #expect(!checked.passed, "\(authorization ?? "no header")")
            #expect(checked.response.status.code == 401)
            #expect(checked.response.headers[.wwwAuthenticate] == "Bearer")
            #expect(try await Self.kind(checked.response) == "unauthorized")
        }
        #expect(try await check(.post, "/rpc", [.authorization: "bEARER \(token.value)"]).passed)
    }

    @Test("an Origin outside the allow-list is 403; an allowed one is echoed and may preflight without a token")
    func origins() async throws {
        let origins: Set = ["http://app.local:1420"]
        var foreign = bearer
        foreign[.origin] = "http://evil.example"
        let refused = try await check(.get, "/workspaces", foreign, origins: origins)
        #expect(refused.response.status.code == 403)
        #expect(try await Self.kind(refused.response) == "origin_not_allowed")

        var allowed = bearer
        allowed[.origin] = "http://app.local:1420"
        let served = try await check(.get, "/workspaces", allowed, origins: origins)
        #expect(served.passed)
        #expect(served.response.headers[.accessControlAllowOrigin] == "http://app.local:1420")
        #expect(served.response.headers[.vary] == "Origin")

        let preflight = try await check(.options, "/rpc", [.origin: "http://app.local:1420"], origins: origins)
        #expect(!preflight.passed, "a preflight is answered at the door")
        #expect(preflight.response.status == .noContent)
        #expect(preflight.response.headers[.accessControlAllowMethods] == "GET, POST, DELETE")
        #expect(try await check(.options, "/rpc").response.status.code == 401, "no Origin: not a preflight")
    }
}

/// A request context that needs no channel.
private struct TestContext: RequestContext {
    struct Source: RequestContextSource {
        var logger = Logger(label: "test")
    }

    var coreContext: CoreRequestContextStorage

    init(source: Source) {
        coreContext = .init(source: source)
    }
}

/// Keeps what a response body writes.
private final class BodyCollector: ResponseBodyWriter, Sendable {
    let bytes = Mutex(ByteBuffer())

    func write(_ buffer: ByteBuffer) async throws {
        _ = bytes.withLock { $0.writeImmutableBuffer(buffer) }
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
