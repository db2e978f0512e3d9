import Foundation
import NIOHTTP1
import OpenWorkJSON
import OpenWorkTesting
import Testing

/// The routes host mode uses, and their auth rules, against a fake opencode.
@Suite("fake-openwork-server routes", .timeLimit(.minutes(3)))
struct OpenWorkServerRouteTests {
    @Test("GET /health needs no auth and reports the server's and opencode's versions")
    func health() async throws {
        let fixture = try await HostFixture()
        let opencodeHealth = try await HostHTTP.send(
            .GET, fixture.opencode.baseURL + "/global/health", headers: fixture.opencodeAuth)
        let health = try await fixture.server.get("/health")
        #expect(health.status == 200)
        #expect(health.json["ok"] == true)
        #expect(health.json["version"] == "0.11.165")
        #expect(health.json["opencodeVersion"] == opencodeHealth.json["version"])
        #expect(health.json["opencodeVersion"]?.stringValue != nil)
        #expect(health.json["uptimeMs"]?.int64Value.map { $0 >= 0 } == true)
        await fixture.stop()
    }

    @Test("opencodeVersion is null when opencode refuses the credentials or cannot be reached")
    func healthWithoutOpenCode() async throws {
        let wrong = try await HostFixture(environment: ["OPENWORK_OPENCODE_PASSWORD": "not-the-password"])
        let refused = try await wrong.server.get("/health")
        #expect(refused.status == 200)
        #expect(refused.json["opencodeVersion"] == .null)
        await wrong.stop()

        let secrets = HostSecrets()
        let workspace = try TemporaryDirectory("host-fakes")
        let nowhere = "http://127.0.0.1:\(try LoopbackPort.closed())"
        let server = try await OpenWorkServer(
            arguments: OpenWorkServer.anchorArguments(workspace: workspace.path, opencodeURL: nowhere),
            environment: OpenWorkServer.anchorEnvironment(secrets, opencodeURL: nowhere, workspace: workspace.path))
        let unreachable = try await server.get("/health")
        #expect(unreachable.status == 200)
        #expect(unreachable.json["ok"] == true)
        #expect(unreachable.json["opencodeVersion"] == .null)
        await server.stop()
    }

    @Test("GET /workspaces: the collaborator token only; one item with what the server was given")
    func workspaces() async throws {
        let fixture = try await HostFixture()
        let server = fixture.server
        #expect(try await server.get("/workspaces").status == 401)
        let wrong = try await server.get("/workspaces", headers: HostHTTP.bearer("nope"))
        #expect(wrong.status == 401)
        #expect(wrong.json["code"] == "unauthorized")
        #expect(
            try await server.get("/workspaces", headers: fixture.host).status == 401,
            "the host token is not client auth")
        #expect(try await server.get("/workspaces", headers: HostHTTP.bearer(fixture.secrets.host)).status == 401)

