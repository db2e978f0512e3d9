import Foundation
import NIOHTTP1
import OpenWorkClient
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The CLI wrappers through the built binary: each command is one RPC call to the daemon.
@Suite("CLI wrappers", .timeLimit(.minutes(3)))
struct CLITests {
    @Test("the seed's strategy through the CLI: auto-started daemon, two workspaces, one opencode, dispose, errors")
    func seedStrategy() async throws {
        let fixture = try DaemonFixture("cli")
        let directories = try fixture.root.makeDirectories("w/alpha", "w/beta", "home/gamma")
        let work = fixture.root.appending("w")
        try await fixture.scoped {
            let noDaemon = try await fixture.json(["status"])
            #expect(noDaemon.exit.code == 1)
            #expect(noDaemon.value["ok"] == false)
            #expect(noDaemon.value["kind"] == "daemon_not_running")
            #expect(noDaemon.value["error"]?.stringValue?.contains("not running") == true)
            #expect(try await fixture.json(["opencode", "status"]).value["kind"] == "daemon_not_running")
            #expect(fixture.daemonProcesses.isEmpty, "status and opencode never start a daemon")

            let alpha = try await fixture.json(["workspace", "add", "alpha"], workingDirectory: work)
            #expect(alpha.exit.code == 0)
            #expect(alpha.value["ok"] == true)
            #expect(alpha.value["workspace"]?["path"]?.stringValue == directories[0], "relative to the caller")
            #expect(fixture.daemonProcesses.count == 1, "workspace commands start the daemon")
            let beta = try await fixture.json(["workspace", "add", "./beta", "--name", "Beta"], workingDirectory: work)
            #expect(beta.value["workspace"]?["name"] == "Beta")
            let gamma = try await fixture.json(
                ["workspace", "add", "~/gamma"], extraEnvironment: ["HOME": fixture.root.appending("home")])
            #expect(gamma.value["workspace"]?["path"]?.stringValue == directories[2], "~ is the caller's home")
            let alphaID = try #require(alpha.value["workspace"]?["id"]?.stringValue)

            let list = try await fixture.json(["workspace", "list"])
            #expect(list.value["ok"] == true)
            #expect(list.value["workspaces"]?.arrayValue?.count == 3)
            #expect(list.value["activeId"]?.stringValue == alphaID)
            let table = try await fixture.openwork(["workspace", "list"])
            #expect(table.output.hasPrefix("   ID"))
            #expect(table.output.contains("*  \(alphaID)"))

            let pathA = try await fixture.json(["workspace", "path", "alpha"])
            #expect(pathA.value["path"]?["directory"]?.stringValue == directories[0])
            let firstPID = try await fixture.json(["opencode", "status"]).value["pid"]
            let pathB = try await fixture.json(["workspace", "path", "beta"], workingDirectory: work)
            #expect(pathB.value["path"]?["directory"]?.stringValue == directories[1])
            let status = try await fixture.json(["opencode", "status"])
            #expect(status.value["state"] == "ready")
            #expect(status.value["pid"] == firstPID, "one opencode serves both workspaces")

            let disposed = try await fixture.json(["instance", "dispose", alphaID])
            #expect(disposed.value["disposed"] == true)
            let again = try await fixture.json(["workspace", "path", alphaID])
            #expect(again.value["path"]?["directory"]?.stringValue == directories[0])
            #expect(try await fixture.json(["opencode", "status"]).value["pid"] == firstPID)

            let invalid = try await fixture.json(["workspace", "add", "/definitely/not/here"])
            #expect(invalid.exit.code == 1)
            #expect(invalid.value["ok"] == false)
            #expect(invalid.value["kind"] == "invalid_path")
            #expect(invalid.value["error"]?.stringValue?.isEmpty == false)
            let human = try await fixture.openwork(["workspace", "info", "nope"])
            #expect(human.exit.code == 1)
            #expect(human.output.isEmpty)
            #expect(human.errors.contains("workspace_not_found"))
            #expect(human.errors.split(separator: "\n").count == 1)

            let switched = try await fixture.json(["workspace", "switch", "Beta"])
            #expect(switched.value["activeId"] == beta.value["workspace"]?["id"])
            let health = try await fixture.json(["status"])
            #expect(health.value["ok"] == true)
            #expect(health.value["workspaceCount"] == 3)
            #expect(health.value["activeId"] == beta.value["workspace"]?["id"])

            let connect = try await fixture.json(["workspace", "connect", "alpha"], workingDirectory: work)
            let password = try #require(connect.value["password"]?.stringValue)
            let token = try #require(fixture.token)
            #expect(fixture.commandLines(containing: token).isEmpty, "the token is on no command line")
            #expect(fixture.commandLines(containing: password).isEmpty, "the password is on no command line")

            let removed = try await fixture.json(["workspace", "remove", "./beta"], workingDirectory: work)
            #expect(removed.value["workspace"]?["path"]?.stringValue == directories[1])
            #expect(try await fixture.json(["workspace", "list"]).value["workspaces"]?.arrayValue?.count == 2)

            let usage = try await fixture.openwork(["workspace", "add"])
            #expect(usage.exit.code == 64)
            #expect(try await fixture.json(["daemon", "stop"]).value["ok"] == true)
        }
    }

