import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenWorkDaemon
import OpenWorkJSON
import OpenWorkOperations
import OpenWorkRPC
import OpenWorkSystem
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Real answers and events, recorded with `OPENWORK_RPC_TRACE` by `openwork rpc`, the daemon and the example
/// client, each checked against the document the process itself serves.
@Suite("The integrator's contract: real answers fit the document", .serialized)
struct ContractTraceTests {
    /// The answer to the request just sent, skipping the notifications before it.
    private static func answer(_ rpc: RPCProcess, _ method: String, _ params: JSONValue = [:]) async throws -> JSONValue
    {
        try await rpc.send(["jsonrpc": "2.0", "id": .string(method), "method": .string(method), "params": params])
        while true {
            let message = try await rpc.readMessage(within: .seconds(90))
            if message["id"] != nil { return message }
        }
    }

    @Test(.enabled(if: ContractCheck.available, "run bash scripts/ensure-python-tools.sh"))
    func everyAnswerOfAnRPCSessionFitsTheDocument() async throws {
        let work = try TemporaryDirectory("contract-rpc")
        let directories = try work.makeDirectories("alpha", "beta")
        let trace = work.appending("trace.jsonl")
        let rpc = try RPCProcess(environment: [
            "OPENWORK_OPENCODE_BIN": FakeOpenCode.path, "OPENWORK_RPC_TRACE": trace,
            "OPENWORK_ENABLE_TEST_METHODS": "1",
        ])
        let subscribed = try await Self.answer(rpc, "events.subscribe")
        #expect(subscribed["result"]?["subscribed"] == true, "\(subscribed)")
        let discovered = try await Self.answer(rpc, "rpc.discover")
        let document = try #require(discovered["result"])
        _ = try await Self.answer(rpc, "health")
        let added = try await Self.answer(rpc, "workspace.add", ["path": .string(directories[0])])
        let id = try #require(added["result"]?["workspace"]?["id"], "\(added)")
        let second = try await Self.answer(rpc, "workspace.add", ["path": .string(directories[1]), "name": "second"])
        let secondID = try #require(second["result"]?["workspace"]?["id"], "\(second)")
        for (method, params) in [
            ("workspace.add", ["path": .string(directories[0])]), ("workspace.add", ["path": "/no/such/dir"]),
            ("workspace.list", [:]), ("workspace.info", ["id": id]), ("workspace.switch", ["id": secondID]),
            ("workspace.path", ["id": id]), ("workspace.path", ["id": secondID]), ("workspace.connect", ["id": id]),
            ("workspace.list", [:]), ("workspace.info", ["id": "no-such-workspace"]),
        ] as [(String, JSONValue)] {
            _ = try await Self.answer(rpc, method, params)
        }
        let lease = try await Self.answer(rpc, "instance.lease", ["id": id, "ttlMs": 60_000])
        let leaseID = try #require(lease["result"]?["leaseId"], "\(lease)")
        for (method, params) in [
            ("workspace.info", ["id": id]), ("instance.renew", ["leaseId": leaseID]),
            ("instance.reload", ["id": id]), ("instance.release", ["leaseId": leaseID]),
            ("instance.renew", ["leaseId": leaseID]), ("instance.release", ["leaseId": leaseID]),
            ("instance.reload", ["id": secondID]), ("instance.dispose", ["id": id]), ("instance.dispose", ["id": id]),
            ("opencode.status", [:]), ("opencode.restart", [:]), ("health", [:]), ("sidecar.list", [:]),
            ("approvals.list", [:]), ("approvals.list", ["workspace": id]),
            ("approvals.reply", ["id": "per_none", "reply": "once"]),
            ("host.status", [:]), ("host.stop", [:]), ("workspace.add", [:]), ("workspace.add", ["paths": "x"]),
            ("no.such.method", [:]), ("test.echo", ["value": [1, "two"]]), ("test.sleep", ["ms": 1]),
            ("workspace.remove", ["id": secondID]), ("workspace.remove", ["id": id]),
        ] as [(String, JSONValue)] {
            _ = try await Self.answer(rpc, method, params)
        }
        rpc.process.closeInput()
        _ = try await rpc.process.readRemainingOutput(within: .seconds(60))
        #expect(try await rpc.process.waitForExit(within: .seconds(60)) == .exited(0))

        var status = stat()
        #expect(stat(trace, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600, "the trace holds what the answers hold")
        let run = try await ContractCheck.trace(document, [trace], in: work)
        #expect(run.passed, "\(run.output)")
        let counts = try #require(ContractCheck.counts(run.output), "\(run.output)")
        #expect(counts.passed >= 40, "every answer and the events: \(run.output)")
        let text = try String(contentsOfFile: trace, encoding: .utf8)
        for expected in [
            "instance.disposed", "instance.leased", "opencode.ready", "workspace.added", "lease_not_found",
        ] {
            #expect(text.contains(expected), "the trace holds \(expected)")
        }
    }

