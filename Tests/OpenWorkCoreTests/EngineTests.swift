import Foundation
import OpenWorkCore
import OpenWorkJSON
import OpenWorkOperations
import OpenWorkRPC
import OpenWorkSystem
import OpenWorkTesting
import Testing

/// The engine in this process routing workspaces to the real `fake-opencode` binary.
@Suite("Engine against fake-opencode", .timeLimit(.minutes(2)))
struct EngineTests {
    let fixture: EngineFixture
    var a: String { fixture.a }
    var b: String { fixture.b }

    init() throws {
        fixture = try EngineFixture()
    }

    @Test("two workspaces are served by one opencode, each in its own directory")
    func twoWorkspacesOnePid() async throws {
        try await fixture.withEngine { engine in
            _ = try await engine.add(path: a, name: nil, cwd: nil)
            _ = try await engine.add(path: b, name: nil, cwd: nil)
            let first = try await engine.path(a, cwd: nil)
            let pid = await EngineFixture.pid(engine)
            _ = try await engine.activate(b, cwd: nil)
            let second = try await engine.path(b, cwd: nil)
            #expect(first.path["directory"] == .string(a))
            #expect(second.path["directory"] == .string(b))
            #expect(await EngineFixture.pid(engine) == pid)
            #expect(try await EngineFixture.instances(engine) == [a, b].sorted())
            #expect(await engine.supervisor.snapshot.restarts == 0)
        }
    }

    @Test("an instance is created only on first use, and the list shows which are warm")
    func justInTime() async throws {
        try await fixture.withEngine { engine in
            _ = try await engine.add(path: a, name: nil, cwd: nil)
            _ = try await engine.add(path: b, name: nil, cwd: nil)
            #expect(await engine.supervisor.snapshot.phase == .stopped, "opencode starts on demand")
            _ = try await engine.path(a, cwd: nil)
            #expect(try await EngineFixture.instances(engine) == [a])
            #expect(try await engine.list().workspaces.map(\.warm) == [true, false])
            _ = try await engine.path(b, cwd: nil)
            #expect(try await EngineFixture.instances(engine) == [a, b].sorted())
        }
    }

    @Test("dispose frees the instance; the next path boots it again")
    func disposeAndRecreate() async throws {
        try await fixture.withEngine { engine in
            _ = try await engine.add(path: a, name: nil, cwd: nil)
            _ = try await engine.path(a, cwd: nil)
            #expect(try await engine.dispose(a, cwd: nil))
            #expect(try await EngineFixture.instances(engine) == [])
            #expect(try await engine.info(a, cwd: nil).warm == false)
            _ = try await engine.path(a, cwd: nil)
            let state = try await FakeOpenCode.state(baseURL: EngineFixture.baseURL(engine))
            #expect(state["bootCounts"]?[a] == 2)
            #expect(try await engine.info(a, cwd: nil).warm == true)
        }
    }

    @Test("readiness tolerates noise before the listening line and keeps stderr for status")
    func noiseBeforeListening() async throws {
        let knobs = [
            "FAKE_OPENCODE_STDOUT_NOISE": "booting…\nopencode server listening soon\n{\"json\":true}",
            "FAKE_OPENCODE_STDERR_NOISE": "a warning on stderr",
        ]
        try await fixture.withEngine(knobs: knobs) { engine in
            _ = try await engine.add(path: a, name: nil, cwd: nil)
            #expect(try await engine.path(a, cwd: nil).path["directory"] == .string(a))
            #expect(await engine.opencodeStatus().snapshot.stderr.contains("a warning on stderr"))
        }
    }

