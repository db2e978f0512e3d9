import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import OpenWorkJSON

/// Asks opencode's `GET /global/health` (with the Basic credentials, 2 s deadline) whether it is healthy.
struct OpenCodeProbe: Sendable {
    let options: RouterOptions
    let http: HTTPClient

    struct Answer: Sendable {
        var healthy: Bool
        var version: String?
    }

    init(options: RouterOptions) {
        self.options = options
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(2), read: .seconds(2))
        configuration.redirectConfiguration = .disallow
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Healthy: a 200 whose JSON says `healthy: true`. Unreachable, refused credentials or anything else: not.
    func check() async -> Answer {
        var base = options.opencodeURL
        while base.hasSuffix("/") { base.removeLast() }
        var request = HTTPClientRequest(url: base + "/global/health")
        if let authorization = options.authorization {
            request.headers.add(name: "Authorization", value: authorization)
        }
        guard let response = try? await http.execute(request, timeout: .seconds(2)), response.status == .ok,
            let body = try? await response.body.collect(upTo: 1 << 20),
            let json = try? JSONValue(parsing: Array(buffer: body))
        else { return Answer(healthy: false) }
        return Answer(healthy: json["healthy"] == true, version: json["version"]?.stringValue)
    }
}
