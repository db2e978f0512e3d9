import Foundation
import OpenWorkJSON
import OpenWorkTesting
import Testing

/// Sessions and permission routes, as far as they are reachable without a model.
@Suite("contract: sessions and permissions")
struct SessionContractTests {
    @Test(arguments: Subject.available)
    func createdSessionHasOpencodesShape(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let server = try await subject.start()
        let query = "?" + Shapes.directoryQuery(root.path)
        let session = try await server.client.json("POST", "/session" + query, body: [:])
        #expect(Shapes.isIdentifier(session["id"], prefix: "ses"), "\(session)")
        for key in ["slug", "projectID", "title", "version"] {
            #expect(session[key]?.stringValue != nil, "\(key)")
        }
        #expect(session["directory"] == .string(root.path))
        #expect(session["time"]?["created"]?.int64Value != nil)
        #expect(session["time"]?["updated"]?.int64Value != nil)
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func sessionsAreListedNewestFirstAndCanBeFetchedAndDeleted(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let repository = try await root.gitRepository("repo")
        let server = try await subject.start()
        let query = "?" + Shapes.directoryQuery(repository)
        var created: [String] = []
        for title in ["one", "two", "three"] {
            let session = try await server.client.json("POST", "/session" + query, body: ["title": .string(title)])
            created.append(try #require(session["id"]?.stringValue))
        }
        let listed = try await server.client.json("GET", "/session" + query)
        let ids = (listed.arrayValue ?? []).compactMap { $0["id"]?.stringValue }.filter(created.contains)
        #expect(ids == created.reversed())

        let fetched = try await server.client.json("GET", "/session/\(created[0])" + query)
        #expect(fetched["title"] == "one")
        #expect(try await server.client.json("DELETE", "/session/\(created[0])" + query) == true)
        let missing = try await server.client.get("/session/\(created[0])" + query)
        #expect(missing.status == 404)
        #expect(try missing.json()["name"] == "NotFoundError")
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func sessionsOfOneProjectAreNotListedInAnother(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let first = try await root.gitRepository("first")
        let second = try await root.gitRepository("second")
        let server = try await subject.start()
        let session = try await server.client.json("POST", "/session?" + Shapes.directoryQuery(first), body: [:])
        let listed = try await server.client.json("GET", "/session?" + Shapes.directoryQuery(second))
        #expect(!(listed.arrayValue ?? []).contains { $0["id"] == session["id"] })
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func unknownSessionIs404NotFoundError(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let server = try await subject.start()
        let query = "?" + Shapes.directoryQuery(root.path)
        for method in ["GET", "DELETE"] {
            let response = try await server.client.send(method, "/session/ses_0123456789abABCDEFGHIJKLMN" + query)
            #expect(response.status == 404, "\(method)")
            #expect(try response.json()["name"] == "NotFoundError")
            #expect(try response.json()["data"]?["message"]?.stringValue != nil)
        }
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func freshInstanceHasNoPendingPermissionsAndUnknownRepliesAreAccepted(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let server = try await subject.start()
        let query = "?" + Shapes.directoryQuery(root.path)
        #expect(try await server.client.json("GET", "/permission" + query) == [])
        let reply = try await server.client.json(
            "POST",
            "/permission/per_0123456789abABCDEFGHIJKLMN/reply" + query,
            body: ["reply": "once"]
        )
        #expect(reply == true)
        let session = try await server.client.json("POST", "/session" + query, body: [:])
        let id = session["id"]?.stringValue ?? "ses_missing"
        let legacy = try await server.client.json(
            "POST",
            "/session/\(id)/permissions/per_0123456789abABCDEFGHIJKLMN" + query,
            body: ["response": "reject"]
        )
        #expect(legacy == true)
        await server.stop()
    }
}
