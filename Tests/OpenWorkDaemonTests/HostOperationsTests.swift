import Foundation
import OpenWorkCore
import OpenWorkHost
import OpenWorkJSON
import OpenWorkRPC
import OpenWorkSystem
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `host.start`, `host.status`, `host.stop` through the method table, against the fakes.
@Suite("host mode operations", .timeLimit(.minutes(5)))
struct HostOperationsTests {
    let fixture: HostOperationsFixture

    init() throws {
        fixture = try HostOperationsFixture()
    }

    @Test("host.start answers once both services are ready, without credentials; status, events, logs, then stop")
    func startStatusStop() async throws {
        try await fixture.withHost { context in
            let events = context.engine.events.subscribe()
            let started = try await context.call("host.start", ["workspace": .string(fixture.workspace)])
            #expect(started["workspace"] == .string(fixture.workspace))
            #expect(started["opencode"]?["password"] == .null, "no credential unless asked for")
            #expect(started["openwork"]?["hostToken"] == .null)
            #expect(started["openwork"]?["ownerToken"] == .null)
            #expect(started["openwork"]?["baseUrl"]?.stringValue?.hasPrefix("http://127.0.0.1:") == true)
            let pids = HostOperationsFixture.pids(started)
            #expect(pids.keys.sorted() == ["opencode", "openwork-server"])
            #expect(started["services"]?.arrayValue?.allSatisfy { $0["state"] == "ready" } == true)

            // The services' events, in causal order: each service starts, then is ready; opencode before
            // openwork-server. (They are republished from the supervisors' own events by a task of their own, so
            // host.started may come before the last of them.)
            var seen: [String] = []
            var hostStarted = false
            for await event in events {
                let type = event["type"]?.stringValue ?? ""
                if type.hasPrefix("service.") { seen.append(type + " " + (event["service"]?.stringValue ?? "?")) }
                hostStarted = hostStarted || type == "host.started"
                if hostStarted && seen.count >= 4 { break }
            }
            #expect(
                seen == [
                    "service.starting opencode", "service.ready opencode", "service.starting openwork-server",
                    "service.ready openwork-server",
                ])

            let again = await context.failure("host.start", ["workspace": .string(fixture.workspace)])
            #expect(again?.kind == "host_already_running")
            #expect(again?.code == -32_008)

            let status = try await context.call("host.status")
            #expect(status["running"] == true)
            #expect(status["state"] == "running")
            #expect(HostOperationsFixture.pids(status) == pids)
            for service in status["services"]?.arrayValue ?? [] {
                #expect(service["healthy"] == true)
                #expect((service["port"]?.int64Value ?? 0) > 0)
                #expect((service["uptimeMs"]?.int64Value ?? -1) >= 0)
                #expect(service["restarts"] == 0)
            }
            #expect(status["connection"]?["opencode"]?["password"] == .null)
            let secret = try await context.call("host.status", ["includeSecrets": true])
            let secrets = HostOperationsFixture.secrets(secret)
            #expect(secrets.count == 4, "password, collaborator, host and owner tokens when asked for")

            for (name, pid) in pids {
                let line = HostOperationsFixture.commandLine(pid)
                #expect(!line.isEmpty)
                #expect(secrets.allSatisfy { !line.contains($0) }, "no secret on \(name)'s argv")
            }
            for name in ["opencode", "openwork-server"] {
                let path = fixture.dataDirectory.path + "/logs/\(name).log"
                #expect(HostOperationsFixture.mode(path) == 0o600)
                let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                #expect(text.contains("listening on"), "\(name)'s output is in its log")
                #expect(secrets.allSatisfy { !text.contains($0) }, "no secret in \(name).log")
            }

            let stopped = try await context.call("host.stop")
            #expect(stopped["stopped"] == true)
            #expect(HostOperationsFixture.pids(stopped) == pids)
            for pid in pids.values { #expect(ProcessIdentity.isGone(pid), "stopped before host.stop answered") }
            let after = try await context.call("host.status")
            #expect(after["running"] == false)
            #expect(after["state"] == "stopped")
            #expect(try await context.call("host.stop")["stopped"] == false)

            // opencode serves the engine's workspaces again, as the engine configured it.
            _ = try await context.engine.add(path: fixture.other, name: nil, cwd: nil)
            let path = try await context.engine.path(fixture.other, cwd: nil)
            #expect(path.path["directory"] == .string(fixture.other))
            let opencode = try #require(await context.engine.supervisor.snapshot.pid)
            #expect(opencode != pids["opencode"])
        }
    }

    @Test("includeSecrets answers with the credentials the services run with")
    func includeSecrets() async throws {
        try await fixture.withHost { context in
            let started = try await context.call(
                "host.start", ["workspace": .string(fixture.workspace), "includeSecrets": true])
            #expect(started["opencode"]?["password"]?.stringValue?.count == 64)
            #expect(started["openwork"]?["hostToken"]?.stringValue?.isEmpty == false)
            #expect(started["openwork"]?["ownerToken"]?.stringValue?.isEmpty == false)
        }
    }