    @Test(.enabled(if: ContractCheck.available, "run bash scripts/ensure-python-tools.sh"))
    func everyAnswerAndEventOfTheDaemonFitsTheDocument() async throws {
        let fixture = try DaemonFixture("contract-daemon")
        let trace = fixture.root.appending("trace.jsonl")
        let workspace = try fixture.root.makeDirectories("ws")[0]
        try await fixture.scoped {
            let started = try await fixture.json(["daemon", "start"], extraEnvironment: ["OPENWORK_RPC_TRACE": trace])
            #expect(started.exit == .exited(0), "\(started.value)")
            let openRPC = try await fixture.http(.GET, "/openrpc.json")
            let openAPI = try await fixture.http(.GET, "/openapi.json")
            #expect(openAPI.status == 200 && openAPI.body["openapi"] == "3.1.1")
            let events = Task { try await Self.events(fixture) }
            let added = try await fixture.http(.POST, "/workspaces", ["path": .string(workspace)])
            #expect(added.status == 200, "\(added.body)")
            let id = try #require(added.body["workspace"]?["id"]?.stringValue)
            for (method, path) in [
                ("GET", "/health"), ("GET", "/workspaces"), ("GET", "/workspaces/\(id)"),
                ("GET", "/workspaces/\(id)/path"),
                ("GET", "/workspaces/\(id)/connect"), ("POST", "/instances/\(id)/dispose"), ("GET", "/opencode"),
                ("GET", "/sidecars"), ("GET", "/approvals"), ("GET", "/host"), ("GET", "/workspaces/nope"),
                ("DELETE", "/workspaces/\(id)"),
            ] {
                _ = try await fixture.http(method == "GET" ? .GET : method == "POST" ? .POST : .DELETE, path)
            }
            let frames = try await events.value
            #expect(frames.contains("instance.disposed"), "\(frames)")
            let stopped = try await fixture.json(["daemon", "stop"])
            #expect(stopped.exit == .exited(0))
            let run = try await ContractCheck.trace(openRPC.body, [trace], in: fixture.root)
            #expect(run.passed, "\(run.output)")
            #expect((ContractCheck.counts(run.output)?.passed ?? 0) >= 14, "\(run.output)")
        }
    }

    /// Reads `GET /events` until `instance.disposed` and `workspace.removed` came; returns the frames' text.
    private static func events(_ fixture: DaemonFixture) async throws -> String {
        var request = HTTPClientRequest(url: (fixture.baseURL ?? "http://127.0.0.1:1") + "/events")
        request.headers.add(name: "Authorization", value: "Bearer \(fixture.token ?? "")")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        var text = ""
        for try await buffer in response.body {
            text += String(buffer: buffer)
            if text.contains("event: workspace.removed") { break }
        }
        return text
    }

    @Test(.enabled(if: ContractCheck.available, "run bash scripts/ensure-python-tools.sh"))
    func theExampleClientDrivesOpenworkRPCFromTheDocumentAlone() async throws {
        let work = try TemporaryDirectory("contract-client")
        let directories = try work.makeDirectories("one", "two")
        let data = try work.makeDirectories("data")[0]
        let trace = work.appending("trace.jsonl")
        let run = try await ContractCheck.run(
            [
                ContractCheck.root + "/examples/openwork_client.py", "--openwork", BuiltProducts.path(of: "openwork"),
            ] + directories,
            environment: [
                "OPENWORK_DATA_DIR": data, "OPENWORK_OPENCODE_BIN": FakeOpenCode.path, "OPENWORK_RPC_TRACE": trace,
            ])
        #expect(run.passed, "\(run.output)")
        let steps = run.output.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
        func step(_ name: String) -> JSONValue? { steps.first { $0["step"]?.stringValue == name }?["value"] }
        #expect(step("discovered")?.arrayValue?.contains("workspace.add") == true)
        #expect(step("added")?.arrayValue?.count == 2)
        let paths = step("paths")?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(paths.count == 2 && paths.map { URL(fileURLWithPath: $0).lastPathComponent } == ["one", "two"])
        #expect(step("subscribed")?["subscribed"] == true)
        #expect(step("disposed")?["disposed"] == true)
        #expect(step("event")?["type"] == "instance.disposed")
        #expect(step("event")?["workspaceId"] == step("added")?[0])
        #expect(step("exit") == 0)

        let document = Operations.table(Operations.Configuration()).openRPCDocument
        let checked = try await ContractCheck.trace(document, [trace], in: work)
        #expect(checked.passed, "\(checked.output)")
    }

    /// Every scenario, run by the harness through a wrapper that sets `OPENWORK_RPC_TRACE` for the `openwork`
    /// it drives (the harness passes no `OPENWORK_*` variable of its own environment on), daemons included.
    @Test(.enabled(if: ContractCheck.available, "run bash scripts/ensure-python-tools.sh"))
    func everyAnswerAndEventOfTheScenariosFitsTheDocument() async throws {
        let work = try TemporaryDirectory("contract-scenarios")
        let trace = work.appending("trace.jsonl")
        let wrapper = work.appending("openwork")
        let script = """
            #!/bin/sh
            OPENWORK_RPC_TRACE='\(trace)' exec '\(BuiltProducts.path(of: "openwork"))' "$@"

            """
        try Data(script.utf8).write(to: URL(fileURLWithPath: wrapper))
        chmod(wrapper, 0o755)
        let harness = try TestProcess(
            BuiltProducts.path(of: "openwork-harness"),
            ["--openwork-bin", wrapper, ContractCheck.root + "/Scenarios"], workingDirectory: ContractCheck.root)
        let output = try await harness.readRemainingOutput(within: .seconds(1_200))
        let exit = try await harness.waitForExit(within: .seconds(60))
        #expect(exit == .exited(0), "\(output)\n\(harness.errorOutput)")

        var table = Operations.table(Operations.Configuration(testMethods: true))
        table.register(Daemon.shutdownMethod {})
        let run = try await ContractCheck.trace(table.openRPCDocument, [trace], in: work)
        #expect(run.passed, "\(run.output)")
        #expect((ContractCheck.counts(run.output)?.passed ?? 0) > 200, "\(run.output)")
    }
}
