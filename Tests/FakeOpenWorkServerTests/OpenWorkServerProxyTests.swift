import Foundation
import NIOHTTP1
import OpenWorkJSON
import OpenWorkTesting
import Testing

/// `/opencode/*`: client auth, opencode's credentials and directory added, answers and event streams passed on.
@Suite("fake-openwork-server /opencode proxy", .timeLimit(.minutes(3)))
struct OpenWorkServerProxyTests {
    @Test("client auth required; the answer is opencode's, reached with its own credentials")
    func plainRequests() async throws {
        let fixture = try await HostFixture()
        let base = fixture.server.baseURL
        #expect(try await HostHTTP.send(.GET, base + "/opencode/global/health").status == 401)
        #expect(try await HostHTTP.send(.GET, base + "/opencode/global/health", headers: fixture.host).status == 401)
        let direct = try await HostHTTP.send(
            .GET, fixture.opencode.baseURL + "/global/health", headers: fixture.opencodeAuth)
        let proxied = try await HostHTTP.send(.GET, base + "/opencode/global/health", headers: fixture.client)
        #expect(proxied.status == 200)
        #expect(proxied.json == direct.json)
        #expect(proxied.header("content-type")?.hasPrefix("application/json") == true)
        await fixture.stop()
    }

    @Test("POST bodies pass through; x-opencode-directory is the workspace unless the client sent one; the query too")
    func directoryAndBodies() async throws {
        let fixture = try await HostFixture()
        let base = fixture.server.baseURL + "/opencode"
        let created = try await HostHTTP.send(
            .POST, base + "/session", headers: fixture.client, json: ["title": "via proxy"])
        #expect(created.status == 200)
        #expect(created.json["title"] == "via proxy")
        #expect(created.json["directory"] == .string(fixture.workspace.path))

        let elsewhere = try fixture.workspace.makeDirectories("elsewhere")[0]
        var headers = fixture.client
        headers["x-opencode-directory"] = elsewhere
        let other = try await HostHTTP.send(.POST, base + "/session", headers: headers, json: ["title": "other"])
        #expect(other.json["directory"] == .string(elsewhere))

        let listed = try await HostHTTP.send(.GET, base + "/session?directory=\(elsewhere)", headers: fixture.client)
        #expect(listed.json.arrayValue?.map { $0["id"] } == [other.json["id"]])
        let missing = try await HostHTTP.send(.GET, base + "/session/ses_nope", headers: fixture.client)
        #expect(missing.status == 404, "opencode's errors pass through")
        #expect(missing.json["name"] == "NotFoundError")
        await fixture.stop()
    }

    @Test("GET /opencode/event streams opencode's events as they happen; a client going away closes the upstream")
    func eventStream() async throws {
        // No heartbeats: without the proxy noticing its client leave, nothing would ever close the upstream.
        let fixture = try await HostFixture(opencodeKnobs: ["FAKE_OPENCODE_HEARTBEAT_MS": "3600000"])
        let opencodeState = { try await HostHTTP.send(.GET, fixture.opencode.baseURL + "/__fake/state").json }
        let events = try await EventStream.open(fixture.server.baseURL + "/opencode/event", headers: fixture.client)
        #expect(events.contentType.hasPrefix("text/event-stream"))
        let connected = try await events.next()
        #expect(connected["type"] == "server.connected")
        #expect(try await opencodeState()["openEventStreams"] == 1)

        let created = try await HostHTTP.send(
            .POST, fixture.server.baseURL + "/opencode/session", headers: fixture.client, json: ["title": "watched"])
        let sessionID = try #require(created.json["id"])
        let event = try await events.next { $0["type"] == "session.created" }
        #expect(event["properties"]?["info"]?["id"] == sessionID)

        events.close()
        let closed = await FakeOpenCode.eventually {
            (try? await opencodeState()["openEventStreams"]) == 0
        }
        #expect(closed, "the proxy dropped the upstream stream when its client left")
        await fixture.stop()
    }

    @Test("opencode unreachable → 502 opencode_unreachable; no base URL → 400 opencode_unconfigured")
    func upstreamFailures() async throws {
        let secrets = HostSecrets()
        let workspace = try TemporaryDirectory("host-fakes")
        let nowhere = "http://127.0.0.1:\(try LoopbackPort.closed())"
        let server = try await OpenWorkServer(
            arguments: OpenWorkServer.anchorArguments(workspace: workspace.path, opencodeURL: nowhere),
            environment: OpenWorkServer.anchorEnvironment(secrets, opencodeURL: nowhere, workspace: workspace.path))
        let unreachable = try await server.get(
            "/opencode/global/health", headers: HostHTTP.bearer(secrets.collaborator))
        #expect(unreachable.status == 502)
        #expect(unreachable.json["code"] == "opencode_unreachable")
        await server.stop()

        let bare = try await OpenWorkServer(
            arguments: ["--port", "0", "--workspace", workspace.path],
            environment: cleanEnvironment(["OPENWORK_TOKEN": secrets.collaborator, "OPENWORK_HOST_TOKEN": secrets.host])
        )
        let unconfigured = try await bare.get("/opencode/global/health", headers: HostHTTP.bearer(secrets.collaborator))
        #expect(unconfigured.status == 400)
        #expect(unconfigured.json["code"] == "opencode_unconfigured")
        await bare.stop()
    }
}
