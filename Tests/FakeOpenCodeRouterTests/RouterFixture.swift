import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenWorkJSON
import OpenWorkTesting

/// This process's environment without anything an orchestrator or a fake reads, plus `extra`.
func cleanEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
    ProcessInfo.processInfo.environment.filter { key, _ in
        !key.hasPrefix("OPENWORK_") && !key.hasPrefix("FAKE_") && !key.hasPrefix("OPENCODE_") && !key.hasPrefix("OTEL_")
    }.merging(extra) { _, new in new }
}

/// `GET url` on a fresh connection → status and JSON body.
func getJSON(_ url: String, headers: [String: String] = [:]) async throws -> (status: Int, json: JSONValue) {
    var request = HTTPClientRequest(url: url)
    request.headers.add(name: "connection", value: "close")
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
    let body = try await response.body.collect(upTo: 1 << 20)
    return (Int(response.status.code), (try? JSONValue(parsing: Array(buffer: body))) ?? .null)
}

/// A fake opencode with Basic auth, and the router's environment pointing at it.
final class RouterFixture: Sendable {
    let user = "opencode"
    let password = "ocpw-" + UUID().uuidString
    let workspace: TemporaryDirectory
    let opencode: OpenCodeProcess

    init() async throws {
        workspace = try TemporaryDirectory("router-fakes")
        opencode = try await OpenCodeProcess.start(
            executable: FakeOpenCode.path,
            environment: cleanEnvironment(["OPENCODE_SERVER_USERNAME": user, "OPENCODE_SERVER_PASSWORD": password]))
    }

    /// The orchestrator's environment for the router (health port 0), plus `extra`.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        cleanEnvironment(
            [
                "OPENCODE_URL": opencode.baseURL, "OPENCODE_DIRECTORY": workspace.path,
                "OPENCODE_ROUTER_HEALTH_PORT": "0", "OPENCODE_ROUTER_DATA_DIR": workspace.appending("data/ws_1"),
                "OPENCODE_SERVER_USERNAME": user, "OPENCODE_SERVER_PASSWORD": password,
                "FAKE_OPENCODE_ROUTER_INTROSPECTION": "1",
            ].merging(extra) { _, new in new })
    }

    /// `serve <workspace>` as the orchestrator starts it.
    func start(_ extraArguments: [String] = [], environment extra: [String: String] = [:]) async throws -> Router {
        try await Router(arguments: ["serve", workspace.path] + extraArguments, environment: environment(extra))
    }

    func stop() async { await opencode.stop() }
}

/// A running `fake-opencode-router` whose health line has been read.
final class Router: Sendable {
    let process: TestProcess
    let baseURL: String
    let healthLine: String

    static var path: String { BuiltProducts.path(of: "fake-opencode-router") }

    init(arguments: [String], environment: [String: String]) async throws {
        process = try TestProcess(Self.path, arguments, environment: environment)
        let prefix = "opencode-router health on "
        guard let line = try await process.readLine(within: .seconds(60)), line.hasPrefix(prefix) else {
            _ = await process.stop()
            throw TestProcess.Timeout(description: "no health line; stderr: \(process.errorOutput)")
        }
        healthLine = line
        baseURL = String(line.dropFirst(prefix.count))
    }

    func health() async throws -> (status: Int, json: JSONValue) { try await getJSON(baseURL + "/health") }

    func stop() async { _ = await process.stop() }
}
