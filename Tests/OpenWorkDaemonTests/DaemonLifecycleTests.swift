import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenWorkClient
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `openwork daemon run|start|stop|status` through the built binary, supervising `fake-opencode`.
@Suite("daemon lifecycle", .timeLimit(.minutes(3)))
struct DaemonLifecycleTests {
    /// One JSON-RPC call to the daemon over HTTP with the token from the data directory.
    static func call(_ fixture: DaemonFixture, _ method: String, _ params: JSONValue? = nil) async throws -> JSONValue {
        let record = try #require(fixture.state?["daemon"])
        let baseURL = try #require(record["baseUrl"]?.stringValue)
        let token = try String(contentsOfFile: fixture.dataDirectory + "/daemon-token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var request = HTTPClientRequest(url: baseURL + "/rpc")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        var message: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": .string(method)]
        if let params { message["params"] = params }
        request.body = .bytes(ByteBuffer(bytes: try message.serializedBytes(.compact)))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        return try JSONValue(parsing: Array(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    static func status(of url: String, token: String? = nil) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    static func mode(_ path: String) -> mode_t {
        // FileManager rather than stat(2): the struct's module is ambiguous to MemberImportVisibility here.
        let permissions = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
        return mode_t(permissions ?? 0)
    }

    @Test("status before start is daemon_not_running; start records the daemon; stop clears everything")
    func startStatusStop() async throws {
        let fixture = try DaemonFixture()
        try await fixture.scoped {
            let before = try await fixture.json(["daemon", "status"])
            #expect(before.exit.code == 1)
            #expect(before.value["ok"] == false)
            #expect(before.value["kind"] == "daemon_not_running")
            #expect(fixture.daemonProcesses.isEmpty, "status never starts a daemon")

            let started = try await fixture.json(["daemon", "start"])
            #expect(started.exit.code == 0)
            #expect(started.value["ok"] == true)
            #expect(started.value["alreadyRunning"] == false)
            let pid = try #require(started.value["pid"]?.int64Value.flatMap { Int32(exactly: $0) })
            let baseURL = try #require(started.value["baseUrl"]?.stringValue)
            let port = try #require(started.value["port"]?.int64Value)
            #expect(baseURL == "http://127.0.0.1:\(port)")
            #expect(fixture.daemonProcesses == [pid])
            #expect(getpgid(pid) == pid && getsid(pid) == pid, "the daemon leads its own session and group")

            let record = try #require(fixture.state?["daemon"])
            #expect(record["pid"]?.int64Value == Int64(pid))
            #expect(record["baseUrl"]?.stringValue == baseURL)
            #expect(record["startedAt"]?.int64Value != nil)

            let tokenPath = fixture.dataDirectory + "/daemon-token"
            let token = try String(contentsOfFile: tokenPath, encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(token.count == 64)
            #expect(Self.mode(tokenPath) == 0o600)
            #expect(Self.mode(fixture.dataDirectory) == 0o700)
            #expect(Self.mode(fixture.dataDirectory + "/logs") == 0o700)
            #expect(Self.mode(fixture.dataDirectory + "/logs/daemon.log") == 0o600)

            #expect(try await Self.status(of: baseURL + "/health") == 200)
            #expect(try await Self.status(of: baseURL + "/openrpc.json") == 401)
            #expect(try await Self.status(of: baseURL + "/openrpc.json", token: token) == 200)
            #expect(try await Self.call(fixture, "health")["result"]?["pid"]?.int64Value == Int64(pid))

            let status = try await fixture.json(["daemon", "status"])
            #expect(status.exit.code == 0)
            #expect(status.value["running"] == true)
            #expect(status.value["pid"]?.int64Value == Int64(pid))
            #expect(status.value["health"]?["ok"] == true)

            let again = try await fixture.json(["daemon", "start"])
            #expect(again.value["alreadyRunning"] == true)
            #expect(again.value["pid"]?.int64Value == Int64(pid))

            let stopped = try await fixture.json(["daemon", "stop"])
            #expect(stopped.exit.code == 0)
            #expect(stopped.value["ok"] == true)
            #expect(FakeOpenCode.isGone(pid))
            #expect(fixture.state?["daemon"] == nil, "the record is cleared on exit")
            #expect(!FileManager.default.fileExists(atPath: tokenPath), "the token dies with the daemon")

            let after = try await fixture.json(["daemon", "stop"])
            #expect(after.exit.code == 1)
            #expect(after.value["kind"] == "daemon_not_running")
            let human = try await fixture.openwork(["daemon", "status"])
            #expect(human.exit.code == 1)
            #expect(human.errors.contains("not running"))
        }
    }

    @Test("daemon stop returns only once the daemon and the opencode it started are gone")
    func stopWaitsForOpencode() async throws {
        let fixture = try DaemonFixture()
        let workspace = try fixture.root.makeDirectories("w/project")[0]
        try await fixture.scoped {
            #expect(try await fixture.json(["daemon", "start"]).exit.code == 0)
            _ = try await Self.call(fixture, "workspace.add", ["path": .string(workspace)])
            let path = try await Self.call(fixture, "workspace.path", ["id": .string(workspace)])
            #expect(path["result"]?["path"]?["directory"]?.stringValue == workspace)
            let opencode = try #require(
                try await Self.call(fixture, "opencode.status")["result"]?["pid"]?.int64Value.flatMap {
                    Int32(exactly: $0)
                })
            let daemon = try #require(fixture.daemonProcesses.first)
            let stopped = try await fixture.json(["daemon", "stop"])
            #expect(stopped.value["ok"] == true)
            #expect(FakeOpenCode.isGone(daemon))
            #expect(FakeOpenCode.isGone(opencode))
            #expect(fixture.state?["opencode"] == nil)
            #expect(fixture.state?["workspaces"]?.arrayValue?.count == 1)
        }
    }

    @Test("daemon run in the foreground: SIGTERM stops opencode, clears the record and exits 0")
    func foregroundSigterm() async throws {
        let fixture = try DaemonFixture()
        let workspace = try fixture.root.makeDirectories("w/project")[0]
        try await fixture.scoped {
            let daemon = try TestProcess(
                DaemonFixture.openwork, ["daemon", "run", "--data-dir", fixture.dataDirectory],
                environment: fixture.environment)
            let line = try await daemon.readErrorLine(within: .seconds(15)) ?? ""
            #expect(line.contains("serving http://127.0.0.1:"))
            #expect(fixture.state?["daemon"]?["pid"]?.int64Value == Int64(daemon.pid))
            _ = try await Self.call(fixture, "workspace.add", ["path": .string(workspace)])
            _ = try await Self.call(fixture, "workspace.path", ["id": .string(workspace)])
            let opencode = try #require(
                try await Self.call(fixture, "opencode.status")["result"]?["pid"]?.int64Value.flatMap {
                    Int32(exactly: $0)
                })
            daemon.signal(SIGTERM)
            #expect(try await daemon.waitForExit(within: .seconds(15)).code == 0)
            #expect(FakeOpenCode.isGone(opencode))
            #expect(fixture.state?["daemon"] == nil)
            #expect(fixture.state?["opencode"] == nil)
        }
    }

    @Test("a second daemon run on an owned data directory exits 3 with data_dir_locked and writes nothing")
    func secondDaemonRefused() async throws {
        let fixture = try DaemonFixture()
        try await fixture.scoped {
            let started = try await fixture.json(["daemon", "start"])
            let token = try String(contentsOfFile: fixture.dataDirectory + "/daemon-token", encoding: .utf8)
            let second = try await fixture.openwork(["daemon", "run"])
            #expect(second.exit.code == 3)
            #expect(second.errors.contains("data_dir_locked"))
            #expect(try String(contentsOfFile: fixture.dataDirectory + "/daemon-token", encoding: .utf8) == token)
            #expect(fixture.state?["daemon"]?["pid"] == started.value["pid"])
        }
    }

    @Test("10 concurrent daemon start on one data directory: exactly one daemon, every caller reports it (R9)")
    func concurrentStarts() async throws {
        let fixture = try DaemonFixture()
        try await fixture.scoped {
            let results = try await withThrowingTaskGroup(of: JSONValue.self) { group in
                for _ in 0..<10 { group.addTask { try await fixture.json(["daemon", "start"]).value } }
                return try await group.reduce(into: [JSONValue]()) { $0.append($1) }
            }
            #expect(results.count == 10)
            #expect(results.allSatisfy { $0["ok"] == true }, "\(results)")
            let pids = Set(results.compactMap { $0["pid"]?.int64Value })
            #expect(pids.count == 1)
            #expect(results.filter { $0["alreadyRunning"] == false }.count >= 1)
            let alive = await FakeOpenCode.eventually(within: .seconds(30)) { fixture.daemonProcesses.count == 1 }
            #expect(alive, "\(fixture.daemonProcesses)")
            #expect(fixture.daemonProcesses.map(Int64.init) == Array(pids))
            #expect(try await fixture.json(["daemon", "stop"]).value["ok"] == true)
            #expect(fixture.daemonProcesses.isEmpty)
        }
    }

    @Test("a spawned child that is not the daemon that serves is terminated and reaped before start returns")
    func losingChildIsTerminated() async throws {
        let fixture = try DaemonFixture("launcher-loser")
        // GNU sleep adds its arguments up: the odd fraction marks this test's child (`sh`, then `sleep`).
        let marker = "0.\(UInt32.random(in: 100_000...999_999))"
        // The child gets another daemon serving (a separate process), then stays: a `daemon run` that lost the
        // race but has not exited yet, as on a slow machine.
        let script = #""$0" daemon start --data-dir "$1" >/dev/null 2>&1; exec sleep 60 "$2""#
        try await fixture.scoped {
            let started = try await DaemonLauncher.start(
                executable: "/bin/sh",
                arguments: ["-c", script, DaemonFixture.openwork, fixture.dataDirectory, marker],
                environment: fixture.environment, dataDirectory: DataDirectory(path: fixture.dataDirectory),
                within: .seconds(60))
            #expect(started.alreadyRunning, "the daemon that serves was not started by this launcher's child")
            #expect(fixture.daemonProcesses.map(Int64.init) == [Int64(started.record.pid)])
            #expect(
                fixture.commandLines(containing: marker).isEmpty,
                "the launcher's own child is gone when start returns")
            #expect(try await fixture.json(["daemon", "stop"]).value["ok"] == true)
        }
    }

    @Test("a daemon SIGKILLed with opencode running: opencode dies with it, the next start serves one (R8)")
    func killedDaemonLeavesNoOrphan() async throws {
        let fixture = try DaemonFixture()
        let workspace = try fixture.root.makeDirectories("w/project")[0]
        try await fixture.scoped {
            let first = try await fixture.json(["daemon", "start"])
            let firstPID = try #require(first.value["pid"]?.int64Value.flatMap { Int32(exactly: $0) })
            _ = try await Self.call(fixture, "workspace.add", ["path": .string(workspace)])
            _ = try await Self.call(fixture, "workspace.path", ["id": .string(workspace)])
            let orphan = try #require(fixture.state?["opencode"]?["pid"]?.int64Value.flatMap { Int32(exactly: $0) })
            kill(firstPID, SIGKILL)
            #expect(await FakeOpenCode.eventually { FakeOpenCode.isGone(firstPID) })
            // The kernel ends the opencode of a dead engine; OrphanTests covers every instant of the start.
            #expect(await FakeOpenCode.eventually(within: .seconds(20)) { FakeOpenCode.isGone(orphan) })

            let second = try await fixture.json(["daemon", "start"])
            #expect(second.value["ok"] == true)
            #expect(second.value["alreadyRunning"] == false)
            let path = try await Self.call(fixture, "workspace.path", ["id": .string(workspace)])
            #expect(path["result"]?["path"]?["directory"]?.stringValue == workspace)
            #expect(try await fixture.json(["daemon", "stop"]).value["ok"] == true)
        }
    }

    @Test("daemon start with a missing or non-executable --opencode-bin fails at once, naming it, starting nothing")
    func badOpenCodeBinary() async throws {
        let fixture = try DaemonFixture()
        let plain = fixture.root.appending("plain-file")
        try "not a program\n".write(toFile: plain, atomically: true, encoding: .utf8)
        try await fixture.scoped {
            for binary in [fixture.root.appending("no/such/opencode"), plain] {
                let result = try await fixture.json(["daemon", "start", "--opencode-bin", binary])
                #expect(result.exit.code == 1)
                #expect(result.value["kind"] == "opencode_not_found")
                #expect(result.value["error"]?.stringValue?.contains(binary) == true, "\(result.value)")
            }
            #expect(fixture.daemonProcesses.isEmpty)
        }
    }

    @Test("a non-loopback --daemon-host is a usage error")
    func nonLoopbackHostRefused() async throws {
        let fixture = try DaemonFixture()
        let result = try await fixture.openwork(["daemon", "run", "--daemon-host", "0.0.0.0"])
        #expect(result.exit.code == 64)
        #expect(result.errors.contains("loopback"))
        #expect(fixture.daemonProcesses.isEmpty)
    }
}

@Suite("daemon start against an openwork rpc owner", .timeLimit(.minutes(2)))
struct DaemonStartLockedTests {
    @Test("daemon start on a directory owned by openwork rpc fails with data_dir_locked, leaving no daemon")
    func ownedByRPC() async throws {
        let fixture = try DaemonFixture("locked")
        let workspace = try fixture.root.makeDirectories("w/project")[0]
        try await fixture.scoped {
            let rpc = try TestProcess(
                DaemonFixture.openwork, ["rpc", "--data-dir", fixture.dataDirectory], environment: fixture.environment)
            for (id, method) in [(1, "workspace.add"), (2, "workspace.path")] {
                try await rpc.writeLine(
                    #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":{"\#(id == 1 ? "path" : "id")":"\#(workspace)"}}"#
                )
                _ = try await rpc.readLine(within: .seconds(15))
            }
            // The launcher waits out this deadline once its daemon has lost the lock (another daemon could still
            // come to serve), so it is short; but the daemon must first get as far as the lock, which took over
            // 1.5 s on a loaded machine: 15 s, ten times that.
            let started = try await fixture.json(
                ["daemon", "start"], extraEnvironment: ["OPENWORK_DAEMON_START_TIMEOUT_MS": "15000"])
            #expect(started.exit.code == 1)
            #expect(started.value["kind"] == "data_dir_locked")
            #expect(fixture.daemonProcesses.isEmpty)
            rpc.closeInput()
            #expect(try await rpc.waitForExit(within: .seconds(10)).code == 0)
        }
    }
}
