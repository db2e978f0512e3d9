import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import OpenWorkJSON

/// `/opencode/*`: the request goes to opencode with the path after `/opencode` and the same query, its Basic
/// credentials in place of the client's `Authorization` (the host token and `Origin` are dropped too), and
/// `x-opencode-directory` unless the client sent one; the answer streams back as it arrives, event streams
/// included. A GET's answer is cancelled as soon as the client goes away, which closes the upstream
/// connection too.
struct OpenCodeProxy: Sendable {
    let state: ServerState

    static let droppedRequestHeaders: Set<String> = [
        "authorization", "x-openwork-host-token", "x-openwork-client-id", "origin", "host", "connection",
        "content-length", "transfer-encoding", "keep-alive", "te", "upgrade", "expect",
    ]
    static let droppedResponseHeaders: Set<String> = [
        "connection", "content-length", "transfer-encoding", "keep-alive",
    ]

    func forward(_ request: Request) async -> Response {
        let rest = String(request.uri.path.dropFirst("/opencode".count))
        let target = (rest.isEmpty ? "/" : rest) + (request.uri.query.map { "?" + $0 } ?? "")
        guard let url = state.options.opencode.url(target) else {
            return Reply.error(400, "opencode_unconfigured", "OpenCode base URL is missing for this workspace")
        }
        var upstream = HTTPClientRequest(url: url)
        upstream.method = HTTPMethod(rawValue: request.method.rawValue)
        for field in request.headers where !Self.droppedRequestHeaders.contains(field.name.canonicalName) {
            upstream.headers.add(name: field.name.canonicalName, value: field.value)
        }
        if let authorization = state.options.opencode.authorization {
            upstream.headers.add(name: "Authorization", value: authorization)
        }
        if let directory = state.opencodeDirectory, !upstream.headers.contains(name: "x-opencode-directory") {
            upstream.headers.add(name: "x-opencode-directory", value: directory)
        }
        let watchesClient = request.method == .get || request.method == .head
        if !watchesClient {
            do {
                upstream.body = .bytes(try await request.body.collect(upTo: 16 << 20))
            } catch {
                return Reply.error(413, "payload_too_large", "the request body is over 16 MiB")
            }
        }
        let response: HTTPClientResponse
        do {
            response = try await state.http.execute(upstream, timeout: .seconds(60))
        } catch {
            return Reply.error(
                502, "opencode_unreachable", "OpenCode is not reachable", details: ["error": .string("\(error)")])
        }
        var headers = HTTPFields()
        for (name, value) in response.headers where !Self.droppedResponseHeaders.contains(name.lowercased()) {
            if let fieldName = HTTPField.Name(name) { headers.append(HTTPField(name: fieldName, value: value)) }
        }
        let body = ResponseBody { writer in
            if watchesClient {
                try await request.body.consumeWithCancellationOnInboundClose { _ in
                    for try await chunk in response.body { try await writer.write(chunk) }
                }
            } else {
                for try await chunk in response.body { try await writer.write(chunk) }
            }
            try await writer.finish(nil)
        }
        return Response(status: .init(code: Int(response.status.code)), headers: headers, body: body)
    }
}