        let answer = try await server.get("/workspaces", headers: fixture.client)
        #expect(answer.status == 200)
        let items = answer.json["items"]?.arrayValue ?? []
        #expect(items.count == 1)
        let item = items.first ?? .null
        #expect(answer.json["activeId"] == item["id"])
        #expect(item["path"] == .string(fixture.workspace.path))
        #expect(
            item["opencode"] == [
                "baseUrl": .string(fixture.opencode.baseURL), "directory": .string(fixture.workspace.path),
                "username": .string(fixture.secrets.opencodeUser),
                "password": .string(fixture.secrets.opencodePassword),
            ])
        let id = item["id"]?.stringValue ?? ""
        #expect(id.hasPrefix("ws_") && id.count == 15 && id.dropFirst(3).allSatisfy(\.isHexDigit))
        #expect(try await fixture.workspaceItem()["id"] == item["id"], "stable")
        await fixture.stop()
    }

    @Test("the workspace id depends on the path only")
    func workspaceIdentity() async throws {
        let first = try await HostFixture()
        let secrets = HostSecrets()
        let samePath = try await OpenWorkServer(
            arguments: ["--port", "0", "--workspace", first.workspace.path + "/"],
            environment: cleanEnvironment(["OPENWORK_TOKEN": secrets.collaborator, "OPENWORK_HOST_TOKEN": secrets.host])
        )
        let other = try TemporaryDirectory("host-fakes")
        let otherPath = try await OpenWorkServer(
            arguments: ["--port", "0", "--workspace", other.path],
            environment: cleanEnvironment(["OPENWORK_TOKEN": secrets.collaborator, "OPENWORK_HOST_TOKEN": secrets.host])
        )
        let id = try await first.workspaceItem()["id"]
        let same = try await samePath.get("/workspaces", headers: HostHTTP.bearer(secrets.collaborator)).json
        let different = try await otherPath.get("/workspaces", headers: HostHTTP.bearer(secrets.collaborator)).json
        #expect(same["items"]?[0]?["id"] == id)
        #expect(same["items"]?[0]?["path"] == .string(first.workspace.path), "trailing slash removed")
        #expect(different["items"]?[0]?["id"] != id)
        await samePath.stop()
        await otherPath.stop()
        await first.stop()
    }

    @Test("POST /tokens: host auth; a fresh token per call; scopes checked; minted tokens authenticate")
    func tokens() async throws {
        let fixture = try await HostFixture()
        let url = fixture.server.baseURL + "/tokens"
        let owner: JSONValue = ["scope": "owner", "label": "OpenWork owner token"]
        #expect(try await HostHTTP.send(.POST, url, json: owner).status == 401)
        #expect(try await HostHTTP.send(.POST, url, headers: fixture.client, json: owner).status == 401)
        let badScope = try await HostHTTP.send(.POST, url, headers: fixture.host, json: ["scope": "admin"])
        #expect(badScope.status == 400)
        #expect(badScope.json["code"] == "invalid_scope")
        #expect(try await HostHTTP.send(.POST, url, headers: fixture.host, json: [:]).status == 400)

        let minted = try await HostHTTP.send(.POST, url, headers: fixture.host, json: owner)
        #expect(minted.status == 201)
        #expect(minted.json["scope"] == "owner")
        #expect(minted.json["label"] == "OpenWork owner token")
        let token = minted.json["token"]?.stringValue ?? ""
        #expect(!token.isEmpty && token != fixture.secrets.collaborator && token != fixture.secrets.host)
        let viewer = try await HostHTTP.send(.POST, url, headers: fixture.host, json: ["scope": "viewer"])
        #expect(viewer.json["label"] == .null)
        let viewerToken = viewer.json["token"]?.stringValue ?? ""
        #expect(viewerToken != token)

        let server = fixture.server
        #expect(try await server.get("/workspaces", headers: HostHTTP.bearer(token)).status == 200)
        #expect(try await server.get("/approvals", headers: HostHTTP.bearer(token)).status == 200, "owner is host auth")
        #expect(try await server.get("/workspaces", headers: HostHTTP.bearer(viewerToken)).status == 200)
        #expect(try await server.get("/approvals", headers: HostHTTP.bearer(viewerToken)).status == 401)
        #expect(try await server.state()["tokensMinted"] == 2)
        await fixture.stop()
    }

    @Test("GET /workspace/:id/config: opencode's config for the directory and .opencode/openwork.json")
    func workspaceConfig() async throws {
        let fixture = try await HostFixture()
        try #"{"model": "fake/model-from-workspace"}"#.write(
            toFile: fixture.workspace.appending("opencode.json"), atomically: true, encoding: .utf8)
        let id = try await fixture.workspaceItem()["id"]?.stringValue ?? ""
        let direct = try await HostHTTP.send(
            .GET, fixture.opencode.baseURL + "/config?directory=" + fixture.workspace.path,
            headers: fixture.opencodeAuth)
        #expect(direct.json["model"] == "fake/model-from-workspace")

        #expect(try await fixture.server.get("/workspace/\(id)/config").status == 401)
        let empty = try await fixture.server.get("/workspace/\(id)/config", headers: fixture.client)
        #expect(empty.status == 200)
        #expect(empty.json["workspaceId"] == .string(id))
        #expect(empty.json["path"] == .string(fixture.workspace.path))
        #expect(empty.json["opencode"] == direct.json)
        #expect(empty.json["openwork"] == [:])

        try fixture.workspace.makeDirectories(".opencode")
        let openworkFile = fixture.workspace.appending(".opencode/openwork.json")
        try #"{"version": 1, "authorizedRoots": ["/tmp"]}"#.write(
            toFile: openworkFile, atomically: true, encoding: .utf8)
        let filled = try await fixture.server.get("/workspace/\(id)/config", headers: fixture.client)
        #expect(filled.json["openwork"] == ["version": 1, "authorizedRoots": ["/tmp"]])
        try "{not json".write(toFile: openworkFile, atomically: true, encoding: .utf8)
        #expect(try await fixture.server.get("/workspace/\(id)/config", headers: fixture.client).status == 500)

        let unknown = try await fixture.server.get("/workspace/ws_000000000000/config", headers: fixture.client)
        #expect(unknown.status == 404)
        #expect(unknown.json["code"] == "workspace_not_found")
        await fixture.stop()
    }

    @Test("approvals with the orchestrator's --approval-timeout: a waiting write is denied at the timeout")
    func approvalTimeoutFlag() async throws {
        let fixture = try await HostFixture(arguments: ["--approval-timeout", "200"])
        let denied = try await HostHTTP.send(.POST, fixture.server.baseURL + "/__fake/approvals", json: ["wait": true])
        #expect(denied.status == 403)
        #expect(denied.json["reason"] == "timeout")
        #expect(try await fixture.server.get("/approvals").status == 401)
        #expect(try await fixture.server.get("/approvals", headers: fixture.host).json["items"] == [])
        await fixture.stop()
    }

    @Test("unknown routes are 404 not_found; CORS headers only for the --cors origins; OPTIONS is 204")
    func notFoundAndCORS() async throws {
        let fixture = try await HostFixture(arguments: ["--cors", "http://allowed.example, http://other.example"])
        let missing = try await fixture.server.get("/nope", headers: fixture.client)
        #expect(missing.status == 404)
        #expect(missing.json["code"] == "not_found")
        let allowed = try await fixture.server.get("/health", headers: ["Origin": "http://allowed.example"])
        #expect(allowed.header("access-control-allow-origin") == "http://allowed.example")
        let other = try await fixture.server.get("/health", headers: ["Origin": "http://evil.example"])
        #expect(other.header("access-control-allow-origin") == nil)
        let preflight = try await HostHTTP.send(
            .OPTIONS, fixture.server.baseURL + "/workspaces", headers: ["Origin": "http://other.example"])
        #expect(preflight.status == 204)
        #expect(preflight.header("access-control-allow-headers")?.contains("X-OpenWork-Host-Token") == true)
        await fixture.stop()
    }
}
