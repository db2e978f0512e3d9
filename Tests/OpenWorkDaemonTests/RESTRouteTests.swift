import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenWorkDaemon
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The REST routes and `GET /events` of a daemon started through the built binary.
@Suite("REST routes and events", .timeLimit(.minutes(3)))
struct RESTRouteTests {
    @Test("the workspace, instance and opencode routes answer with the anchor's shapes and errors")
    func workspaceRoutes() async throws {
        let fixture = try DaemonFixture("rest")
        let directories = try fixture.root.makeDirectories("w/alpha", "w/beta")
        try await fixture.scoped {
            #expect(try await fixture.json(["daemon", "start"]).value["ok"] == true)

            let added = try await fixture.http(.POST, "/workspaces", ["path": .string(directories[0])])
            #expect(added.status == 200)
            let alpha = try #require(added.body["workspace"]?["id"]?.stringValue)
            #expect(added.body["activeId"]?.stringValue == alpha)
            let relative = try await fixture.http(
                .POST, "/workspaces", ["path": "beta", "name": "Beta", "cwd": .string(fixture.root.appending("w"))])
            #expect(relative.body["workspace"]?["path"]?.stringValue == directories[1])
            #expect(relative.body["workspace"]?["name"] == "Beta")

            let missing = try await fixture.http(.POST, "/workspaces", [:])
            #expect(missing.status == 400)
            #expect(missing.body["kind"] == "invalid_params")
            #expect(missing.body["error"]?.stringValue?.contains("path") == true)
            let junk = try await fixture.http(.POST, "/workspaces", ["path": "/definitely/not/here"])
            #expect(junk.status == 400)
            #expect(junk.body["kind"] == "invalid_path")
            let ftp = try await fixture.http(.POST, "/workspaces/remote", ["baseUrl": "ftp://example.com"])
            #expect(ftp.status == 400)
            #expect(ftp.body["kind"] == "invalid_url")

            let list = try await fixture.http(.GET, "/workspaces")
            #expect(list.body["workspaces"]?.arrayValue?.count == 2)
            #expect(list.body["activeId"]?.stringValue == alpha)

            let info = try await fixture.http(.GET, "/workspaces/Beta")
            #expect(info.body["workspace"]?["path"]?.stringValue == directories[1])
            let byPath = try await fixture.http(
                .GET,
                "/workspaces/" + (directories[0].addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
            #expect(byPath.body["workspace"]?["id"]?.stringValue == alpha)
            let unknown = try await fixture.http(.GET, "/workspaces/nope")
            #expect(unknown.status == 404)
            #expect(unknown.body["kind"] == "workspace_not_found")

            let switched = try await fixture.http(.POST, "/workspaces/Beta/activate")
            #expect(switched.status == 200)
            #expect(switched.body["activeId"] == switched.body["workspace"]?["id"])

            let pathA = try await fixture.http(.GET, "/workspaces/\(alpha)/path")
            #expect(pathA.body["path"]?["directory"]?.stringValue == directories[0])
            let pathB = try await fixture.http(.GET, "/workspaces/Beta/path")
            #expect(pathB.body["path"]?["directory"]?.stringValue == directories[1])
            let opencode = try await fixture.http(.GET, "/opencode")
            #expect(opencode.body["state"] == "ready")
            let connect = try await fixture.http(.GET, "/workspaces/\(alpha)/connect")
            #expect(connect.body["baseUrl"] == opencode.body["baseUrl"])
            #expect(connect.body["directory"]?.stringValue == directories[0])

            let disposed = try await fixture.http(.POST, "/instances/\(alpha)/dispose")
            #expect(disposed.body["disposed"] == true)

            let health = try await fixture.http(.GET, "/health")
            #expect(health.body["ok"] == true)
            #expect(health.body["workspaceCount"] == 2)
            #expect(health.body["daemon"]?["baseUrl"]?.stringValue == fixture.baseURL)
            #expect(health.body["cliVersion"] != nil)

            let removed = try await fixture.http(.DELETE, "/workspaces/\(alpha)")
            #expect(removed.status == 200)
            #expect(try await fixture.http(.GET, "/workspaces").body["workspaces"]?.arrayValue?.count == 1)

            let notJSON = try await fixture.http(.POST, "/workspaces/remote", nil)
            #expect(notJSON.status == 400)

            let daemon = try #require(fixture.daemonProcesses.first)
            let shutdown = try await fixture.http(.POST, "/shutdown")
            #expect(shutdown.status == 200)
            #expect(shutdown.body["ok"] == true)
            #expect(await FakeOpenCode.eventually { FakeOpenCode.isGone(daemon) })
            #expect(fixture.state?["daemon"] == nil)
        }
    }

    @Test("GET /events streams matching events as they happen and ends promptly when the daemon stops")
    func eventStream() async throws {
        let fixture = try DaemonFixture("events")
        let directory = try fixture.root.makeDirectories("w/project")[0]
        try await fixture.scoped {
            #expect(try await fixture.json(["daemon", "start"]).value["ok"] == true)
            let url = try #require(fixture.baseURL) + "/events?types=workspace.*"
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Authorization", value: "Bearer \(fixture.token ?? "")")
            let unauthorized = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
            #expect(unauthorized.status.code == 401)
            _ = try await unauthorized.body.collect(upTo: 1 << 16)

            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(response.status.code == 200)
            #expect(response.headers["Content-Type"] == ["text/event-stream"])
            let received = Locked("")
            let reader = Task {
                for try await chunk in response.body {
                    received.withLock { $0 += String(buffer: chunk) }
                }
            }
            #expect(await FakeOpenCode.eventually { received.value.contains(": subscribed") })
            _ = try await fixture.http(.POST, "/workspaces", ["path": .string(directory)])
            #expect(await FakeOpenCode.eventually(within: .seconds(30)) { received.value.contains("workspace.added") })
            #expect(received.value.contains("event: workspace.added\ndata: {"))
            _ = try await fixture.http(.GET, "/opencode")
            #expect(!received.value.contains("opencode."), "types filter the stream")

            // `daemon stop` waits (20 s at most) until the daemon is gone: an open stream that held the stop
            // would fail it; before the fix it held the daemon forever.
            #expect(
                try await fixture.json(["daemon", "stop"]).value["ok"] == true, "an open stream does not hold the stop")
            _ = try? await reader.value
            #expect(received.value.contains("event: shutdown"))
        }
    }

    @Test("a client that disconnects from GET /events ends its stream on the server")
    func eventStreamDisconnect() async throws {
        let fixture = try DaemonFixture("events-gone")
        try await fixture.scoped {
            #expect(try await fixture.json(["daemon", "start"]).value["ok"] == true)
            var request = HTTPClientRequest(url: try #require(fixture.baseURL) + "/events")
            request.headers.add(name: "Authorization", value: "Bearer \(fixture.token ?? "")")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let reader = Task {
                for try await _ in response.body {}
            }
            try await Task.sleep(for: .milliseconds(100))
            reader.cancel()
            _ = try? await reader.value
            let log = fixture.dataDirectory + "/logs/daemon.log"
            #expect(
                await FakeOpenCode.eventually(within: .seconds(30)) {
                    ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("client disconnected")
                })
            #expect(try await fixture.http(.GET, "/health").status == 200)
        }
    }
}
