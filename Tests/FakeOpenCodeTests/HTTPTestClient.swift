import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenWorkJSON

/// Basic-auth credentials as opencode expects them.
struct Credentials: Sendable {
    var user: String
    var password: String

    /// `base64(user:password)`: the header's value after `Basic `, and what `?auth_token=` takes.
    var token: String { Data("\(user):\(password)".utf8).base64EncodedString() }
}

/// A response with everything read: status, headers, body.
struct TestResponse: Sendable {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    func json() throws -> JSONValue { try JSONValue(parsing: body) }
}

/// A small HTTP client over AsyncHTTPClient: whole responses with a deadline, and event streams.
///
/// The only file of the tests that touches NIO types.
struct HTTPTestClient: Sendable {
    let baseURL: String
    var credentials: Credentials?

    /// Sends a request; the deadline covers the whole response, body included.
    func send(
        _ method: String,
        _ target: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil,
        authenticate: Bool = true,
        within deadline: Duration = .seconds(30)
    ) async throws -> TestResponse {
        let request = makeRequest(method, target, headers: headers, body: body, authenticate: authenticate)
        let timeout = TimeAmount.nanoseconds(Self.nanoseconds(deadline))
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let buffer = try await response.body.collect(upTo: 16 << 20)
        return TestResponse(
            status: Int(response.status.code),
            headers: response.headers.map { ($0.name, $0.value) },
            body: Array(buffer: buffer)
        )
    }

    func get(_ target: String, headers: [(String, String)] = [], authenticate: Bool = true) async throws -> TestResponse
    {
        try await send("GET", target, headers: headers, authenticate: authenticate)
    }

    func post(_ target: String, json: JSONValue? = nil, headers: [(String, String)] = []) async throws -> TestResponse {
        var headers = headers
        if json != nil { headers.append(("content-type", "application/json")) }
        return try await send("POST", target, headers: headers, body: try json?.serializedBytes())
    }

    /// The response's JSON, after checking its status.
    func json(_ method: String, _ target: String, body: JSONValue? = nil, expecting status: Int = 200) async throws
        -> JSONValue
    {
        let headers: [(String, String)] = body == nil ? [] : [("content-type", "application/json")]
        let response = try await send(method, target, headers: headers, body: try body?.serializedBytes())
        guard response.status == status else {
            throw UnexpectedResponse(
                description: "\(method) \(target): status \(response.status), body \(response.text)")
        }
        return try response.json()
    }

    /// Opens an event stream; throws unless the answer is 200 `text/event-stream`.
    func events(_ target: String, headers: [(String, String)] = [], within deadline: Duration = .seconds(30))
        async throws -> EventStreamReader
    {
        let request = makeRequest("GET", target, headers: headers, body: nil, authenticate: true)
        let timeout = TimeAmount.nanoseconds(Self.nanoseconds(deadline))
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let contentType = response.headers.first(name: "content-type") ?? ""
        guard response.status.code == 200, contentType.hasPrefix("text/event-stream") else {
            let body = try await response.body.collect(upTo: 1 << 20)
            throw UnexpectedResponse(
                description: "GET \(target): status \(response.status.code), content-type \(contentType), "
                    + "body \(String(buffer: body))"
            )
        }
        return EventStreamReader { sink in
            for try await chunk in response.body { sink(Array(buffer: chunk)) }
        }
    }

    private func makeRequest(
        _ method: String,
        _ target: String,
        headers: [(String, String)],
        body: [UInt8]?,
        authenticate: Bool
    ) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + target)
        request.method = HTTPMethod(rawValue: method)
        // One connection per request: successive servers often get the same port (4096), and a pooled
        // keep-alive connection to a server that has since been stopped would fail the next request.
        request.headers.add(name: "connection", value: "close")
        if authenticate, let credentials {
            request.headers.add(name: "authorization", value: "Basic \(credentials.token)")
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        return request
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let components = duration.components
        return components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

struct UnexpectedResponse: Error, CustomStringConvertible {
    var description: String
}