    @Test("bad references and paths give structured errors")
    func structuredErrors() async throws {
        try await fixture.withEngine { engine in
            do {
                _ = try await engine.add(path: fixture.root.appending("missing"), name: nil, cwd: nil)
                Issue.record("added a missing path")
            } catch let error as OpenWorkError { #expect(error.code == .invalidPath) }
            do {
                _ = try await engine.path("ws-000000000000", cwd: nil)
                Issue.record("found an unknown workspace")
            } catch let error as OpenWorkError { #expect(error.code == .workspaceNotFound) }
        }
    }

    @Test("a remote workspace is routed to its own server, unsupervised")
    func remoteWorkspace() async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["OPENCODE_SERVER_PASSWORD"] = nil
        let remote = try TestProcess(FakeOpenCode.path, ["serve", "--port", "0"], environment: environment)
        do {
            var baseURL = ""
            while baseURL.isEmpty, let line = try await remote.readLine() {
                baseURL = OpenCodeService.listeningURL(in: line) ?? ""
            }
            try await fixture.withEngine { engine in
                _ = try await engine.addRemote(baseURL: baseURL, directory: "/srv/remote-project", name: "remote")
                let answer = try await engine.path("remote", cwd: nil)
                #expect(answer.path["directory"] == "/srv/remote-project")
                #expect(answer.workspace.warm == false)
                #expect(await engine.supervisor.snapshot.phase == .stopped, "no local opencode was needed")
            }
        } catch {
            await remote.stop()
            throw error
        }
        await remote.stop()
    }

    @Test("connect returns credentials and writes the 0600 auth file")
    func connect() async throws {
        try await fixture.withEngine { engine in
            _ = try await engine.add(path: a, name: nil, cwd: nil)
            let connection = try await engine.connect(a, cwd: nil)
            #expect(connection.directory == a)
            let login = try #require(connection.login)
            #expect(login.password.count == 64)
            let file = fixture.root.appending("data/openwork-orchestrator-auth.json")
            #expect(login.authFile == file)
            let mode = (try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)?
                .intValue
            #expect(mode == 0o600)
            let auth = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: file))))
            #expect(auth["password"] == .string(login.password))
            // The wire shape, through the method table.
            let dispatcher = Dispatcher(table: Operations.table(Operations.Configuration(engine: engine)))
            let answer = await dispatcher.handle(
                ["jsonrpc": "2.0", "id": 1, "method": "workspace.connect", "params": ["id": .string(a)]])
            let wire = try #require(answer?["result"])
            #expect(wire["attach"]?["argv"] == ["opencode", "attach", wire["baseUrl"] ?? .null, "--dir", .string(a)])
            #expect(wire["password"] == .string(login.password))
            #expect(wire["authFile"] == .string(file))
        }
    }

    @Test("only one engine supervises opencode per data directory; others still use the registry")
    func secondEngineRefused() async throws {
        try await fixture.withEngine { first in
            _ = try await first.add(path: a, name: nil, cwd: nil)
            _ = try await first.path(a, cwd: nil)
            try await fixture.withEngine { second in
                _ = try await second.add(path: b, name: nil, cwd: nil)
                do {
                    _ = try await second.path(b, cwd: nil)
                    Issue.record("two engines supervise opencode for one data directory")
                } catch let error as OpenWorkError {
                    #expect(error.code == .dataDirLocked)
                }
            }
            #expect(try await first.list().workspaces.count == 2)
            _ = try await first.path(b, cwd: nil)
        }
    }

    @Test("removing a warm workspace disposes its instance in opencode (instance.disposed)")
    func removeDisposesTheInstance() async throws {
        try await fixture.withEngine { engine in
            _ = try await engine.add(path: a, name: nil, cwd: nil)
            _ = try await engine.add(path: b, name: nil, cwd: nil)
            _ = try await engine.path(a, cwd: nil)
            _ = try await engine.path(b, cwd: nil)
            #expect(try await EngineFixture.instances(engine) == [a, b].sorted())
            let events = engine.events.subscribe()
            let id = try await engine.remove(a, cwd: nil).workspace.workspace.id
            var seen: [String] = []
            // Only workspace and instance events: the approvals watcher announces itself whenever it connects.
            for await event in events {
                guard let type = event["type"]?.stringValue, type.hasPrefix("instance.") || type.hasPrefix("workspace.")
                else { continue }
                if type == "instance.disposed" { #expect(event["workspaceId"] == .string(id)) }
                seen.append(type)
                if type == "workspace.removed" { break }
            }
            #expect(seen == ["instance.disposed", "workspace.removed"])
            #expect(try await EngineFixture.instances(engine) == [b], "opencode no longer holds the removed directory")
            // A cold workspace goes without a word to opencode.
            _ = try await engine.dispose(b, cwd: nil)
            let quiet = engine.events.subscribe()
            _ = try await engine.remove(b, cwd: nil)
            for await event in quiet {
                guard let type = event["type"]?.stringValue, type.hasPrefix("instance.") || type.hasPrefix("workspace.")
                else { continue }
                #expect(type == "workspace.removed")
                break
            }
        }
    }
}
