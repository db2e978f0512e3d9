import Foundation
import OpenWorkJSON
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The engine inside `openwork rpc`, as a user runs it, supervising `fake-opencode`.
@Suite("Engine through openwork rpc", .timeLimit(.minutes(2)))
struct EngineProcessTests {
    let root: TemporaryDirectory
    let workspace: String

    init() throws {
        root = try TemporaryDirectory("engine-rpc")
        workspace = try root.makeDirectories("w/project")[0]
    }

    func start() throws -> RPCProcess {
        try RPCProcess(
            arguments: ["--data-dir", root.appending("data"), "--opencode-bin", FakeOpenCode.path],
            environment: ["FAKE_OPENCODE_INTROSPECTION": "1"])
    }

    func opencodePID(_ rpc: RPCProcess) async throws -> Int32 {
        let status = try await rpc.call("opencode.status")
        return try #require(status["result"]?["pid"]?.int64Value.flatMap { Int32(exactly: $0) })
    }

    @Test("EOF on stdin stops opencode and leaves nothing running")
    func eofStopsEverything() async throws {
        let rpc = try start()
        _ = try await rpc.call("workspace.add", ["path": .string(workspace)])
        #expect(try await rpc.call("workspace.path", ["id": .string(workspace)])["result"] != nil)
        let pid = try await opencodePID(rpc)
        rpc.process.closeInput()
        #expect(try await rpc.process.waitForExit(within: .seconds(10)).code == 0)
        #expect(FakeOpenCode.isGone(pid))
        let state = try JSONValue(
            parsing: Array(
                try Data(contentsOf: URL(fileURLWithPath: root.appending("data/openwork-orchestrator-state.json")))))
        #expect(state["opencode"] == nil, "the record of a cleanly stopped opencode is cleared")
    }

    @Test("SIGTERM to openwork rpc stops opencode too")
    func sigtermStopsEverything() async throws {
        let rpc = try start()
        _ = try await rpc.call("workspace.add", ["path": .string(workspace)])
        _ = try await rpc.call("workspace.path", ["id": .string(workspace)])
        let pid = try await opencodePID(rpc)
        rpc.process.signal(SIGTERM)
        #expect(try await rpc.process.waitForExit(within: .seconds(10)).code == 0)
        #expect(FakeOpenCode.isGone(pid))
    }

    @Test("an engine SIGKILLed and started again leaves exactly one opencode (R8)")
    func killedEngineLeavesNoOrphan() async throws {
        let first = try start()
        _ = try await first.call("workspace.add", ["path": .string(workspace)])
        _ = try await first.call("workspace.path", ["id": .string(workspace)])
        let orphan = try await opencodePID(first)
        first.process.signal(SIGKILL)
        _ = try await first.process.waitForExit()
        #expect(!FakeOpenCode.isGone(orphan), "opencode outlives a SIGKILLed engine")

        let second = try start()
        let clock = ContinuousClock()
        let begin = clock.now
        let answer = try await second.call("workspace.path", ["id": .string(workspace)])
        #expect(answer["result"]?["path"]?["directory"] == .string(workspace))
        #expect(clock.now - begin < .seconds(15), "a hang deadline")
        #expect(await FakeOpenCode.eventually(within: .seconds(5)) { FakeOpenCode.isGone(orphan) })
        let replacement = try await opencodePID(second)
        #expect(replacement != orphan)
        second.process.closeInput()
        _ = try await second.process.waitForExit(within: .seconds(10))
        #expect(FakeOpenCode.isGone(replacement))
    }

    @Test("events.subscribe streams notifications for a kill/restart cycle in order")
    func eventsOverStdio() async throws {
        let rpc = try start()
        _ = try await rpc.call("workspace.add", ["path": .string(workspace)])
        _ = try await rpc.call("workspace.path", ["id": .string(workspace)])
        let pid = try await opencodePID(rpc)
        let subscribed = try await rpc.call("events.subscribe", ["types": ["opencode.*", "instance.*"]])
        #expect(subscribed["result"]?["subscribed"] == true)
        kill(pid, SIGKILL)
        var types: [String] = []
        while types.last != "opencode.ready" {
            let message = try await rpc.readMessage(within: .seconds(10))
            #expect(message["method"] == "event")
            #expect(message["id"] == nil)
            #expect(message["params"]?["time"]?.int64Value != nil)
            if let type = message["params"]?["type"]?.stringValue { types.append(type) }
        }
        #expect(types == ["opencode.exited", "opencode.restarting", "opencode.starting", "opencode.ready"])
        try await rpc.send([
            "jsonrpc": "2.0", "id": "path", "method": "workspace.path", "params": ["id": .string(workspace)],
        ])
        // The answer and the event it causes may come in either order.
        var sawInstance = false
        var sawAnswer = false
        while !(sawInstance && sawAnswer) {
            let message = try await rpc.readMessage(within: .seconds(10))
            if message["params"]?["type"] == "instance.created" { sawInstance = true }
            if message["id"] == "path" { sawAnswer = message["result"] != nil }
        }
    }

    @Test("a second openwork rpc on the same data directory shares the registry but not opencode")
    func secondSessionRefusedOpenCode() async throws {
        let first = try start()
        _ = try await first.call("workspace.add", ["path": .string(workspace)])
        _ = try await first.call("workspace.path", ["id": .string(workspace)])
        let second = try start()
        #expect(try await second.call("workspace.list")["result"]?["workspaces"]?.arrayValue?.count == 1)
        let refused = try await second.call("workspace.path", ["id": .string(workspace)])
        #expect(refused["error"]?["data"]?["kind"] == "data_dir_locked")
    }
}
