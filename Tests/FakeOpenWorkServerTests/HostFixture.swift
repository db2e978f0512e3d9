import Foundation
import NIOHTTP1
import OpenWorkJSON
import OpenWorkTesting

/// Fresh random credentials, as the orchestrator makes them.
struct HostSecrets: Sendable {
    var collaborator = "collab-" + UUID().uuidString
    var host = "host-" + UUID().uuidString
    var opencodeUser = "opencode"
    var opencodePassword = "ocpw-" + UUID().uuidString
}

/// This process's environment without anything an orchestrator or a fake reads, plus `extra`.
func cleanEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
    ProcessInfo.processInfo.environment.filter { key, _ in
        !key.hasPrefix("OPENWORK_") && !key.hasPrefix("FAKE_") && !key.hasPrefix("OPENCODE_") && !key.hasPrefix("OTEL_")
    }.merging(extra) { _, new in new }
}

/// A `fake-opencode` with Basic auth and introspection on: the opencode behind the server.
func startOpenCode(_ secrets: HostSecrets, knobs: [String: String] = [:]) async throws -> OpenCodeProcess {
    try await OpenCodeProcess.start(
        executable: FakeOpenCode.path,
        environment: cleanEnvironment(
            [
                "OPENCODE_SERVER_USERNAME": secrets.opencodeUser, "OPENCODE_SERVER_PASSWORD": secrets.opencodePassword,
                "FAKE_OPENCODE_INTROSPECTION": "1",
            ].merging(knobs) { _, new in new }))
}

/// A running `fake-openwork-server` whose listening line has been read.
final class OpenWorkServer: Sendable {
    let process: TestProcess
    let baseURL: String
    let listeningLine: String

    static var path: String { BuiltProducts.path(of: "fake-openwork-server") }

    /// The argv the orchestrator passes (pretty logs, manual approvals with a 10-minute timeout), plus `extra`.
    static func anchorArguments(workspace: String, opencodeURL: String, _ extra: [String] = []) -> [String] {
        [
            "--host", "127.0.0.1", "--port", "0", "--workspace", workspace, "--approval", "manual",
            "--approval-timeout", "600000", "--opencode-base-url", opencodeURL, "--opencode-directory", workspace,
            "--log-format", "pretty",
        ] + extra
    }

    /// The environment the orchestrator sets, with introspection on, plus `extra`.
    static func anchorEnvironment(
        _ secrets: HostSecrets, opencodeURL: String, workspace: String, _ extra: [String: String] = [:]
    )
        -> [String: String]
    {
        cleanEnvironment(
            [
                "OPENWORK_TOKEN": secrets.collaborator, "OPENWORK_HOST_TOKEN": secrets.host,
                "OPENWORK_OPENCODE_BASE_URL": opencodeURL, "OPENWORK_OPENCODE_DIRECTORY": workspace,
                "OPENWORK_OPENCODE_USERNAME": secrets.opencodeUser,
                "OPENWORK_OPENCODE_PASSWORD": secrets.opencodePassword, "OPENWORK_RUN_ID": "run-test",
                "OPENWORK_LOG_FORMAT": "pretty",
                "OTEL_RESOURCE_ATTRIBUTES": "service.name=openwork-server,service.instance.id=run-test",
                "FAKE_OPENWORK_INTROSPECTION": "1",
            ].merging(extra) { _, new in new })
    }

    /// Starts the fake and waits for `OpenWork server listening on http://…`.
    init(arguments: [String], environment: [String: String]) async throws {
        process = try TestProcess(Self.path, arguments, environment: environment)
        let prefix = "OpenWork server listening on "
        guard let line = try await process.readLine(within: .seconds(60)), line.hasPrefix(prefix) else {
            _ = await process.stop()
            throw TestProcess.Timeout(description: "no listening line; stderr: \(process.errorOutput)")
        }
        listeningLine = line
        baseURL = String(line.dropFirst(prefix.count))
    }

    func get(_ path: String, headers: [String: String] = [:]) async throws -> Answer {
        try await HostHTTP.send(.GET, baseURL + path, headers: headers)
    }

    func state() async throws -> JSONValue { try await get("/__fake/state").json }

    func stop() async { _ = await process.stop() }
}

/// A fake opencode, a workspace, and a fake OpenWork server started in front of them as the orchestrator
/// starts it.
final class HostFixture: Sendable {
    let secrets: HostSecrets
    let workspace: TemporaryDirectory
    let opencode: OpenCodeProcess
    let server: OpenWorkServer

    init(
        arguments extraArguments: [String] = [], environment extraEnvironment: [String: String] = [:],
        opencodeKnobs: [String: String] = [:]
    ) async throws {
        let secrets = HostSecrets()
        self.secrets = secrets
        workspace = try TemporaryDirectory("host-fakes")
        opencode = try await startOpenCode(secrets, knobs: opencodeKnobs)
        do {
            server = try await OpenWorkServer(
                arguments: OpenWorkServer.anchorArguments(
                    workspace: workspace.path, opencodeURL: opencode.baseURL, extraArguments),
                environment: OpenWorkServer.anchorEnvironment(
                    secrets, opencodeURL: opencode.baseURL, workspace: workspace.path, extraEnvironment))
        } catch {
            await opencode.stop()
            throw error
        }
    }

    var client: [String: String] { HostHTTP.bearer(secrets.collaborator) }
    var host: [String: String] { ["X-OpenWork-Host-Token": secrets.host] }
    var opencodeAuth: [String: String] { HostHTTP.basic(secrets.opencodeUser, secrets.opencodePassword) }

    /// `GET /workspaces`' one item.
    func workspaceItem() async throws -> JSONValue {
        try await server.get("/workspaces", headers: client).json["items"]?[0] ?? .null
    }

    func stop() async {
        await server.stop()
        await opencode.stop()
    }
}
