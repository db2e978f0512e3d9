import Foundation
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// What scenarios prove through `/__fake/state` and `/__fake/permission`: JIT creation, isolation,
/// recreation, shared boots, and the permission flow.
@Suite("fake-opencode: introspection")
struct IntrospectionTests {
    static func start(_ knobs: [String: String] = [:], environment: [String: String] = [:]) async throws -> Server {
        try await Subject.fake(knobs: knobs.merging(["INTROSPECTION": "1"]) { $1 }, environment: environment)
    }

    static func liveDirectories(_ server: Server) async throws -> [String] {
        let state = try await server.client.json("GET", "/__fake/state")
        return (state["instances"]?.arrayValue ?? []).compactMap { $0["directory"]?.stringValue }
    }

    @Test func instancesAreCreatedOnFirstUseAndOnlyForTheirDirectory() async throws {
        let root = try TemporaryDirectory()
        let first = try root.subdirectory("first")
        let server = try await Self.start()
        #expect(try await Self.liveDirectories(server) == [])
        for target in ["/global/health", "/doc", "/no/such/route"] {
            _ = try await server.client.get(target)
        }
        let global = try await server.client.events("/global/event")
        _ = try await global.nextJSON()
        #expect(try await Self.liveDirectories(server) == [], "global and unknown routes create no instance")

        _ = try await server.client.get("/path?" + Shapes.directoryQuery(first))
        let state = try await server.client.json("GET", "/__fake/state")
        let instance = try #require(state["instances"]?[0])
        #expect(state["instances"]?.arrayValue?.count == 1)
        #expect(instance["directory"] == .string(first))
        #expect(instance["bootCount"] == 1)
        #expect(instance["created"]?.int64Value != nil)
        #expect(state["requestCount"] == 5, "the /__fake requests are not counted")
        await server.stop()
    }

    @Test func authenticationIsCheckedBeforeAnInstanceIsCreated() async throws {
        let root = try TemporaryDirectory()
        let server = try await Self.start(environment: ["OPENCODE_SERVER_PASSWORD": "pw"])
        let response = try await server.client.get("/path?" + Shapes.directoryQuery(root.path), authenticate: false)
        #expect(response.status == 401)
        #expect(try await Self.liveDirectories(server) == [])
        await server.stop()
    }

    @Test func disposeRemovesTheInstanceAndTheNextRequestBootsItAgain() async throws {
        let root = try TemporaryDirectory()
        let server = try await Self.start()
        let query = "?" + Shapes.directoryQuery(root.path)
        _ = try await server.client.get("/path" + query)
        #expect(try await server.client.json("POST", "/instance/dispose" + query) == true)
        var state = try await server.client.json("GET", "/__fake/state")
        #expect(state["instances"] == [])
        #expect(state["disposals"]?[0]?["directory"] == .string(root.path))
        #expect(state["disposalCount"] == 1)

        _ = try await server.client.get("/path" + query)
        state = try await server.client.json("GET", "/__fake/state")
        #expect(state["instances"]?[0]?["bootCount"] == 2)
        await server.stop()
    }