    @Test("a missing openwork-server fails the start and leaves the running opencode alone")
    func missingServer() async throws {
        try await fixture.withHost(serverBinary: fixture.root.appending("nowhere/openwork-server")) { context in
            _ = try await context.engine.add(path: fixture.other, name: nil, cwd: nil)
            _ = try await context.engine.path(fixture.other, cwd: nil)
            let before = try #require(await context.engine.supervisor.snapshot.pid)
            let error = await context.failure("host.start", ["workspace": .string(fixture.workspace)])
            #expect(error != nil)
            #expect(await context.engine.supervisor.snapshot.pid == before)
            #expect(try await context.call("host.status")["running"] == false)
        }
    }

    @Test("a link planted at a service's log file refuses the start before anything runs")
    func linkedLogRefused() async throws {
        let logs = fixture.dataDirectory.path + "/logs"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let target = fixture.root.appending("elsewhere.log")
        try FileManager.default.createSymbolicLink(atPath: logs + "/openwork-server.log", withDestinationPath: target)
        try await fixture.withHost { context in
            let error = await context.failure("host.start", ["workspace": .string(fixture.workspace)])
            #expect(error?.kind == "data_dir_unsafe")
            #expect(!FileManager.default.fileExists(atPath: target), "nothing created at the link's target")
            #expect(await context.engine.supervisor.snapshot.pid == nil, "opencode was not started")
        }
    }

    @Test("with exitOnChildFailure a service that exits ends the run: everything stopped, host.stopped says why")
    func runEndsOnItsOwn() async throws {
        try await fixture.withHost { context in
            let started = try await context.call(
                "host.start", ["workspace": .string(fixture.workspace), "exitOnChildFailure": true])
            let pids = HostOperationsFixture.pids(started)
            let server = try #require(pids["openwork-server"])
            let events = context.engine.events.subscribe()
            kill(server, SIGKILL)
            var stoppedEvent: JSONValue?
            for await event in events where event["type"] == "host.stopped" {
                stoppedEvent = event
                break
            }
            #expect(stoppedEvent?["service"] == "openwork-server")
            #expect(stoppedEvent?["exitCode"]?.int64Value ?? 0 != 0)
            let status = try await context.call("host.status")
            #expect(status["running"] == false)
            #expect(status["lastEnd"]?["service"] == "openwork-server")
            #expect(pids.values.allSatisfy(ProcessIdentity.isGone), "every service stopped")
        }
    }

    @Test("host.start needs an absolute workspace without cwd; a bad setting is invalid_setting")
    func badParams() async throws {
        try await fixture.withHost { context in
            #expect(await context.failure("host.start", ["workspace": "relative/dir"])?.kind == "invalid_params")
            #expect(await context.failure("host.start", ["unknown": true])?.kind == "invalid_params")
            let port = await context.failure(
                "host.start", ["workspace": .string(fixture.workspace), "openworkPort": 70_000])
            #expect(port?.kind == "invalid_setting")
            #expect(await context.engine.supervisor.snapshot.pid == nil)
        }
    }
}

/// The ways a start does not end with a running host, and the checks.
@Suite("host mode operations: checks, failed and interrupted starts", .timeLimit(.minutes(5)))
struct HostStartOutcomeTests {
    let fixture: HostOperationsFixture

    init() throws {
        fixture = try HostOperationsFixture()
    }

    @Test("check and checkEvents run before host.start answers; the host keeps running afterwards")
    func checksPass() async throws {
        try await fixture.withHost { context in
            let started = try await context.call(
                "host.start", ["workspace": .string(fixture.workspace), "check": true, "checkEvents": true])
            #expect(HostOperationsFixture.pids(started).count == 2)
            #expect(try await context.call("host.status")["running"] == true)
        }
    }

    @Test("a server that fails verification fails the start, and nothing of the run is left")
    func failedStartLeavesNothing() async throws {
        try await fixture.withHost(environment: ["FAKE_OPENWORK_WRONG_CREDENTIALS": "1"]) { context in
            let error = await context.failure("host.start", ["workspace": .string(fixture.workspace)])
            let kind = error?.kind ?? "none"
            #expect(["service_start_failed", "service_unavailable"].contains(kind), "\(kind)")
            let status = try await context.call("host.status")
            #expect(status["running"] == false)
            #expect(await context.engine.supervisor.snapshot.pid == nil, "opencode stopped with the run")
            #expect(OwnedProcesses.marked(owner: fixture.dataDirectory.path).isEmpty)
        }
    }

    @Test("host.stop while openwork-server starts cuts the start short: it answers host_stopped, nothing is left")
    func stopWhileStarting() async throws {
        try await fixture.withHost(environment: ["FAKE_OPENWORK_START_DELAY_MS": "600000"]) { context in
            let start = Task { await context.failure("host.start", ["workspace": .string(fixture.workspace)]) }
            // Until openwork-server runs (and cannot be ready for ten minutes); a hang deadline: it takes a second,
            // and over a minute in the whole suite on a machine loaded beyond its cores.
            let running = try await FakeOpenCode.eventually(within: .seconds(300)) {
                let status = try await context.call("host.status")
                return status["state"] == "starting" && HostOperationsFixture.pids(status)["openwork-server"] != nil
            }
            #expect(running)
            let stopped = try await context.call("host.stop")
            #expect(stopped["stopped"] == true)
            #expect(await start.value?.kind == "host_stopped")
            #expect(try await context.call("host.status")["state"] == "stopped")
            #expect(OwnedProcesses.marked(owner: fixture.dataDirectory.path).isEmpty)
        }
    }
}
