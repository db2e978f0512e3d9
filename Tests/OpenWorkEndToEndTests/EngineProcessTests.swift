import Foundation
import OpenWorkJSON
import OpenWorkSystem
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
        // The kernel ends opencode with its engine (see OrphanTests for every instant of the start).
        #expect(await FakeOpenCode.eventually(within: .seconds(20)) { FakeOpenCode.isGone(orphan) })

        let second = try start()
        let answer = try await second.call("workspace.path", ["id": .string(workspace)], within: .seconds(60))
        #expect(answer["result"]?["path"]?["directory"] == .string(workspace))
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

    @Test("opencode.restart answers once the replacement is ready, with its pid, after the old one's exit")
    func restartAnswersWithTheReplacement() async throws {
        let rpc = try start()
        _ = try await rpc.call("workspace.add", ["path": .string(workspace)])
        _ = try await rpc.call("workspace.path", ["id": .string(workspace)])
        _ = try await rpc.call("events.subscribe", ["types": ["opencode.*"]])
        for round in 0..<3 {
            let old = try await opencodePID(rpc)
            try await rpc.send(["jsonrpc": "2.0", "id": .integer(Int64(100 + round)), "method": "opencode.restart"])
            var events: [JSONValue] = []
            var answer: JSONValue?
            while answer == nil {
                let message = try await rpc.readMessage(within: .seconds(30))
                if message["id"] == .integer(Int64(100 + round)) { answer = message } else { events.append(message) }
            }
            let result = try #require(answer?["result"])
            #expect(result["state"] == "ready")
            let new = try #require(result["pid"]?.int64Value)
            #expect(new != Int64(old), "round \(round): the answer names the replacement, not the old child")
            let types = events.compactMap { $0["params"]?["type"]?.stringValue }
            #expect(types == ["opencode.exited", "opencode.restarting", "opencode.starting", "opencode.ready"])
            let exited = events.first { $0["params"]?["type"] == "opencode.exited" }?["params"]
            #expect(exited?["pid"] == .integer(Int64(old)))
            #expect(exited?["stopping"] == true, "a requested stop says so")
            #expect(events.last?["params"]?["pid"] == .integer(new))
        }
        #expect(
            !rpc.process.errorOutput.contains("WARN"), "a requested restart is no warning: \(rpc.process.errorOutput)")
    }

    /// What the first call that needs opencode answers when `--opencode-bin` is `binary`.
    func firstNeed(_ binary: String) async throws -> (error: JSONValue, starts: Int) {
        let rpc = try RPCProcess(
            arguments: ["--data-dir", root.appending("data"), "--opencode-bin", binary],
            // A minute before any second start: the answer after the first attempt (which takes milliseconds)
            // can never be overtaken by a restart's `opencode.starting`, however loaded the machine.
            environment: ["OPENWORK_OPENCODE_BACKOFF_FLOOR_MS": "60000"])
        _ = try await rpc.call("events.subscribe", ["types": ["opencode.starting"]])
        _ = try await rpc.call("workspace.add", ["path": .string(workspace)])
        try await rpc.send([
            "jsonrpc": "2.0", "id": "need", "method": "workspace.path", "params": ["id": .string(workspace)],
        ])
        var starts = 0
        while true {
            let message = try await rpc.readMessage(within: .seconds(30))
            if message["params"]?["type"] == "opencode.starting" { starts += 1 }
            if message["id"] == "need" {
                rpc.process.closeInput()
                _ = try await rpc.process.waitForExit(within: .seconds(30))
                return (try #require(message["error"]), starts)
            }
        }
    }

    @Test("a missing or non-executable --opencode-bin is opencode_not_found naming the path")
    func missingBinary() async throws {
        let missing = root.appending("no/such/opencode")
        let plain = root.appending("not-executable")
        try "#!/bin/sh\n".write(toFile: plain, atomically: true, encoding: .utf8)
        for binary in [missing, plain] {
            let (error, starts) = try await firstNeed(binary)
            #expect(error["data"]?["kind"] == "opencode_not_found")
            #expect(error["message"]?.stringValue?.contains(binary) == true, "\(error)")
            #expect(starts == 0)
        }
    }

    @Test("a binary that is not opencode is refused, saying so, before any start")
    func notOpenCode() async throws {
        let (silent, silentStarts) = try await firstNeed("/bin/true")
        #expect(silent["data"]?["kind"] == "opencode_start_failed")
        #expect(silent["message"]?.stringValue?.contains("is not opencode") == true, "\(silent)")
        #expect(silentStarts == 0)
        let (failing, failingStarts) = try await firstNeed("/bin/false")
        #expect(failing["data"]?["kind"] == "opencode_start_failed")
        #expect(failing["data"]?["lastExit"] == ["code": 1])
        #expect(failingStarts == 0)
    }

    @Test("an opencode that exits before listening fails the first call after one attempt, with exit and stderr")
    func exitsBeforeListening() async throws {
        let script = root.appending("dies-on-serve")
        try """
        #!/bin/sh
        if [ "$1" = --version ]; then echo 1.18.0; exit 0; fi
        echo "cannot open the database" >&2
        exit 7
        """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let (error, starts) = try await firstNeed(script)
        #expect(error["data"]?["kind"] == "opencode_start_failed")
        #expect(error["data"]?["lastExit"] == ["code": 7])
        #expect(error["data"]?["stderr"] == ["cannot open the database"])
        #expect(starts == 1, "answered after the first attempt, not after the crash loop")
    }
}
