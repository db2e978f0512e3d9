import Foundation
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// One test per fault knob; each would fail if its knob did nothing.
@Suite("fake-opencode: fault knobs")
struct KnobTests {
    @Test func versionKnobChangesVersionFlagAndHealth() async throws {
        let process = try TestProcess(
            Subject.fake.executable,
            ["--version"],
            environment: Subject.environment(["FAKE_OPENCODE_VERSION": "1.15.0-test"])
        )
        #expect(try await process.readRemainingOutput(within: .seconds(10)) == "1.15.0-test\n")
        let server = try await Subject.fake(knobs: ["VERSION": "1.15.0-test"])
        #expect(try await server.client.json("GET", "/global/health")["version"] == "1.15.0-test")
        await server.stop()
    }

    @Test func listenDelayPostponesTheListeningLineAndTheBind() async throws {
        let server = try await Subject.fake(knobs: ["LISTEN_DELAY_MS": "800"])
        #expect(server.process.startupDuration >= .milliseconds(800))
        await server.stop()
    }

    @Test func neverListenKeepsTheProcessAliveWithoutAListeningLine() async throws {
        let process = try TestProcess(
            Subject.fake.executable,
            OpenCodeProcess.serveArguments,
            environment: Subject.environment(["FAKE_OPENCODE_NEVER_LISTEN": "1"])
        )
        #expect(try await process.readLine(within: .seconds(30)) == CommandLineContractTests.warning)
        await #expect(throws: TestProcess.Timeout.self) { try await process.readLine(within: .milliseconds(1500)) }
        #expect(!process.hasExited)
        process.signal(SIGTERM)
        #expect(try await process.waitForExit(within: .seconds(30)).code == 0)
    }

    @Test func exitCodeKnobExitsAtOnceWithThatCode() async throws {
        let process = try TestProcess(
            Subject.fake.executable,
            OpenCodeProcess.serveArguments,
            environment: Subject.environment(["FAKE_OPENCODE_EXIT_CODE": "7", "FAKE_OPENCODE_STDERR_NOISE": "boom"])
        )
        let exit = try await process.waitForExit(within: .seconds(30))
        #expect(exit.code == 7)
        #expect(try await process.readRemainingOutput(within: .seconds(30)) == "")
        #expect(process.errorOutput == "boom\n")
    }

    @Test func crashAfterRequestsExitsRightAfterTheNthResponse() async throws {
        // A port the kernel chose, not opencode's 4096: the fakes of the tests before this one took 4096 in turn,
        // and a late request of theirs (a health probe) would count as one of this fake's two.
        let server = try await Subject.fake(
            knobs: ["CRASH_AFTER_REQUESTS": "2", "CRASH_EXIT_CODE": "3"],
            extraArguments: ["--port", String(try LoopbackPort.closed())])
        #expect(try await server.client.get("/global/health").status == 200)
        #expect(!server.testProcess.hasExited)
        #expect(try await server.client.get("/global/health").status == 200)
        let exit = try await server.testProcess.waitForExit(within: .seconds(30))
        #expect(exit.code == 3)
    }

    @Test func crashAfterTimeExitsThatLongAfterListening() async throws {
        let server = try await Subject.fake(knobs: ["CRASH_AFTER_MS": "400", "CRASH_EXIT_CODE": "4"])
        let spawned = ContinuousClock.now - server.process.startupDuration
        let exit = try await server.testProcess.waitForExit(within: .seconds(30))
        #expect(exit.code == 4)
        #expect(ContinuousClock.now - spawned >= .milliseconds(400))
    }

