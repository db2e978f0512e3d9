import Foundation
import NIOHTTP1
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// opencode's permission requests through `openwork rpc` (in-process engine) and the fake opencode.
@Suite("opencode approvals", .timeLimit(.minutes(3)))
struct OpenCodeApprovalsTests {
    /// Two workspaces, both warm, events subscribed: what every test here starts from.
    struct Setup {
        let session: EventedRPC
        let root: TemporaryDirectory
        let alpha: (id: String, path: String)
        let beta: (id: String, path: String)
        let requestLog: String

        init(arguments: [String] = [], environment: [String: String] = [:]) async throws {
            root = try TemporaryDirectory("approvals")
            let paths = try root.makeDirectories("alpha", "beta")
            requestLog = root.appending("fake-requests.jsonl")
            session = try EventedRPC(
                arguments: arguments, environment: environment.merging(["FAKE_OPENCODE_LOG": requestLog]) { $1 })
            _ = try await session.call("events.subscribe", ["types": ["approval.*", "opencode.*"]])
            let a = try await session.call("workspace.add", ["path": .string(paths[0])])
            let b = try await session.call("workspace.add", ["path": .string(paths[1])])
            alpha = (try #require(a["workspace"]?["id"]?.stringValue), paths[0])
            beta = (try #require(b["workspace"]?["id"]?.stringValue), paths[1])
            _ = try await session.call("workspace.path", ["id": .string(alpha.id)])
            _ = try await session.call("workspace.path", ["id": .string(beta.id)])
        }

        func baseURL() async throws -> String {
            try #require(try await session.call("opencode.status")["baseUrl"]?.stringValue)
        }

        /// The fake's request log lines for `method path`.
        func logged(_ method: String, _ path: String, status: Int64? = nil) -> Int {
            let text = (try? String(contentsOfFile: requestLog, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
                .filter { $0["method"]?.stringValue == method && $0["path"]?.stringValue == path }
                .filter { status == nil || $0["status"]?.int64Value == status }.count
        }
    }

    @Test("asked in A: listed with A's id and not B's; the reply reaches the fake and approval.resolved follows")
    func askedListedRepliedResolved() async throws {
        let setup = try await Setup()
        defer { Task { await setup.session.stop() } }
        let session = setup.session
        let id = try await askPermission(try await setup.baseURL(), directory: setup.alpha.path)
        let requested = try await session.event("approval.requested") { $0["id"] == .string(id) }
        #expect(requested["workspaceId"] == .string(setup.alpha.id))
        #expect(requested["source"] == "opencode")
        #expect(requested["permission"] == "bash")
        #expect(requested["patterns"] == ["rm -rf build"])

        let inAlpha = try await session.call("approvals.list", ["workspace": .string(setup.alpha.id)])
        #expect(inAlpha["items"]?.arrayValue?.map { $0["id"] } == [.string(id)])
        let item = try #require(inAlpha["items"]?[0])
        #expect(item["directory"] == .string(setup.alpha.path))
        #expect(item["sessionID"]?.stringValue?.hasPrefix("ses_") == true)
        #expect(item["createdAt"]?.int64Value != nil)
        #expect(try await session.call("approvals.list", ["workspace": "beta"])["items"] == [])
        #expect(try await session.call("approvals.list")["items"]?.arrayValue?.count == 1)

        let bad = try await session.call("approvals.reply", ["id": .string(id), "reply": "maybe"])
        #expect(bad["error"]?["data"]?["kind"] == "invalid_params")
        let answer = try await session.call("approvals.reply", ["id": .string(id), "reply": "allow"])
        #expect(answer["reply"] == "once")
        let resolved = try await session.event("approval.resolved") { $0["id"] == .string(id) }
        #expect(resolved["reply"] == "once")
        #expect(resolved["workspaceId"] == .string(setup.alpha.id))
        #expect(setup.logged("POST", "/permission/\(id)/reply") == 1, "the fake recorded the reply")
        #expect(try await session.call("approvals.list")["items"] == [])
        let unknown = try await session.call("approvals.reply", ["id": .string(id), "reply": "reject"])
        #expect(unknown["error"]?["data"]?["kind"] == "approval_not_found")
        #expect(session.received("approval.resolved").isEmpty, "resolved exactly once")
    }

    @Test("a reply in opencode itself (another client) resolves the request here too")
    func repliedElsewhere() async throws {
        let setup = try await Setup()
        defer { Task { await setup.session.stop() } }
        let baseURL = try await setup.baseURL()
        let id = try await askPermission(baseURL, directory: setup.beta.path)
        let requested = try await setup.session.event("approval.requested") { $0["id"] == .string(id) }
        #expect(requested["workspaceId"] == .string(setup.beta.id))
        let connect = try await setup.session.call("workspace.connect", ["id": .string(setup.beta.id)])
        let user = try #require(connect["username"]?.stringValue)
        let password = try #require(connect["password"]?.stringValue)
        let basic = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        let direct = try await HTTP.send(
            .POST,
            baseURL + "/permission/\(id)/reply?directory="
                + (setup.beta.path.addingPercentEncoding(
                    withAllowedCharacters: .alphanumerics) ?? ""),
            body: ["reply": "reject"], headers: ["Authorization": basic])
        #expect(direct.status == 200)
        let resolved = try await setup.session.event("approval.resolved") { $0["id"] == .string(id) }
        #expect(resolved["reply"] == "reject")
        #expect(try await setup.session.call("approvals.list")["items"] == [])
    }

    @Test("after a dropped stream the reconnect resyncs GET /permission per warm directory")
    func reconnectResyncs() async throws {
        let setup = try await Setup()
        defer { Task { await setup.session.stop() } }
        let session = setup.session
        let baseURL = try await setup.baseURL()
        _ = try await session.event("approval.watching")
        let quiet = try await HTTP.send(
            .POST, baseURL + "/__fake/permission",
            body: ["directory": .string(setup.beta.path), "permission": "edit", "patterns": ["*"], "quiet": true])
        let id = try #require(quiet.body["id"]?.stringValue)
        #expect(try await session.call("approvals.list")["items"] == [], "nobody heard it")
        let dropped = try await HTTP.send(.POST, baseURL + "/__fake/drop-streams")
        #expect((dropped.body["dropped"]?.int64Value ?? 0) >= 1)
        let watching = try await session.event("approval.watching")
        #expect(watching["resynced"] == .array([setup.alpha.path, setup.beta.path].sorted().map(JSONValue.string)))
        let requested = try await session.event("approval.requested") { $0["id"] == .string(id) }
        #expect(requested["workspaceId"] == .string(setup.beta.id))
        #expect(requested["permission"] == "edit")
    }

    @Test("an opencode without POST /permission/:id/reply (404) is answered on the legacy session route")
    func legacyRouteFallback() async throws {
        let setup = try await Setup(environment: ["FAKE_OPENCODE_LEGACY_PERMISSIONS_ONLY": "1"])
        defer { Task { await setup.session.stop() } }
        let id = try await askPermission(try await setup.baseURL(), directory: setup.alpha.path)
        let requested = try await setup.session.event("approval.requested") { $0["id"] == .string(id) }
        let sessionID = try #require(requested["sessionID"]?.stringValue)
        let answer = try await setup.session.call("approvals.reply", ["id": .string(id), "reply": "always"])
        #expect(answer["reply"] == "always", "\(answer)")
        let resolved = try await setup.session.event("approval.resolved") { $0["id"] == .string(id) }
        #expect(resolved["reply"] == "always")
        #expect(setup.logged("POST", "/permission/\(id)/reply", status: 404) == 1)
        #expect(setup.logged("POST", "/session/\(sessionID)/permissions/\(id)", status: 200) == 1)
    }

    @Test("auto mode answers once without anyone")
    func autoMode() async throws {
        let setup = try await Setup(arguments: ["--approval", "auto"])
        defer { Task { await setup.session.stop() } }
        let id = try await askPermission(try await setup.baseURL(), directory: setup.alpha.path)
        let resolved = try await setup.session.event("approval.resolved") { $0["id"] == .string(id) }
        #expect(resolved["reply"] == "once")
        #expect(resolved["by"] == "auto")
        #expect(setup.logged("POST", "/permission/\(id)/reply") == 1)
        #expect(try await setup.session.call("approvals.list")["items"] == [])
    }

    @Test("manual mode with a timeout rejects each request nobody answered")
    func timeoutRejects() async throws {
        let setup = try await Setup(arguments: ["--approval-timeout", "300"])
        defer { Task { await setup.session.stop() } }
        let baseURL = try await setup.baseURL()
        let id = try await askPermission(baseURL, directory: setup.alpha.path)
        let other = try await askPermission(baseURL, directory: setup.beta.path)
        for request in [id, other] {
            _ = try await setup.session.event("approval.requested") { $0["id"] == .string(request) }
            let resolved = try await setup.session.event("approval.resolved") { $0["id"] == .string(request) }
            #expect(resolved["reason"] == "timeout")
            #expect(resolved["reply"] == "reject")
            #expect(setup.logged("POST", "/permission/\(request)/reply") == 1)
        }
    }

    @Test("opencode killed with a pending request: resolved with opencode_exited; after the restart a new one is seen")
    func opencodeExitResolvesAndStreamResumes() async throws {
        let setup = try await Setup()
        defer { Task { await setup.session.stop() } }
        let session = setup.session
        let first = try await askPermission(try await setup.baseURL(), directory: setup.alpha.path)
        _ = try await session.event("approval.requested") { $0["id"] == .string(first) }
        let pid = try #require(try await session.call("opencode.status")["pid"]?.int64Value)
        kill(Int32(pid), SIGKILL)
        let resolved = try await session.event("approval.resolved") { $0["id"] == .string(first) }
        #expect(resolved["reason"] == "opencode_exited")
        let ready = try await session.event("opencode.ready") { $0["pid"]?.int64Value != pid }
        _ = try await session.event("approval.watching") { $0["pid"] == ready["pid"] }
        _ = try await session.call("workspace.path", ["id": .string(setup.alpha.id)])
        let second = try await askPermission(try await setup.baseURL(), directory: setup.alpha.path)
        let requested = try await session.event("approval.requested") { $0["id"] == .string(second) }
        #expect(requested["workspaceId"] == .string(setup.alpha.id))
        #expect(try await session.call("approvals.list")["items"]?.arrayValue?.map { $0["id"] } == [.string(second)])
    }

    @Test("bad approval settings are a usage error (exit 64)")
    func badSettings() async throws {
        let mode = try await CLIRun.run(["rpc", "--approval", "sometimes"])
        #expect(mode.exit.code == 64)
        let fromEnvironment = try await CLIRun.run(["rpc"], environment: ["OPENWORK_APPROVAL_MODE": "nope"])
        #expect(fromEnvironment.exit.code == 64)
        #expect(fromEnvironment.errors.contains("invalid_approval_settings"))
    }
}
