import Foundation
import NIOHTTP1
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// The fake OpenWork server and `openwork approvals … --openwork-url` against it (no daemon involved).
@Suite("OpenWork server approvals", .timeLimit(.minutes(3)))
struct OpenWorkServerApprovalsTests {
    let token = ["X-OpenWork-Host-Token": FakeOpenWorkServerProcess.token]

    @Test("the fake: health without a token, 401 without one on /approvals, list, reply, unknown id, bad reply")
    func fakeServerBasics() async throws {
        let server = try await FakeOpenWorkServerProcess()
        defer { Task { await server.stop() } }
        let health = try await HTTP.send(.GET, server.baseURL + "/health")
        #expect(health.status == 200)
        #expect(health.body["ok"] == true)
        #expect(try await HTTP.send(.GET, server.baseURL + "/approvals").status == 401)
        let wrong = try await HTTP.send(.GET, server.baseURL + "/approvals", headers: ["X-OpenWork-Host-Token": "nope"])
        #expect(wrong.status == 401)
        #expect(wrong.body["code"] == "unauthorized")

        let id = try await server.requestApproval()
        let list = try await HTTP.send(.GET, server.baseURL + "/approvals", headers: token)
        #expect(list.body["items"]?.arrayValue?.map { $0["id"] } == [.string(id)])
        #expect(list.body["items"]?[0]?["paths"] == ["notes.md"])
        let bad = try await HTTP.send(
            .POST, server.baseURL + "/approvals/\(id)", body: ["reply": "once"], headers: token)
        #expect(bad.status == 400)
        let allowed = try await HTTP.send(
            .POST, server.baseURL + "/approvals/\(id)", body: ["reply": "allow"], headers: token)
        #expect(allowed.status == 200)
        #expect(allowed.body == ["ok": true, "allowed": true])
        let again = try await HTTP.send(
            .POST, server.baseURL + "/approvals/\(id)", body: ["reply": "allow"], headers: token)
        #expect(again.status == 404)
        #expect(again.body["code"] == "approval_not_found")
        let state = try await server.state()
        #expect(state["decisions"]?.arrayValue?.map { $0["reason"] } == ["allowed"])
    }

    @Test("the fake: a waiting write is denied with write_denied after the timeout; auto mode allows at once")
    func fakeServerTimeoutAndAuto() async throws {
        let manual = try await FakeOpenWorkServerProcess(arguments: ["--approval-timeout-ms", "200"])
        defer { Task { await manual.stop() } }
        let denied = try await HTTP.send(.POST, manual.baseURL + "/__fake/approvals", body: ["wait": true])
        #expect(denied.status == 403)
        #expect(denied.body["code"] == "write_denied")
        #expect(denied.body["reason"] == "timeout")
        #expect(try await HTTP.send(.GET, manual.baseURL + "/approvals", headers: token).body["items"] == [])

        let auto = try await FakeOpenWorkServerProcess(arguments: ["--approval", "auto"])
        defer { Task { await auto.stop() } }
        let allowed = try await HTTP.send(.POST, auto.baseURL + "/__fake/approvals", body: ["wait": true])
        #expect(allowed.status == 200)
        #expect(allowed.body["allowed"] == true)
        #expect(try await HTTP.send(.GET, auto.baseURL + "/approvals", headers: token).body["items"] == [])
    }

