import Foundation
import NIOHTTP1
import OpenWorkDaemon
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// `openwork approvals …` through the daemon (auto-started by the CLI) and the REST routes of the table.
@Suite("Approvals through the daemon", .timeLimit(.minutes(3)))
struct DaemonApprovalsTests {
    @Test("CLI through an auto-started daemon: list per workspace, reply --allow before the id, resolved")
    func cliThroughDaemon() async throws {
        let root = try TemporaryDirectory("approvals-daemon")
        let paths = try root.makeDirectories("alpha", "beta")
        let data = root.appending("data")
        let environment = ["FAKE_OPENCODE_INTROSPECTION": "1", "OPENWORK_OPENCODE_BIN": FakeOpenCode.path]
        func cli(_ arguments: [String]) async throws -> CLIRun {
            try await CLIRun.run(arguments, environment: environment, dataDirectory: data)
        }
        do {
            try await flow(cli, paths, data: data)
        } catch {
            _ = try? await cli(["daemon", "stop"])
            throw error
        }
        let stopped = try await cli(["daemon", "stop", "--json"])
        #expect(stopped.exit.code == 0, "\(stopped.output) \(stopped.errors)")
    }

    private func flow(_ cli: ([String]) async throws -> CLIRun, _ paths: [String], data: String) async throws {
        let alpha = try await cli(["workspace", "add", paths[0], "--json"])
        #expect(alpha.exit.code == 0, "\(alpha.errors)")
        let alphaID = try #require(alpha.json["workspace"]?["id"]?.stringValue)
        _ = try await cli(["workspace", "add", paths[1], "--json"])
        _ = try await cli(["workspace", "path", paths[0], "--json"])
        let baseURL = try #require(try await cli(["opencode", "status", "--json"]).json["baseUrl"]?.stringValue)

        let id = try await askPermission(baseURL, directory: paths[0])
        var listed = JSONValue.null
        let seen = try await FakeOpenCode.eventually(within: .seconds(20)) {
            listed = try await cli(["approvals", "list", "--json"]).json
            return listed["items"]?.arrayValue?.count == 1
        }
        #expect(seen, "\(listed)")
        #expect(listed["items"]?[0]?["id"] == .string(id))
        #expect(listed["items"]?[0]?["workspaceId"] == .string(alphaID))
        let inBeta = try await cli(["approvals", "list", "--workspace", paths[1]])
        #expect(inBeta.output.contains("no pending approvals"))
        let table = try await cli(["approvals", "list", "--workspace", alphaID])
        #expect(table.output.contains(id) && table.output.contains("bash"))

        let state = try JSONValue(
            parsing: Array(try String(contentsOfFile: data + "/openwork-orchestrator-state.json", encoding: .utf8).utf8)
        )
        let daemonURL = try #require(state["daemon"]?["baseUrl"]?.stringValue, "\(state)")
        let token = try String(contentsOfFile: data + "/daemon-token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let bearer = ["Authorization": "Bearer \(token)"]
        let rest = try await HTTP.send(.GET, daemonURL + "/approvals?workspace=\(alphaID)", headers: bearer)
        #expect(rest.status == 200)
        #expect(rest.body["items"]?.arrayValue?.map { $0["id"] } == [.string(id)])
        let missing = try await HTTP.send(
            .POST, daemonURL + "/approvals/per_missing", body: ["reply": "once"], headers: bearer)
        #expect(missing.status == 404)
        #expect(missing.body["kind"] == "approval_not_found")
        #expect(try await HTTP.send(.GET, daemonURL + "/approvals").status == 401, "the token is required")

        let reply = try await cli(["approvals", "reply", "--allow", id, "--json"])
        #expect(reply.exit.code == 0, "\(reply.output) \(reply.errors)")
        #expect(reply.json["reply"] == "once")
        #expect(try await cli(["approvals", "list", "--json"]).json["items"] == [])
        let again = try await cli(["approvals", "reply", id, "--deny", "--json"])
        #expect(again.exit.code == 1)
        #expect(again.json["kind"] == "approval_not_found")
    }

    @Test("questions through the daemon: the CLI answers one (--answer), REST rejects another, usage errors exit 64")
    func questionsThroughDaemon() async throws {
        let root = try TemporaryDirectory("approvals-questions")
        let paths = try root.makeDirectories("alpha", "beta")
        let data = root.appending("data")
        let environment = ["FAKE_OPENCODE_INTROSPECTION": "1", "OPENWORK_OPENCODE_BIN": FakeOpenCode.path]
        func cli(_ arguments: [String]) async throws -> CLIRun {
            try await CLIRun.run(arguments, environment: environment, dataDirectory: data)
        }
        do {
            try await questionFlow(cli, paths, data: data)
        } catch {
            _ = try? await cli(["daemon", "stop"])
            throw error
        }
        let stopped = try await cli(["daemon", "stop", "--json"])
        #expect(stopped.exit.code == 0, "\(stopped.output) \(stopped.errors)")
    }

    private func questionFlow(_ cli: ([String]) async throws -> CLIRun, _ paths: [String], data: String) async throws {
        let alpha = try await cli(["workspace", "add", paths[0], "--json"])
        let alphaID = try #require(alpha.json["workspace"]?["id"]?.stringValue, "\(alpha.errors)")
        _ = try await cli(["workspace", "add", paths[1], "--json"])
        _ = try await cli(["workspace", "path", paths[0], "--json"])
        let baseURL = try #require(try await cli(["opencode", "status", "--json"]).json["baseUrl"]?.stringValue)
        let answered = try await askQuestion(baseURL, directory: paths[0])
        let rejected = try await askQuestion(baseURL, directory: paths[0])
        var listed = JSONValue.null
        let seen = try await FakeOpenCode.eventually(within: .seconds(20)) {
            listed = try await cli(["approvals", "list", "--json"]).json
            return listed["items"]?.arrayValue?.count == 2
        }
        #expect(seen, "\(listed)")
        #expect(listed["items"]?.arrayValue?.map { $0["workspaceId"] } == [.string(alphaID), .string(alphaID)])
        #expect(listed["items"]?[0]?["source"] == "opencode-question")
        #expect(try await cli(["approvals", "list", "--workspace", paths[1]]).output.contains("no pending approvals"))
        let table = try await cli(["approvals", "list", "--workspace", alphaID]).output
        #expect(table.contains(answered) && table.contains("Which database? [sqlite / postgres]"), "\(table)")

        for usage in [["approvals", "reply", answered], ["approvals", "reply", answered, "--answer", "x", "--allow"]] {
            let refused = try await cli(usage + ["--json"])
            #expect(refused.exit.code == 64, "\(usage): \(refused.output)")
            #expect(refused.json["ok"] == false && refused.json["kind"] == "usage")
        }
        let wrongKind = try await cli(["approvals", "reply", answered, "--allow", "--json"])
        #expect(wrongKind.exit.code == 1)
        #expect(wrongKind.json["kind"] == "invalid_params", "\(wrongKind.output)")

        let reply = try await cli(["approvals", "reply", answered, "--answer", "postgres", "--json"])
        #expect(reply.exit.code == 0, "\(reply.output) \(reply.errors)")
        #expect(
            reply.json == [
                "ok": true, "id": .string(answered), "source": "opencode-question", "answers": [["postgres"]],
                "resolved": true,
            ])

        let state = try JSONValue(
            parsing: Array(try String(contentsOfFile: data + "/openwork-orchestrator-state.json", encoding: .utf8).utf8)
        )
        let daemonURL = try #require(state["daemon"]?["baseUrl"]?.stringValue, "\(state)")
        let token = try String(contentsOfFile: data + "/daemon-token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let bearer = ["Authorization": "Bearer \(token)"]
        let rest = try await HTTP.send(
            .POST, daemonURL + "/approvals/\(rejected)", body: ["reply": "reject"], headers: bearer)
        #expect(rest.status == 200, "\(rest.body)")
        #expect(rest.body["reply"] == "reject")
        let gone = try await HTTP.send(
            .POST, daemonURL + "/approvals/\(rejected)", body: ["answer": "sqlite"], headers: bearer)
        #expect(gone.status == 404)
        #expect(try await cli(["approvals", "list", "--json"]).json["items"] == [])

        #expect(try await questionAnswers(baseURL, answered).map { $0["answers"] } == [[["postgres"]]])
        #expect(try await questionAnswers(baseURL, rejected).map { $0["rejected"] } == [true])
    }

    @Test("REST routes: GET /approvals and POST /approvals/:id map onto approvals.list and approvals.reply")
    func restRoutes() throws {
        let list = try #require(RESTRoute.match(method: "GET", path: "/approvals"))
        #expect(list.route.rpcMethod == "approvals.list")
        #expect(list.params(query: "workspace=alpha&cwd=%2Fw", body: nil) == ["workspace": "alpha", "cwd": "/w"])
        #expect(list.params(query: nil, body: nil) == [:])
        let reply = try #require(RESTRoute.match(method: "POST", path: "/approvals/per_1"))
        #expect(reply.route.rpcMethod == "approvals.reply")
        #expect(reply.params(query: nil, body: ["reply": "deny"]) == ["id": "per_1", "reply": "deny"])
        #expect(reply.params(query: nil, body: ["answer": "yes"]) == ["id": "per_1", "answer": "yes"])
    }
}
