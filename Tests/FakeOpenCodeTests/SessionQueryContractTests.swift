import Foundation
import OpenWorkJSON
import OpenWorkTesting
import Testing

/// What opencode 1.18 does with sessions beyond create/get/delete: `GET /session`'s filters, permission rules,
/// `{sessionID, info}` events with ids, `GET /session/status`, `PATCH`, children, abort and messages of an idle
/// session, and the session's own directory winning over the request's. Reachable without a model, so each test
/// also runs against a real opencode.
@Suite("contract: opencode 1.18 sessions")
struct SessionQueryContractTests {
    @Test(arguments: Subject.available)
    func listHonoursRootsSearchStartAndLimitNewestFirst(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let directory = try root.subdirectory("work")
        let other = try root.subdirectory("other")
        let server = try await subject.start()
        let query = "?" + Shapes.directoryQuery(directory)
        var ids: [String] = []
        for title in ["Alpha one", "beta two", "ALPHA three"] {
            let session = try await server.client.json("POST", "/session" + query, body: ["title": .string(title)])
            ids.append(try #require(session["id"]?.stringValue))
            try await Task.sleep(for: .milliseconds(5))  // distinct `time.updated`, for `start`
        }
        let child = try await server.client.json(
            "POST", "/session" + query, body: ["title": "alpha child", "parentID": .string(ids[0])])
        let childID = try #require(child["id"]?.stringValue)
        _ = try await server.client.json("POST", "/session?" + Shapes.directoryQuery(other), body: ["title": "Alpha"])

        func listed(_ extra: String) async throws -> [String] {
            let sessions = try await server.client.json("GET", "/session" + query + extra)
            return (sessions.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
        }
        #expect(try await listed("") == [childID, ids[2], ids[1], ids[0]], "newest first, this directory only")
        #expect(try await listed("&roots=true") == [ids[2], ids[1], ids[0]], "roots drops sessions with a parent")
        #expect(try await listed("&search=alpha") == [childID, ids[2], ids[0]], "case-insensitive title match")
        #expect(try await listed("&limit=2") == [childID, ids[2]])
        #expect(try await listed("&roots=true&search=ALPHA&limit=1") == [ids[2]])
        let second = try await server.client.json("GET", "/session/\(ids[1])" + query)
        let start = try #require(second["time"]?["updated"]?.int64Value)
        #expect(try await listed("&start=\(start)") == [childID, ids[2], ids[1]], "updated at or after start")
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func aBadListQueryIs400(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let server = try await subject.start()
        let response = try await server.client.get("/session?limit=many&" + Shapes.directoryQuery(root.path))
        #expect(response.status == 400, "\(response.text)")
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func createStoresPermissionRulesAndChildrenAreListed(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let server = try await subject.start()
        let query = "?" + Shapes.directoryQuery(root.path)
        let rules: JSONValue = [
            ["permission": "bash", "pattern": "rm *", "action": "deny"],
            ["permission": "edit", "pattern": "*", "action": "ask"],
        ]
        let parent = try await server.client.json("POST", "/session" + query, body: ["permission": rules])
        #expect(parent["permission"] == rules)
        let parentID = try #require(parent["id"]?.stringValue)
        #expect(try await server.client.json("GET", "/session/\(parentID)" + query)["permission"] == rules)
        let child = try await server.client.json("POST", "/session" + query, body: ["parentID": .string(parentID)])
        #expect(child["parentID"] == .string(parentID))
        let children = try await server.client.json("GET", "/session/\(parentID)/children" + query)
        #expect(children.arrayValue?.map { $0["id"] } == [child["id"]])
        let bad = try await server.client.post(
            "/session" + query, json: ["permission": [["permission": "bash", "pattern": "*", "action": "maybe"]]])
        #expect(bad.status == 400)
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func sessionEventsCarryTheIDNextToTheInfoAndEveryEventHasAnID(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let server = try await subject.start()
        let query = "?" + Shapes.directoryQuery(root.path)
        let events = try await server.client.events("/event" + query)
        let global = try await server.client.events("/global/event")
        let connected = try await events.nextJSON()
        let globalConnected = try await global.nextJSON()
        let session = try await server.client.json("POST", "/session" + query, body: ["title": "first"])
        let id = try #require(session["id"])
        _ = try await server.client.json(
            "PATCH", "/session/\(id.stringValue ?? "")" + query, body: ["title": "renamed"])
        _ = try await server.client.json("DELETE", "/session/\(id.stringValue ?? "")" + query)

        var seen: [JSONValue] = [connected]
        for type in ["session.created", "session.updated", "session.updated", "session.deleted"] {
            let event = try await events.nextJSON { $0["type"] == .string(type) }
            #expect(event["properties"]?["sessionID"] == id, "\(type)")
            #expect(event["properties"]?["info"]?["id"] == id, "\(type)")
            seen.append(event)
        }
        #expect(seen.last?["properties"]?["info"]?["title"] == "renamed")
        seen.append(globalConnected["payload"] ?? .null)
        let ids = seen.compactMap { $0["id"]?.stringValue }
        #expect(ids.count == seen.count, "every event has an id: \(seen)")
        #expect(Set(ids).count == ids.count, "ids are distinct")
        let wrapped = try await global.nextJSON { $0["payload"]?["type"] == "session.deleted" }
        #expect(wrapped["payload"]?["id"] == seen[4]["id"], "one event, one id, on both streams")
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func statusIsARouteAndIdleSessionsAreNotListed(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let server = try await subject.start()
        let query = "?" + Shapes.directoryQuery(root.path)
        #expect(try await server.client.json("GET", "/session/status" + query) == [:])
        let session = try await server.client.json("POST", "/session" + query, body: [:])
        let id = try #require(session["id"]?.stringValue)
        #expect(try await server.client.json("GET", "/session/status" + query) == [:])
        #expect(try await server.client.json("POST", "/session/\(id)/abort" + query) == true, "aborting idle work")
        #expect(try await server.client.json("GET", "/session/\(id)/message" + query) == [])
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func patchRenamesAndArchives(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let server = try await subject.start()
        let query = "?" + Shapes.directoryQuery(root.path)
        let session = try await server.client.json("POST", "/session" + query, body: ["title": "before"])
        let id = try #require(session["id"]?.stringValue)
        let updated = try await server.client.json(
            "PATCH", "/session/\(id)" + query, body: ["title": "after", "time": ["archived": 1_700_000_000_000]])
        #expect(updated["title"] == "after")
        #expect(updated["time"]?["archived"] == 1_700_000_000_000)
        #expect(try await server.client.json("GET", "/session/\(id)" + query)["title"] == "after")
        let missing = try await server.client.send("PATCH", "/session/ses_0123456789abABCDEFGHIJKLMN" + query)
        #expect(missing.status == 404)
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func aSessionsOwnDirectoryWinsOverTheRequests(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let home = try root.subdirectory("home")
        let elsewhere = try root.subdirectory("elsewhere")
        let server = try await subject.start()
        let session = try await server.client.json("POST", "/session?" + Shapes.directoryQuery(home), body: [:])
        let id = try #require(session["id"]?.stringValue)
        let fetched = try await server.client.json("GET", "/session/\(id)?" + Shapes.directoryQuery(elsewhere))
        #expect(fetched["id"] == session["id"])
        #expect(fetched["directory"] == .string(home))
        await server.stop()
    }
}
