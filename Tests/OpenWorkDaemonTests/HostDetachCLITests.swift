import Foundation
import NIOHTTP1
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `openwork serve --detach` → `openwork status` → `openwork stop`, through the built binary and a daemon.
@Suite("host mode detached into the daemon", .timeLimit(.minutes(5)))
struct HostDetachCLITests {
    static let server = ["OPENWORK_OPENWORK_SERVER_BIN": HostOperationsFixture.server]

    @Test("serve --detach hands the services to the daemon; status lists them; stop leaves no process behind")
    func detachStatusStop() async throws {
        let fixture = try DaemonFixture("detach")
        let workspace = try fixture.root.makeDirectories("w/site")[0]
        let owner = DataDirectory(path: fixture.dataDirectory).path
        try await fixture.scoped {
            defer { Self.killMarked(owner) }
            let detached = try await fixture.openwork(
                ["serve", "--detach", "--workspace", workspace], extraEnvironment: Self.server)
            #expect(detached.exit.code == 0, "\(detached.errors)")
            let lines = detached.output.split(separator: "\n").map(String.init)
            #expect(lines.first == "Detached. Services still running:")
            #expect(lines.contains("Credentials withheld from detached stdout."))
            #expect(lines.contains { $0.hasPrefix("OpenWork URL: http://127.0.0.1:") })
            #expect(lines.contains { $0.hasPrefix("OpenCode URL: http://127.0.0.1:") })
            let attach = try #require(lines.first { $0.hasPrefix("Attach: ") })
            #expect(
                attach.hasPrefix(
                    "Attach: OPENCODE_SERVER_USERNAME=[REDACTED] OPENCODE_SERVER_PASSWORD=[REDACTED] opencode attach"))
            #expect(fixture.daemonProcesses.count == 1, "the daemon was started")

            let status = try await fixture.json(["status"])
            #expect(status.exit.code == 0)
            let host = try #require(status.value["host"])
            #expect(host["state"] == "running")
            let pids = HostOperationsFixture.pids(host)
            #expect(pids.keys.sorted() == ["opencode", "openwork-server"])
            for (name, pid) in pids { #expect(lines.contains("- \(name) (pid \(pid))")) }
            #expect(host["connection"]?["openwork"]?["hostToken"] == .null, "status shows no credential")

            // No secret on any argv (the daemon's included) nor on stdout.
            let request: JSONValue = [
                "jsonrpc": "2.0", "id": 1, "method": "host.status", "params": ["includeSecrets": true],
            ]
            let answer = try await fixture.http(.POST, "/rpc", request)
            let secrets = HostOperationsFixture.secrets(answer.body["result"] ?? .null)
            #expect(secrets.count == 4)
            for pid in fixture.daemonProcesses + Array(pids.values) {
                let line = HostOperationsFixture.commandLine(pid)
                #expect(secrets.allSatisfy { !line.contains($0) }, "no secret on the argv of \(pid): \(line)")
            }
            #expect(secrets.allSatisfy { !detached.output.contains($0) && !detached.errors.contains($0) })

            let again = try await fixture.json(
                ["serve", "--detach", "--workspace", workspace], extraEnvironment: Self.server)
            #expect(again.exit.code == 1)
            #expect(again.value["kind"] == "host_already_running")

            let stop = try await fixture.openwork(["stop"])
            #expect(stop.exit.code == 0)
            #expect(stop.output.contains("opencode (pid \(pids["opencode"] ?? 0))"))
            #expect(OwnedProcesses.marked(owner: owner).isEmpty, "no process of the data directory remains")
            #expect(pids.values.allSatisfy(ProcessIdentity.isGone))
            #expect(fixture.daemonProcesses.count == 1, "the daemon keeps running")
            let after = try await fixture.json(["status"])
            #expect(after.value["host"]?["state"] == "stopped")
            #expect(try await fixture.json(["stop"]).value["stopped"] == false)
        }
    }

    @Test("--detach --json answers the anchor's object with its credentials, for the caller only")
    func detachJSON() async throws {
        let fixture = try DaemonFixture("detach-json")
        let workspace = try fixture.root.makeDirectories("w/site")[0]
        let owner = DataDirectory(path: fixture.dataDirectory).path
        try await fixture.scoped {
            defer { Self.killMarked(owner) }
            let detached = try await fixture.json(
                ["start", "--detach", "--workspace", workspace], extraEnvironment: Self.server)
            #expect(detached.exit.code == 0)
            #expect(detached.value["ok"] == true)
            #expect(detached.value["detached"] == true)
            #expect(detached.value["workspace"] == .string(workspace))
            #expect(detached.value["openwork"]?["ownerToken"]?.stringValue?.isEmpty == false)
            #expect(detached.value["opencode"]?["password"]?.stringValue?.count == 64)
            #expect(HostOperationsFixture.pids(detached.value).count == 2)
            let stop = try await fixture.json(["stop"])
            #expect(stop.value["stopped"] == true)
            #expect(OwnedProcesses.marked(owner: owner).isEmpty)
        }
    }

    @Test("openwork events follows the services' events (service.*, host.*) through the daemon's event stream")
    func eventsThroughTheDaemon() async throws {
        let fixture = try DaemonFixture("detach-events")
        let workspace = try fixture.root.makeDirectories("w/site")[0]
        let owner = DataDirectory(path: fixture.dataDirectory).path
        try await fixture.scoped {
            defer { Self.killMarked(owner) }
            #expect(try await fixture.json(["daemon", "start"], extraEnvironment: Self.server).value["ok"] == true)
            let events = try TestProcess(
                DaemonFixture.openwork,
                ["events", "--types", "service.*,host.*", "--data-dir", fixture.dataDirectory],
                environment: fixture.environment)
            #expect(try await events.readErrorLine(within: .seconds(30))?.contains("following events") == true)
            let detached = try await fixture.openwork(["serve", "--detach", "--workspace", workspace])
            #expect(detached.exit.code == 0, "\(detached.errors)")
            var seen: [String] = []
            while !(seen.contains("host.started") && seen.contains("service.ready openwork-server")) {
                let line = try #require(try await events.readLine(within: .seconds(60)))
                let event = try JSONValue(parsing: line)
                let type = event["type"]?.stringValue ?? "?"
                seen.append(event["service"]?.stringValue.map { type + " " + $0 } ?? type)
            }
            #expect(
                seen.filter { $0.hasPrefix("service.") }.prefix(4) == [
                    "service.starting opencode", "service.ready opencode", "service.starting openwork-server",
                    "service.ready openwork-server",
                ])
            #expect(try await fixture.json(["stop"]).value["stopped"] == true)
            while !seen.contains("host.stopped") {
                let line = try #require(try await events.readLine(within: .seconds(60)))
                seen.append(try JSONValue(parsing: line)["type"]?.stringValue ?? "?")
            }
            #expect(try await fixture.json(["daemon", "stop"]).value["ok"] == true)
            #expect(try await events.waitForExit(within: .seconds(30)).code == 0)
        }
    }

    /// Whatever happened, nothing of the data directory outlives the test.
    static func killMarked(_ owner: String) {
        for process in OwnedProcesses.marked(owner: owner) { kill(-process.group, SIGKILL) }
    }
}
