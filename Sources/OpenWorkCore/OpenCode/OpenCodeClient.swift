public import AsyncHTTPClient
import Foundation
import NIOCore
public import NIOHTTP1
public import OpenWorkJSON
import OpenWorkSystem

/// Where an opencode server is and how to authenticate to it (Basic auth), as the supervisor hands it out.
public typealias OpenCodeEndpoint = ServiceEndpoint

/// The opencode V1 wire format: routes, Basic auth, `directory` routing, error shapes. The only code that
/// builds opencode URLs.
///
/// Every call has a deadline. It does not retry: callers decide (``Engine`` waits for the supervisor).
public final class OpenCodeClient: Sendable {
    private let http: HTTPClient

    public init(http: HTTPClient) {
        self.http = http
    }

    /// An HTTP client configured for talking to local opencode servers (short connect timeout, no redirects).
    public static func makeHTTPClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(2), read: .seconds(30))
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// A failed call: the server could not be reached in time, or answered with an error.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var status: Int?
        public var message: String
        public var body: JSONValue?
        public var description: String { status.map { "HTTP \($0): \(message)" } ?? message }
    }

    /// `GET /global/health` → `{"healthy":true,"version":…}`.
    public func health(_ endpoint: OpenCodeEndpoint, timeout: Duration) async throws(Failure) -> JSONValue {
        try await call(endpoint, .GET, "/global/health", timeout: timeout)
    }

    /// `GET /path?directory=…` → `{home, state, config, worktree, directory}`.
    public func path(_ endpoint: OpenCodeEndpoint, directory: String, timeout: Duration) async throws(Failure)
        -> JSONValue
    {
        try await call(endpoint, .GET, "/path", directory: directory, timeout: timeout)
    }

    /// `POST /instance/dispose?directory=…` → `true`.
    public func disposeInstance(_ endpoint: OpenCodeEndpoint, directory: String, timeout: Duration)
        async throws(Failure) -> Bool
    {
        try await call(endpoint, .POST, "/instance/dispose", directory: directory, timeout: timeout) == .bool(true)
    }

    /// `GET /session/status?directory=…` → `{sessionID: {type: "busy"|"retry"|…}}` for the sessions that are not
    /// idle (`{}` when none).
    public func sessionStatus(_ endpoint: OpenCodeEndpoint, directory: String, timeout: Duration)
        async throws(Failure) -> JSONValue
    {
        try await call(endpoint, .GET, "/session/status", directory: directory, timeout: timeout)
    }

    /// Any V1 route, for callers that need one not wrapped above.
    public func call(
        _ endpoint: OpenCodeEndpoint,
        _ method: HTTPMethod,
        _ route: String,
        directory: String? = nil,
        body: JSONValue? = nil,
        timeout: Duration
    ) async throws(Failure) -> JSONValue {
        var request = HTTPClientRequest(url: Self.url(endpoint.baseURL, route, directory: directory))
        request.method = method
        if let username = endpoint.username ?? (endpoint.password == nil ? nil : "opencode"),
            let password = endpoint.password
        {
            request.headers.add(
                name: "Authorization", value: Self.basicAuthorization(username: username, password: password))
        }
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            guard let bytes = try? body.serializedBytes() else {
                throw Failure(message: "the request body cannot be encoded")
            }
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: bytes))
        }
        let deadline = NIODeadline.now() + .nanoseconds(max(1, timeout.nanoseconds))
        do {
            let response = try await http.execute(request, deadline: deadline)
            var buffer = try await response.body.collect(upTo: 16 << 20)
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            let json = bytes.isEmpty ? nil : try? JSONValue(parsing: bytes)
            guard (200..<300).contains(Int(response.status.code)) else {
                let message =
                    json?["data"]?["message"]?.stringValue ?? json?["name"]?.stringValue ?? response.status.reasonPhrase
                throw Failure(status: Int(response.status.code), message: message, body: json)
            }
            guard let json else {
                throw Failure(status: Int(response.status.code), message: "the response is not JSON")
            }
            return json
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(message: "\(method) \(route) failed: \(Self.describe(error))")
        }
    }

    /// Opens an event stream (`/event` of `directory`, or `/global/event`) and yields its JSON payloads until it
    /// ends, fails or the consumer stops. Throws when it cannot be opened (not 200 within `timeout`).
    public func events(_ endpoint: OpenCodeEndpoint, _ route: String, directory: String? = nil, timeout: Duration)
        async throws(Failure) -> AsyncThrowingStream<JSONValue, any Error>
    {
        var request = HTTPClientRequest(url: Self.url(endpoint.baseURL, route, directory: directory))
        if let password = endpoint.password {
            request.headers.add(
                name: "Authorization",
                value: Self.basicAuthorization(username: endpoint.username ?? "opencode", password: password))
        }
        request.headers.add(name: "Accept", value: "text/event-stream")
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .nanoseconds(max(1, timeout.nanoseconds)))
        } catch {
            throw Failure(message: "GET \(route) failed: \(Self.describe(error))")
        }
        guard response.status == .ok else {
            throw Failure(status: Int(response.status.code), message: "GET \(route): \(response.status)")
        }
        let (stream, continuation) = AsyncThrowingStream<JSONValue, any Error>.makeStream()
        let reader = Task {
            var parser = ServerSentEventParser()
            do {
                for try await chunk in response.body {
                    for event in parser.feed(chunk.readableBytesView) { continuation.yield(event) }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in reader.cancel() }
        return stream
    }

    /// `base + route + ?directory=<percent-encoded>`.
    static func url(_ base: String, _ route: String, directory: String?) -> String {
        var url = base.hasSuffix("/") ? String(base.dropLast()) : base
        url += route
        if let directory {
            url += "?directory=" + percentEncode(directory)
        }
        return url
    }

    static func percentEncode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    static func basicAuthorization(username: String, password: String) -> String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }

    /// A transport error for people. NIO's `IOError` describes a refused connection as
    /// `connection reset (error set): Connection refused) (errno: 111)`; this says `connection refused`.
    public static func describe(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded: return "no answer before the deadline"
            case .readTimeout: return "the connection stalled"
            case .connectTimeout: return "could not connect in time"
            default: return "\(error)"
            }
        }
        return "\(error)"
    }
}