    @Test("an empty or blank path is invalid_path in every door: CLI, RPC workspace.add, REST POST /workspaces")
    func blankPathRefused() async throws {
        let fixture = try DaemonFixture("cli-blank-path")
        // A directory literally named by blanks: a blank path resolved against the caller's directory would exist.
        _ = try fixture.root.makeDirectories("w/   ")
        let work = fixture.root.appending("w")
        try await fixture.scoped {
            for path in ["", "   "] {
                let cli = try await fixture.json(["workspace", "add", path], workingDirectory: work)
                #expect(cli.exit.code == 1)
                #expect(cli.value["kind"] == "invalid_path", "CLI \"\(path)\": \(cli.value)")
                let rpc = try await DaemonLifecycleTests.call(
                    fixture, "workspace.add", ["path": .string(path), "cwd": .string(work)])
                #expect(rpc["error"]?["data"]?["kind"] == "invalid_path", "RPC \"\(path)\": \(rpc)")
                let rest = try await fixture.http(.POST, "/workspaces", ["path": .string(path), "cwd": .string(work)])
                #expect(rest.status == 400)
                #expect(rest.body["kind"] == "invalid_path", "REST \"\(path)\": \(rest.body)")
            }
            #expect(try await fixture.json(["workspace", "list"]).value["workspaces"]?.arrayValue?.count == 0)
            #expect(try await fixture.json(["daemon", "stop"]).value["ok"] == true)
        }
    }

    @Test("human output: one line per command, and the table for lists")
    func humanOutput() async throws {
        let fixture = try DaemonFixture("cli-human")
        let directory = try fixture.root.makeDirectories("w/project")[0]
        try await fixture.scoped {
            let added = try await fixture.openwork(["workspace", "add", directory])
            #expect(added.exit.code == 0)
            #expect(added.output.hasPrefix("added: ws-"))
            #expect(added.output.split(separator: "\n").count == 1)
            let status = try await fixture.openwork(["status"])
            #expect(status.output.contains(", 1 workspace, active"), "one, not \"1 workspaces\": \(status.output)")
            let opencode = try await fixture.openwork(["opencode", "status"])
            #expect(opencode.output.hasPrefix("opencode "))
            let stop = try await fixture.openwork(["daemon", "stop"])
            #expect(stop.output.hasPrefix("daemon stopped"))
        }
    }