    @Test func hangAfterRequestsStopsAnsweringButKeepsTheSocket() async throws {
        let root = try TemporaryDirectory()
        let server = try await Subject.fake(knobs: ["HANG_AFTER_REQUESTS": "2", "HEARTBEAT_MS": "100"])
        let events = try await server.client.events("/event?" + Shapes.directoryQuery(root.path))
        #expect(try await events.nextJSON()["type"] == "server.connected")
        #expect(try await events.nextJSON()["type"] == "server.heartbeat", "heartbeats flow before the hang")
        #expect(try await server.client.get("/global/health").status == 200)

        await #expect(throws: (any Error).self) {
            try await server.client.send("GET", "/global/health", within: .milliseconds(700))
        }
        #expect(!server.testProcess.hasExited, "hung, not dead")
        _ = try await events.frames(during: .milliseconds(100))  // heartbeats sent before the hang began
        let silent = try await events.frames(during: .milliseconds(500))
        #expect(silent.isEmpty, "a hung server sends no heartbeats: \(silent)")
        #expect(events.end == nil, "the stream stays open")
        await server.stop()
    }

    @Test func ignoreSIGTERMSurvivesSIGTERMButNotSIGINT() async throws {
        let server = try await Subject.fake(knobs: ["IGNORE_SIGTERM": "1"])
        server.testProcess.signal(SIGTERM)
        await #expect(throws: TestProcess.Timeout.self) {
            try await server.testProcess.waitForExit(within: .milliseconds(700))
        }
        #expect(try await server.client.get("/global/health").status == 200)
        server.testProcess.signal(SIGINT)
        #expect(try await server.testProcess.waitForExit(within: .seconds(30)).code == 0)
    }

    @Test func grandchildLivesInTheGroupAndOutlivesTheFakeUntilTheGroupIsKilled() async throws {
        let root = try TemporaryDirectory()
        let pidFile = root.path + "/grandchild.pid"
        let server = try await Subject.fake(knobs: ["SPAWN_GRANDCHILD": "1", "GRANDCHILD_PIDFILE": pidFile])
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        let grandchild = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(ProcessProbe.isAlive(grandchild))
        #expect(ProcessProbe.processGroup(of: grandchild) == server.testProcess.pid, "same process group")

        server.testProcess.signal(SIGTERM)
        #expect(try await server.testProcess.waitForExit(within: .seconds(30)).code == 0)
        #expect(ProcessProbe.isAlive(grandchild), "signalling only the fake leaves the grandchild behind")

        kill(-server.testProcess.pid, SIGKILL)  // the group outlives its leader while the grandchild is in it
        try await poll("grandchild killed with the group") { !ProcessProbe.isAlive(grandchild) }
    }

    @Test func noiseComesBeforeTheListeningLine() async throws {
        let server = try await Subject.fake(knobs: [
            "STDOUT_NOISE": "loading plugins\nstill loading", "STDERR_NOISE": "npm warn",
        ])
        #expect(
            server.process.startupLines == [
                "loading plugins", "still loading", CommandLineContractTests.warning,
                "opencode server listening on http://127.0.0.1:\(server.process.port)",
            ]
        )
        #expect(server.testProcess.errorOutput == "npm warn\n")
        await server.stop()
    }

    @Test func bootDelaySlowsTheFirstRequestOfADirectoryOnly() async throws {
        let root = try TemporaryDirectory()
        let server = try await Subject.fake(knobs: ["BOOT_DELAY_MS": "3000", "INTROSPECTION": "1"])
        let target = "/path?" + Shapes.directoryQuery(root.path)
        let first = ContinuousClock.now
        #expect(try await server.client.get(target).status == 200)
        // A causal lower bound: the first request waited for the boot.
        #expect(ContinuousClock.now - first >= .milliseconds(3000))
        #expect(try await server.client.get(target).status == 200)
        #expect(try await server.client.get("/global/health").status == 200)
        // The second request and the global route waited for no boot: one boot in all, of that directory only.
        let state = try await server.client.json("GET", "/__fake/state")
        #expect(state["bootCounts"] == .object([root.path: 1]), "\(state)")
        #expect(state["booting"] == [], "nothing else is booting")
        await server.stop()
    }

    @Test func failBootFailsMatchingDirectoriesEveryTime() async throws {
        let root = try TemporaryDirectory()
        let broken = try root.subdirectory("broken-project")
        let healthy = try root.subdirectory("healthy-project")
        let server = try await Subject.fake(knobs: ["FAIL_BOOT": "*/broken-*", "INTROSPECTION": "1"])
        for _ in 0..<2 {
            let response = try await server.client.get("/path?" + Shapes.directoryQuery(broken))
            #expect(response.status == 500)
            #expect(try response.json()["name"] == "UnknownError")
        }
        #expect(try await server.client.get("/path?" + Shapes.directoryQuery(healthy)).status == 200)
        let state = try await server.client.json("GET", "/__fake/state")
        #expect(state["bootFailures"]?[broken] == 2, "each request retried the failed boot")
        #expect(state["instances"]?.arrayValue?.map { $0["directory"] } == [.string(healthy)])
        await server.stop()
    }

    @Test func heartbeatIntervalKnobAppliesToBothStreams() async throws {
        let root = try TemporaryDirectory()
        let server = try await Subject.fake(knobs: ["HEARTBEAT_MS": "150"])
        let events = try await server.client.events("/event?" + Shapes.directoryQuery(root.path))
        let global = try await server.client.events("/global/event")
        _ = try await events.nextJSON()
        _ = try await global.nextJSON()
        #expect(
            try await events.nextJSON(within: .seconds(30)).removingID() == [
                "type": "server.heartbeat", "properties": [:],
            ])
        #expect(
            try await global.nextJSON(within: .seconds(30)).removingID() == [
                "payload": ["type": "server.heartbeat", "properties": [:]]
            ])
        await server.stop()
    }

    @Test func introspectionRoutesExistOnlyWhenEnabled() async throws {
        let off = try await Subject.fake()
        #expect(try await off.client.get("/__fake/state").status == 404)
        await off.stop()
        let on = try await Subject.fake(knobs: ["INTROSPECTION": "1"])
        let state = try await on.client.json("GET", "/__fake/state")
        #expect(state["pid"]?.intValue == Int(on.testProcess.pid))
        await on.stop()
    }

    @Test func requestLogRecordsOneJSONLinePerRequestWithoutTheAuthToken() async throws {
        let root = try TemporaryDirectory()
        let log = root.path + "/requests.jsonl"
        let server = try await Subject.fake(
            knobs: ["LOG": log],
            environment: ["OPENCODE_SERVER_PASSWORD": "pw"]
        )
        let token = try #require(server.client.credentials?.token)
        #expect(try await server.client.get("/path?" + Shapes.directoryQuery(root.path)).status == 200)
        #expect(try await server.client.get("/global/health?auth_token=\(token)", authenticate: false).status == 200)
        #expect(try await server.client.get("/global/health", authenticate: false).status == 401)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        let entries = try lines.map { try JSONValue(parsing: String($0)) }
        #expect(entries.count == 3)
        #expect(entries.first?["path"] == "/path")
        #expect(entries.first?["directory"] == .string(root.path))
        #expect(entries.map { $0["status"] } == [200, 200, 401])
        #expect(!lines.joined().contains(token))
        await server.stop()
    }

    @Test func instanceMemoryIsResidentWhileTheInstanceLivesAndFreedWithIt() async throws {
        let root = try TemporaryDirectory()
        let server = try await Subject.fake(knobs: ["INTROSPECTION": "1", "INSTANCE_MEMORY_MIB": "64"])
        let query = "?" + Shapes.directoryQuery(root.path)
        func resident() async throws -> Int64 {
            try #require(try await server.client.json("GET", "/__fake/state")["residentBytes"]?.int64Value)
        }
        let before = try await resident()
        _ = try await server.client.json("GET", "/path" + query)
        let warm = try await resident()
        let state = try await server.client.json("GET", "/__fake/state")
        #expect(state["instances"]?[0]?["heldBytes"] == .integer(64 << 20))
        #expect(warm - before >= 60 << 20, "resident grew by \(warm - before) bytes")
        _ = try await server.client.json("POST", "/instance/dispose" + query)
        let after = try await resident()
        #expect(warm - after >= 60 << 20, "resident shrank by \(warm - after) bytes after disposal")
        await server.stop()
    }

    @Test func unknownKnobIsRejected() async throws {
        let process = try TestProcess(
            Subject.fake.executable,
            OpenCodeProcess.serveArguments,
            environment: Subject.environment(["FAKE_OPENCODE_HANG_AFTER": "1"])
        )
        #expect(try await process.waitForExit(within: .seconds(30)).code == 2)
        #expect(process.errorOutput.contains("FAKE_OPENCODE_HANG_AFTER"))
    }
}
