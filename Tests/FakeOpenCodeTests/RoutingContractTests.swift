import Foundation
import OpenWorkJSON
import OpenWorkTesting
import Testing

/// How a request picks its instance directory, and what `/path` reports for it.
@Suite("contract: directory routing")
struct RoutingContractTests {
    @Test(arguments: Subject.available)
    func queryDirectoryWinsOverTheHeader(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let fromQuery = try root.subdirectory("query")
        let fromHeader = try root.subdirectory("header")
        let server = try await subject.start(workingDirectory: root.path)
        let response = try await server.client.get(
            "/path?" + Shapes.directoryQuery(fromQuery),
            headers: [("x-opencode-directory", fromHeader)]
        )
        #expect(try response.json()["directory"] == .string(fromQuery))
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func headerDirectoryIsURLDecoded(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let spaced = try root.subdirectory("with space")
        let server = try await subject.start(workingDirectory: root.path)
        let encoded = spaced.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? spaced
        let response = try await server.client.get("/path", headers: [("x-opencode-directory", encoded)])
        #expect(try response.json()["directory"] == .string(spaced))
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func emptyValuesFallBackToTheWorkingDirectory(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let server = try await subject.start(workingDirectory: root.path)
        for (target, headers) in [("/path", []), ("/path?directory=", [("x-opencode-directory", "")])] {
            let response = try await server.client.get(target, headers: headers)
            #expect(try response.json()["directory"] == .string(root.path), "\(target)")
        }
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func relativeDirectoryIsMadeAbsolute(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let target = try root.subdirectory("b")
        _ = try root.subdirectory("a")
        let server = try await subject.start(workingDirectory: root.path)
        let response = try await server.client.get("/path?directory=a/../b")
        #expect(try response.json()["directory"] == .string(target))
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func pathReportsFiveStringsAndTheGitWorktree(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let repository = try await root.gitRepository("repo")
        let nested = try root.subdirectory("repo/src/deep")
        let outside = try root.subdirectory("outside")
        let server = try await subject.start(workingDirectory: root.path)

        let inside = try await server.client.json("GET", "/path?" + Shapes.directoryQuery(nested))
        for key in ["home", "state", "config", "worktree", "directory"] {
            #expect(inside[key]?.stringValue?.isEmpty == false, "\(key) is a non-empty string")
        }
        #expect(inside["worktree"] == .string(repository))
        #expect(inside["directory"] == .string(nested))

        let global = try await server.client.json("GET", "/path?" + Shapes.directoryQuery(outside))
        #expect(global["worktree"] == "/")
        #expect(global["directory"] == .string(outside))
        await server.stop()
    }
}

/// Route shapes: health, doc, config, errors.
@Suite("contract: routes and errors")
struct RouteContractTests {
    @Test(arguments: Subject.available)
    func healthReportsTheVersionPrintedByVersionFlag(_ subject: Subject) async throws {
        let version = try await CommandLineContractTests.printedVersion(of: subject)
        let server = try await subject.start()
        let health = try await server.client.json("GET", "/global/health")
        #expect(health == ["healthy": true, "version": .string(version)])
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func docIsAnOpenAPI31DocumentTitledOpencode(_ subject: Subject) async throws {
        let server = try await subject.start()
        let document = try await server.client.json("GET", "/doc")
        #expect(document["openapi"]?.stringValue?.hasPrefix("3.1") == true)
        #expect(document["info"]?["title"] == "opencode")
        #expect(document["paths"]?.objectValue?.isEmpty == false)
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func unknownRouteIs404NotFoundError(_ subject: Subject) async throws {
        let server = try await subject.start()
        let response = try await server.client.get("/definitely/not/a/route")
        #expect(response.status == 404)
        let body = try response.json()
        #expect(body["name"] == "NotFoundError")
        #expect(body["data"]?["message"]?.stringValue != nil)
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func configIsAnObjectAndPatchWritesConfigJSONAndDisposesTheInstance(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let server = try await subject.start()
        let query = "?" + Shapes.directoryQuery(root.path)
        let config = try await server.client.json("GET", "/config" + query)
        #expect(config.objectValue != nil)

        let events = try await server.client.events("/event" + query)
        #expect(try await events.nextJSON()["type"] == "server.connected")
        let patch: JSONValue = ["username": "contract-test"]
        let response = try await server.client.send(
            "PATCH",
            "/config" + query,
            headers: [("content-type", "application/json")],
            body: try patch.serializedBytes()
        )
        #expect(response.status == 200)
        let written = try JSONValue(
            parsing: Array(try Data(contentsOf: URL(fileURLWithPath: root.path + "/config.json"))))
        #expect(written["username"] == "contract-test")
        let disposed = try await events.nextJSON { $0["type"] == "server.instance.disposed" }
        #expect(disposed["properties"]?["directory"] == .string(root.path))
        #expect(try await events.waitForEnd().end == .clean)
        await server.stop()
    }

    @Test(arguments: Subject.available)
    func malformedBodiesGet400(_ subject: Subject) async throws {
        let root = try TemporaryDirectory()
        let server = try await subject.start()
        let query = "?" + Shapes.directoryQuery(root.path)
        let malformed = Array("{\"title\": ".utf8)
        let json = [("content-type", "application/json")]
        for (method, target) in [
            ("POST", "/session"), ("PATCH", "/config"), ("POST", "/permission/per_0123456789abABCDEFGHIJKLMN/reply"),
        ] {
            let response = try await server.client.send(method, target + query, headers: json, body: malformed)
            #expect(response.status == 400, "\(method) \(target): \(response.text)")
        }
        let badReply = try await server.client.send(
            "POST",
            "/permission/per_0123456789abABCDEFGHIJKLMN/reply" + query,
            headers: json,
            body: Array("{\"reply\":\"maybe\"}".utf8)
        )
        #expect(badReply.status == 400)
        await server.stop()
    }
}