    @Test func concurrentFirstRequestsShareOneBoot() async throws {
        let root = try TemporaryDirectory()
        let server = try await Self.start(["BOOT_DELAY_MS": "500"])
        let target = "/path?" + Shapes.directoryQuery(root.path)
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 { group.addTask { try await server.client.get(target).status } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 8))
        let state = try await server.client.json("GET", "/__fake/state")
        #expect(state["bootCounts"]?[root.path] == 1)
        await server.stop()
    }

    @Test func shutdownDisposesEveryInstanceWithItsEvent() async throws {
        let root = try TemporaryDirectory()
        let server = try await Self.start()
        let events = try await server.client.events("/event?" + Shapes.directoryQuery(root.path))
        let global = try await server.client.events("/global/event")
        _ = try await events.nextJSON()
        _ = try await global.nextJSON()
        server.testProcess.signal(SIGTERM)
        let disposed = try await events.nextJSON { $0["type"] == "server.instance.disposed" }
        #expect(disposed["properties"]?["directory"] == .string(root.path))
        #expect(try await events.waitForEnd().end == .clean)
        let wrapped = try await global.nextJSON { $0["payload"]?["type"] == "server.instance.disposed" }
        #expect(wrapped["directory"] == .string(root.path))
        #expect(try await server.testProcess.waitForExit(within: .seconds(30)).code == 0)
    }

    @Test func askedPermissionIsListedAnnouncedAndRepliedOnce() async throws {
        let root = try TemporaryDirectory()
        let server = try await Self.start()
        let query = "?" + Shapes.directoryQuery(root.path)
        let session = try await server.client.json("POST", "/session" + query, body: [:])
        let events = try await server.client.events("/event" + query)
        let global = try await server.client.events("/global/event")
        _ = try await events.nextJSON()
        _ = try await global.nextJSON()

        let request = try await server.client.json(
            "POST",
            "/__fake/permission",
            body: ["directory": .string(root.path), "permission": "bash", "patterns": ["git push *"]]
        )
        #expect(Shapes.isIdentifier(request["id"], prefix: "per"))
        #expect(request["sessionID"] == session["id"], "the newest session of the directory")
        #expect(request["permission"] == "bash")
        #expect(request["patterns"] == ["git push *"])
        #expect(request["always"] == ["git push *"])
        #expect(request["metadata"] == [:])

        let asked = try await events.nextJSON { $0["type"] == "permission.asked" }
        #expect(asked["properties"] == request)
        let wrapped = try await global.nextJSON { $0["payload"]?["type"] == "permission.asked" }
        #expect(wrapped["directory"] == .string(root.path))
        #expect(try await server.client.json("GET", "/permission" + query) == [request])

        let id = try #require(request["id"]?.stringValue)
        #expect(
            try await server.client.json("POST", "/permission/\(id)/reply" + query, body: ["reply": "once"]) == true)
        let replied = try await events.nextJSON { $0["type"] == "permission.replied" }
        #expect(
            replied["properties"] == ["sessionID": session["id"] ?? .null, "requestID": .string(id), "reply": "once"])
        #expect(try await server.client.json("GET", "/permission" + query) == [])
        await server.stop()
    }

    @Test func legacyRouteRejectsAndRejectionCascadesWithinTheSession() async throws {
        let root = try TemporaryDirectory()
        let server = try await Self.start()
        let query = "?" + Shapes.directoryQuery(root.path)
        let events = try await server.client.events("/event" + query)
        _ = try await events.nextJSON()
        var ids: [String] = []
        for sessionID in [
            "ses_aaaaaaaaaaaa00000000000000", "ses_aaaaaaaaaaaa00000000000000", "ses_bbbbbbbbbbbb00000000000000",
        ] {
            let request = try await server.client.json(
                "POST",
                "/__fake/permission",
                body: [
                    "directory": .string(root.path), "permission": "edit", "patterns": ["*"],
                    "sessionID": .string(sessionID),
                ]
            )
            ids.append(try #require(request["id"]?.stringValue))
        }
        let reply = try await server.client.json(
            "POST",
            "/session/ses_aaaaaaaaaaaa00000000000000/permissions/\(ids[0])" + query,
            body: ["response": "reject"]
        )
        #expect(reply == true)
        var replied: [JSONValue] = []
        for _ in 0..<2 {
            replied.append(try await events.nextJSON { $0["type"] == "permission.replied" })
        }
        #expect(replied.map { $0["properties"]?["requestID"] } == [.string(ids[0]), .string(ids[1])])
        #expect(replied.allSatisfy { $0["properties"]?["reply"] == "reject" })
        let pending = try await server.client.json("GET", "/permission" + query)
        #expect(pending.arrayValue?.map { $0["id"] } == [.string(ids[2])], "the other session's request stays")
        await server.stop()
    }

    @Test func sessionsSurviveDisposalAndAreListedInTheirOwnDirectoryOnly() async throws {
        let root = try TemporaryDirectory()
        let first = try root.subdirectory("first")
        let second = try root.subdirectory("second")
        let server = try await Self.start()
        let session = try await server.client.json("POST", "/session?" + Shapes.directoryQuery(first), body: [:])
        #expect(session["projectID"] == "global")
        _ = try await server.client.json("POST", "/global/dispose")
        let listed = try await server.client.json("GET", "/session?" + Shapes.directoryQuery(first))
        #expect(listed.arrayValue?.contains(session) == true, "sessions outlive their instance")
        let elsewhere = try await server.client.json("GET", "/session?" + Shapes.directoryQuery(second))
        #expect(elsewhere.arrayValue?.contains(session) == false, "listed by directory, though both are `global`")
        await server.stop()
    }

    @Test func aGlobalConfigPatchDisposesEveryInstanceAndReachesTheNextOnes() async throws {
        let root = try TemporaryDirectory()
        let server = try await Self.start()
        let query = "?" + Shapes.directoryQuery(root.path)
        _ = try await server.client.json("GET", "/config" + query)
        let global = try await server.client.events("/global/event")
        _ = try await global.nextJSON()
        let merged = try await server.client.json("PATCH", "/global/config", body: ["model": "a/b", "share": "manual"])
        #expect(merged == ["model": "a/b", "share": "manual"])
        _ = try await global.nextJSON { $0["payload"]?["type"] == "global.disposed" }
        #expect(try await Self.liveDirectories(server) == [])
        #expect(try await server.client.json("GET", "/config" + query)["model"] == "a/b", "booted with it")
        #expect(try await server.client.json("GET", "/global/config") == merged)
        await server.stop()
    }

    @Test func configIsReadAtBootSoAPatchIsSeenByTheNextInstance() async throws {
        let root = try TemporaryDirectory()
        try Data(#"{"model": "anthropic/claude", "username": "file"}"#.utf8)
            .write(to: URL(fileURLWithPath: root.path + "/opencode.json"))
        let server = try await Self.start()
        let query = "?" + Shapes.directoryQuery(root.path)
        let before = try await server.client.json("GET", "/config" + query)
        #expect(before["model"] == "anthropic/claude")
        #expect(before["username"] == "file")

        try Data(#"{"model": "edited/on-disk"}"#.utf8).write(to: URL(fileURLWithPath: root.path + "/opencode.json"))
        #expect(
            try await server.client.json("GET", "/config" + query)["model"] == "anthropic/claude", "no file watcher")
        _ = try await server.client.json("PATCH", "/config" + query, body: ["username": "patched"])
        let after = try await server.client.json("GET", "/config" + query)
        #expect(after["model"] == "edited/on-disk")
        #expect(after["username"] == "patched")
        await server.stop()
    }
}