    @Test("a recorded daemon that is alive but not listening: the call never left, so the slow path decides")
    func liveRecordNotListening() async throws {
        let fixture = try DaemonFixture("cli-not-listening")
        // A live process that is not a daemon, recorded as one, on a port nobody listens on.
        let impostor = try TestProcess("/bin/sleep", ["60"])
        let port = try LoopbackPort.closed()
        try FileManager.default.createDirectory(
            atPath: fixture.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let record: JSONValue = [
            "pid": .integer(Int64(impostor.pid)), "port": .integer(Int64(port)),
            "baseUrl": .string("http://127.0.0.1:\(port)"), "startedAt": 1,
            "startTicks": .integer(Int64(try #require(ProcessIdentity.startTicks(of: impostor.pid)))),
        ]
        let state: JSONValue = ["version": 1, "workspaces": [], "daemon": record]
        try Data(try state.serializedBytes(.pretty)).write(
            to: URL(fileURLWithPath: fixture.dataDirectory + "/openwork-orchestrator-state.json"))
        try DaemonToken.generate().write(to: DaemonToken.path(inDataDirectory: fixture.dataDirectory))
        try await fixture.scoped {
            // The fast path's connection is refused; without the fallback this would be daemon_unreachable.
            let status = try await fixture.json(["opencode", "status"])
            #expect(status.value["kind"] == "daemon_not_running", "\(status.value)")
            #expect(fixture.daemonProcesses.isEmpty)
            let list = try await fixture.json(["workspace", "list"])
            #expect(list.value["ok"] == true, "\(list.value)")
            #expect(fixture.daemonProcesses.count == 1, "the slow path started a real daemon")
            #expect(fixture.state?["daemon"]?["pid"]?.int64Value != Int64(impostor.pid))
        }
        _ = await impostor.stop(grace: .milliseconds(100))
    }

    @Test("boolean flags: --json, --json=yes|1|true, --no-json, --json=no; a bad value is a usage error")
    func booleanFlags() async throws {
        let fixture = try DaemonFixture("cli-booleans")
        for argument in ["--json", "--json=yes", "--json=1", "--json=TRUE"] {
            let result = try await fixture.openwork(["status", argument])
            #expect(result.exit.code == 1)
            #expect(result.output.hasPrefix(#"{"#), "\(argument) → JSON")
        }
        for arguments in [["--no-json"], ["--json=no"], ["--json", "--json=0"], ["--json=false"]] {
            let result = try await fixture.openwork(["status"] + arguments)
            #expect(result.exit.code == 1)
            #expect(result.output.isEmpty, "\(arguments) → a line on stderr")
            #expect(result.errors.hasPrefix("openwork: "))
        }
        let bad = try await fixture.openwork(["status", "--json=maybe"])
        #expect(bad.exit.code == 64)
        #expect(bad.errors.contains("--json takes true/1/yes or false/0/no"))
    }
}

@Suite("openwork events", .timeLimit(.minutes(2)))
struct EventsCommandTests {
    @Test("openwork events prints matching events as JSON lines and exits 0 when the daemon stops")
    func followsEvents() async throws {
        let fixture = try DaemonFixture("cli-events")
        let directory = try fixture.root.makeDirectories("w/project")[0]
        try await fixture.scoped {
            #expect(try await fixture.json(["daemon", "start"]).value["ok"] == true)
            let events = try TestProcess(
                DaemonFixture.openwork, ["events", "--types", "workspace.*", "--data-dir", fixture.dataDirectory],
                environment: fixture.environment)
            let ready = try await events.readErrorLine(within: .seconds(10))
            #expect(ready?.contains("following events") == true)
            _ = try await fixture.json(["workspace", "add", directory])
            let line = try #require(try await events.readLine(within: .seconds(10)))
            let event = try JSONValue(parsing: line)
            #expect(event["type"] == "workspace.added")
            #expect(event["time"]?.int64Value != nil)
            #expect(try await fixture.json(["daemon", "stop"]).value["ok"] == true)
            #expect(try await events.waitForExit(within: .seconds(30)).code == 0)
        }
    }

    @Test("the daemon runs opencode with the anchor's --opencode-log-level (and OPENWORK_OPENCODE_LOG_LEVEL)")
    func daemonPassesTheOpenCodeLogLevel() async throws {
        let fixture = try DaemonFixture("cli-opencode-options")
        let workspace = try fixture.root.makeDirectories("w")[0]
        try await fixture.scoped {
            let started = try await fixture.json(["daemon", "start", "--opencode-log-level", "DEBUG"])
            #expect(started.value["ok"] == true)
            #expect(try await fixture.json(["workspace", "add", workspace]).value["ok"] == true)
            #expect(try await fixture.json(["workspace", "path", workspace]).value["ok"] == true)
            // This daemon's children only: the processes carrying its data directory's mark.
            let opencode = OwnedProcesses.marked(owner: DataDirectory(path: fixture.dataDirectory).path).map(\.pid)
            #expect(opencode.count == 1)
            let argv = opencode.first.map {
                (try? String(contentsOfFile: "/proc/\($0)/cmdline", encoding: .utf8)) ?? ""
            }
            #expect(argv?.contains("--log-level\u{0}DEBUG") == true, "\(argv ?? "")")
        }
    }
}