    @Test("the fake refuses to start without a host token and on unknown arguments (exit 2)")
    func fakeServerRefusesBadStarts() async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["OPENWORK_HOST_TOKEN"] = nil
        let noToken = try TestProcess(BuiltProducts.path(of: "fake-openwork-server"), [], environment: environment)
        #expect(try await noToken.waitForExit(within: .seconds(20)).code == 2)
        #expect(noToken.errorOutput.contains("OPENWORK_HOST_TOKEN"))
        environment["OPENWORK_HOST_TOKEN"] = "t"
        let unknown = try TestProcess(
            BuiltProducts.path(of: "fake-openwork-server"), ["--approval", "sometimes"], environment: environment)
        #expect(try await unknown.waitForExit(within: .seconds(20)).code == 2)
    }

    @Test("approvals.list and approvals.reply with openworkUrl over openwork rpc; bad combinations are invalid_params")
    func rpcMethods() async throws {
        let server = try await FakeOpenWorkServerProcess()
        defer { Task { await server.stop() } }
        let id = try await server.requestApproval()
        let session = try EventedRPC()
        defer { Task { await session.stop() } }
        let target: JSONValue = [
            "openworkUrl": .string(server.baseURL), "hostToken": .string(FakeOpenWorkServerProcess.token),
        ]
        let list = try await session.call("approvals.list", target)
        #expect(list["items"]?.arrayValue?.map { $0["id"] } == [.string(id)])
        #expect(list["items"]?[0]?["source"] == "openwork-server")
        var always = target
        always["id"] = .string(id)
        always["reply"] = "always"
        #expect(try await session.call("approvals.reply", always)["error"]?["data"]?["kind"] == "invalid_params")
        var deny = always
        deny["reply"] = "deny"
        let denied = try await session.call("approvals.reply", deny)
        #expect(denied == ["id": .string(id), "source": "openwork-server", "reply": "deny", "allowed": false])
        let again = try await session.call("approvals.reply", deny)
        #expect(again["error"]?["data"]?["kind"] == "approval_not_found")
        let tokenOnly = try await session.call("approvals.list", ["hostToken": "x"])
        #expect(tokenOnly["error"]?["data"]?["kind"] == "invalid_params")
        var wrong = target
        wrong["hostToken"] = "wrong"
        #expect(try await session.call("approvals.list", wrong)["error"]?["data"]?["kind"] == "unauthorized")
    }

    @Test("CLI: list and reply (flag before or after the id) with --openwork-url; the token from the environment")
    func cliHappyPath() async throws {
        let server = try await FakeOpenWorkServerProcess()
        defer { Task { await server.stop() } }
        let first = try await server.requestApproval(summary: "first")
        let second = try await server.requestApproval(summary: "second")
        let env = ["OPENWORK_HOST_TOKEN": FakeOpenWorkServerProcess.token]

        let list = try await CLIRun.run(
            ["approvals", "list", "--openwork-url", server.baseURL, "--json"], environment: env)
        #expect(list.exit.code == 0, "\(list.errors)")
        #expect(list.json["ok"] == true)
        #expect(list.json["items"]?.arrayValue?.map { $0["id"] } == [.string(first), .string(second)])
        #expect(list.json["items"]?.arrayValue?.allSatisfy { $0["source"] == "openwork-server" } == true)

        let human = try await CLIRun.run(["approvals", "list", "--openwork-url", server.baseURL], environment: env)
        #expect(human.exit.code == 0)
        #expect(human.output.contains(first) && human.output.contains("openwork-server"))

        let allow = try await CLIRun.run(
            ["approvals", "reply", "--allow", first, "--openwork-url", server.baseURL, "--json"], environment: env)
        #expect(allow.exit.code == 0, "\(allow.output) \(allow.errors)")
        #expect(allow.json["allowed"] == true)
        #expect(allow.json["id"] == .string(first))
        let deny = try await CLIRun.run(
            ["approvals", "reply", second, "--deny", "--json"],
            environment: env.merging(["OPENWORK_URL": server.baseURL]) { $1 })
        #expect(deny.exit.code == 0, "\(deny.output) \(deny.errors)")
        #expect(deny.json["allowed"] == false)
        let decisions = try await server.state()["decisions"]?.arrayValue ?? []
        #expect(decisions.map { $0["id"] } == [.string(first), .string(second)])
        #expect(decisions.map { $0["allowed"] } == [true, false])
    }

    @Test("CLI errors: unknown id, wrong token, no token, unreachable server, bad URL, --always")
    func cliErrors() async throws {
        let server = try await FakeOpenWorkServerProcess()
        let url = server.baseURL
        let env = ["OPENWORK_HOST_TOKEN": FakeOpenWorkServerProcess.token]
        let unknown = try await CLIRun.run(
            ["approvals", "reply", "apr_nope", "--allow", "--openwork-url", url, "--json"], environment: env)
        #expect(unknown.exit.code == 1)
        #expect(unknown.json["ok"] == false)
        #expect(unknown.json["kind"] == "approval_not_found")
        let wrong = try await CLIRun.run(
            ["approvals", "list", "--openwork-url", url, "--json"], environment: ["OPENWORK_HOST_TOKEN": "wrong"])
        #expect(wrong.json["kind"] == "unauthorized")
        #expect(!wrong.output.contains("wrong"), "the token is never echoed")
        let none = try await CLIRun.run(["approvals", "list", "--openwork-url", url, "--json"])
        #expect(none.json["kind"] == "unauthorized")
        let always = try await CLIRun.run(
            ["approvals", "reply", "x", "--always", "--openwork-url", url, "--json"], environment: env)
        #expect(always.exit.code == 1)
        #expect(always.json["ok"] == false)
        let humanError = try await CLIRun.run(
            ["approvals", "list", "--openwork-url", url],
            environment: env.merging(["OPENWORK_HOST_TOKEN": "bad"]) { $1 })
        #expect(humanError.exit.code == 1)
        #expect(humanError.errors.contains("unauthorized"))
        await server.stop()
        let down = try await CLIRun.run(["approvals", "list", "--openwork-url", url, "--json"], environment: env)
        #expect(down.exit.code == 1)
        #expect(down.json["kind"] == "openwork_server_unreachable")
        let badURL = try await CLIRun.run(
            ["approvals", "list", "--openwork-url", "ftp://x", "--json"], environment: env)
        #expect(badURL.json["kind"] == "invalid_url")
        let usage = try await CLIRun.run(["approvals", "reply", "x"])
        #expect(usage.exit.code == 64, "an answer flag is required")
    }
}
