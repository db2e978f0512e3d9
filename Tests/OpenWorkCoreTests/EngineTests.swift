import Foundation
import OpenWorkCore
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The engine in this process, supervising the real `fake-opencode` binary.
@Suite("Engine against fake-opencode", .timeLimit(.minutes(2)))
struct EngineTests {
    let root: TemporaryDirectory
    let a: String
    let b: String

    init() throws {
        let root = try TemporaryDirectory("engine")
        let made = try root.makeDirectories("w/a", "w/b")
        self.root = root
        a = made[0]
        b = made[1]
    }

    typealias Tuning = @Sendable (inout Supervisor.Configuration) -> Void

    /// Runs `body` with an engine whose opencode is the fake with `knobs`, and fast supervisor timings.
    func withEngine<T: Sendable>(
        knobs: [String: String] = [:],
        executable: String = FakeOpenCode.path,
        tune: @escaping @Sendable (inout Supervisor.Configuration) -> Void = { _ in },
        _ body: (Engine) async throws -> T
    ) async throws -> T {
        var environment = ProcessInfo.processInfo.environment
        environment["FAKE_OPENCODE_INTROSPECTION"] = "1"
        environment.merge(knobs) { _, new in new }
        var configuration = Engine.Configuration(
            dataDirectory: DataDirectory(path: root.appending("data")), environment: environment)
        configuration.opencodeExecutable = executable
        // Hang deadlines, far above what a start takes even on a loaded machine: a test that expects a failure
        // reaches it by its own causes (crash loop, short start timeout), never by this clock.
        configuration.readyDeadline = .seconds(60)
        configuration.tuneSupervisor = { supervisor in
            supervisor.startTimeout = .seconds(60)
            supervisor.stopGrace = .seconds(2)
            supervisor.policy.floor = .milliseconds(20)
            supervisor.probeInterval = .milliseconds(200)
            supervisor.probeTimeout = .milliseconds(500)
            tune(&supervisor)
        }
        return try await Engine.run(configuration, body)
    }

    static func pid(_ engine: Engine) async -> Int32? {
        await engine.supervisor.status["pid"]?.int64Value.flatMap { Int32(exactly: $0) }
    }

    static func baseURL(_ engine: Engine) async -> String {
        await engine.supervisor.status["baseUrl"]?.stringValue ?? ""
    }

    static func instances(_ engine: Engine) async throws -> [String] {
        try await FakeOpenCode.state(baseURL: baseURL(engine))["instances"]?.arrayValue?
            .compactMap { $0["directory"]?.stringValue }.sorted() ?? []
    }

    @Test("two workspaces are served by one opencode, each in its own directory")
    func twoWorkspacesOnePid() async throws {
        try await withEngine { engine in
            _ = try await engine.add(path: a, name: nil, cwd: nil)
            _ = try await engine.add(path: b, name: nil, cwd: nil)
            let first = try await engine.path(a, cwd: nil)
            let pid = await Self.pid(engine)
            _ = try await engine.activate(b, cwd: nil)
            let second = try await engine.path(b, cwd: nil)
            #expect(first["path"]?["directory"] == .string(a))
            #expect(second["path"]?["directory"] == .string(b))
            #expect(await Self.pid(engine) == pid)
            #expect(try await Self.instances(engine) == [a, b].sorted())
            #expect(await engine.supervisor.status["restarts"] == 0)
        }
    }

    @Test("an instance is created only on first use, and the list shows which are warm")
    func justInTime() async throws {
        try await withEngine { engine in
            _ = try await engine.add(path: a, name: nil, cwd: nil)
            _ = try await engine.add(path: b, name: nil, cwd: nil)
            #expect(await engine.supervisor.currentPhase == .stopped, "opencode starts on demand")
            _ = try await engine.path(a, cwd: nil)
            #expect(try await Self.instances(engine) == [a])
            let list = try await engine.list()
            let warm = list["workspaces"]?.arrayValue?.map { $0["warm"] }
            #expect(warm == [true, false])
            _ = try await engine.path(b, cwd: nil)
            #expect(try await Self.instances(engine) == [a, b].sorted())
        }
    }

    @Test("dispose frees the instance; the next path boots it again")
    func disposeAndRecreate() async throws {
        try await withEngine { engine in
            _ = try await engine.add(path: a, name: nil, cwd: nil)
            _ = try await engine.path(a, cwd: nil)
            #expect(try await engine.dispose(a, cwd: nil) == ["disposed": true])
            #expect(try await Self.instances(engine) == [])
            #expect(try await engine.info(a, cwd: nil)["workspace"]?["warm"] == false)
            _ = try await engine.path(a, cwd: nil)
            let state = try await FakeOpenCode.state(baseURL: Self.baseURL(engine))
            #expect(state["bootCounts"]?[a] == 2)
            #expect(try await engine.info(a, cwd: nil)["workspace"]?["warm"] == true)
        }
    }

    @Test("readiness tolerates noise before the listening line and keeps stderr for status")
    func noiseBeforeListening() async throws {
        let knobs = [
            "FAKE_OPENCODE_STDOUT_NOISE": "booting…\nopencode server listening soon\n{\"json\":true}",
            "FAKE_OPENCODE_STDERR_NOISE": "a warning on stderr",
        ]
        try await withEngine(knobs: knobs) { engine in
            _ = try await engine.add(path: a, name: nil, cwd: nil)
            #expect(try await engine.path(a, cwd: nil)["path"]?["directory"] == .string(a))
            let status = await engine.opencodeStatus()
            #expect(status["stderr"]?.arrayValue?.contains("a warning on stderr") == true)
        }
    }

    @Test("bad references and paths give structured errors")
    func structuredErrors() async throws {
        try await withEngine { engine in
            do {
                _ = try await engine.add(path: root.appending("missing"), name: nil, cwd: nil)
                Issue.record("added a missing path")
            } catch let error as OpenWorkError { #expect(error.code == .invalidPath) }
            do {
                _ = try await engine.path("ws-000000000000", cwd: nil)
                Issue.record("found an unknown workspace")
            } catch let error as OpenWorkError { #expect(error.code == .workspaceNotFound) }
        }
    }

    @Test("a killed opencode is restarted at once, and the next request succeeds with a new pid")
    func restartAfterKill() async throws {
        try await withEngine { engine in
            _ = try await engine.add(path: a, name: nil, cwd: nil)
            _ = try await engine.path(a, cwd: nil)
            let first = try #require(await Self.pid(engine))
            kill(first, SIGKILL)
            let replaced = await FakeOpenCode.eventually {
                let status = await engine.supervisor.status
                guard status["state"] == "ready", let pid = status["pid"]?.int64Value else { return false }
                return pid != Int64(first)
            }
            #expect(replaced, "restarted without waiting for a request")
            let answer = try await engine.path(a, cwd: nil)
            #expect(answer["path"]?["directory"] == .string(a))
            #expect(await Self.pid(engine) != first)
            #expect(await engine.supervisor.status["lastExit"] == ["signal": 9])
            #expect(try await engine.list()["workspaces"]?.arrayValue?.count == 1, "registry intact")
        }
    }

    @Test("requests that arrive while opencode restarts wait and succeed (R1)")
    func requestsWaitDuringRestart() async throws {
        try await withEngine { engine in
            _ = try await engine.add(path: a, name: nil, cwd: nil)
            _ = try await engine.path(a, cwd: nil)
            let first = try #require(await Self.pid(engine))
            let a = a
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(index * 5))
                        let answer = try await engine.path(a, cwd: nil)
                        #expect(answer["path"]?["directory"] == .string(a))
                    }
                }
                kill(first, SIGKILL)
                try await group.waitForAll()
            }
        }
    }

    @Test("events of a kill/restart cycle arrive in order")
    func eventOrder() async throws {
        try await withEngine { engine in
            _ = try await engine.add(path: a, name: nil, cwd: nil)
            _ = try await engine.path(a, cwd: nil)
            let pid = try #require(await Self.pid(engine))
            let stream = engine.events.subscribe()
            kill(pid, SIGKILL)
            var types: [String] = []
            for await event in stream {
                guard let type = event["type"]?.stringValue, type.hasPrefix("opencode.") else { continue }
                types.append(type)
                if type == "opencode.ready" { break }
            }
            #expect(types == ["opencode.exited", "opencode.restarting", "opencode.starting", "opencode.ready"])
        }
    }

    @Test("a crash loop ends in failed with the child's stderr; opencode.restart recovers (R4)")
    func crashLoopThenRestart() async throws {
        let flag = root.appending("broken")
        _ = FileManager.default.createFile(atPath: flag, contents: Data())
        let wrapper = try FakeOpenCode.breakableWrapper(in: root.path, flag: flag)
        let tuning: Tuning = { $0.policy.maximumStartFailures = 5 }
        try await withEngine(executable: wrapper, tune: tuning) { engine in
            _ = try await engine.add(path: a, name: nil, cwd: nil)
            let events = engine.events.subscribe()
            // Never ready yet: the first start failure is the caller's answer at once (a bad binary).
            do {
                _ = try await engine.path(a, cwd: nil)
                Issue.record("served while broken")
            } catch let error as OpenWorkError {
                #expect(error.code == .opencodeStartFailed)
                #expect(error.details["lastExit"] == ["code": 3])
                #expect(error.details["stderr"]?.arrayValue?.contains("broken on purpose") == true)
            }
            // Supervision goes on in the background until the crash loop gives up.
            for await event in events where event["type"] == "opencode.failed" { break }
            #expect(await engine.supervisor.currentPhase == .failed)
            do {
                _ = try await engine.path(a, cwd: nil)
                Issue.record("served while failed")
            } catch let error as OpenWorkError {
                #expect(error.code == .opencodeUnavailable)
                #expect(error.details["state"] == "failed")
                #expect(error.details["lastExit"] == ["code": 3])
                #expect(error.details["stderr"]?.arrayValue?.contains("broken on purpose") == true)
            }
            try FileManager.default.removeItem(atPath: flag)
            // Still failed: no spawns until someone asks.
            try await Task.sleep(for: .milliseconds(100))
            #expect(await engine.supervisor.currentPhase == .failed)
            await engine.supervisor.restart()
            let answer = try await engine.path(a, cwd: nil)
            #expect(answer["path"]?["directory"] == .string(a))
        }
    }

    @Test("a hung opencode (SIGSTOP) is found by health probes and replaced (R5)")
    func hungIsReplaced() async throws {
        let tuning: Tuning = {
            $0.probeTimeout = .milliseconds(200)
            $0.stopGrace = .milliseconds(300)
        }
        try await withEngine(tune: tuning) { engine in
            _ = try await engine.add(path: a, name: nil, cwd: nil)
            _ = try await engine.path(a, cwd: nil)
            let first = try #require(await Self.pid(engine))
            let clock = ContinuousClock()
            let start = clock.now
            kill(first, SIGSTOP)
            let replaced = await FakeOpenCode.eventually(within: .seconds(60)) {
                let status = await engine.supervisor.status
                guard status["state"] == "ready", let pid = status["pid"]?.int64Value else { return false }
                return pid != Int64(first)
            }
            #expect(replaced)
            #expect(clock.now - start < .seconds(60), "a hang deadline; the figure is in BENCHMARKS.md")
            #expect(FakeOpenCode.isGone(first))
            _ = try await engine.path(a, cwd: nil)
        }
    }

    @Test("stop leaves no survivor: a SIGTERM-ignoring child and its grandchild are killed (R6)")
    func stopKillsEverything() async throws {
        let pidFile = root.appending("grandchild.pid")
        let knobs = [
            "FAKE_OPENCODE_IGNORE_SIGTERM": "1", "FAKE_OPENCODE_SPAWN_GRANDCHILD": "1",
            "FAKE_OPENCODE_GRANDCHILD_PIDFILE": pidFile,
        ]
        let tuning: Tuning = { $0.stopGrace = .milliseconds(500) }
        let (child, clock) = try await withEngine(knobs: knobs, tune: tuning) { engine in
            _ = try await engine.add(path: a, name: nil, cwd: nil)
            _ = try await engine.path(a, cwd: nil)
            return (try #require(await Self.pid(engine)), ContinuousClock.now)
        }
        let grandchild = try #require(
            Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(FakeOpenCode.isGone(child))
        #expect(await FakeOpenCode.eventually(within: .seconds(30)) { FakeOpenCode.isGone(grandchild) })
        #expect(ContinuousClock.now - clock < .seconds(60), "a hang deadline")
    }

    @Test("an opencode that never becomes ready is killed after the start timeout and counted (R7)")
    func neverReady() async throws {
        let events = Locked<[JSONValue]>([])
        let tuning: Tuning = {
            $0.startTimeout = .milliseconds(300)
            $0.policy.maximumStartFailures = 2
            $0.stopGrace = .milliseconds(300)
        }
        try await withEngine(knobs: ["FAKE_OPENCODE_NEVER_LISTEN": "1"], tune: tuning) { engine in
            let stream = engine.events.subscribe()
            let collector = Task {
                for await event in stream { events.withLock { $0.append(event) } }
            }
            _ = try await engine.add(path: a, name: nil, cwd: nil)
            do {
                _ = try await engine.path(a, cwd: nil)
                Issue.record("served without listening")
            } catch let error as OpenWorkError {
                #expect(error.code == .opencodeUnavailable)
                #expect(error.details["state"] == "failed")
            }
            collector.cancel()
        }
        let seen = events.value
        let timeouts = seen.filter { $0["type"] == "opencode.start_timeout" }
        #expect(timeouts.count == 2)
        for event in timeouts {
            let pid = try #require(event["pid"]?.int64Value.flatMap { Int32(exactly: $0) })
            #expect(FakeOpenCode.isGone(pid))
        }
        #expect(seen.contains { $0["type"] == "opencode.failed" })
    }

    @Test("a 2.x opencode is refused with opencode_unsupported_version")
    func refuseVersionTwo() async throws {
        try await withEngine(knobs: ["FAKE_OPENCODE_VERSION": "2.0.3"]) { engine in
            _ = try await engine.add(path: a, name: nil, cwd: nil)
            do {
                _ = try await engine.path(a, cwd: nil)
                Issue.record("accepted 2.x")
            } catch let error as OpenWorkError {
                #expect(error.code == .opencodeUnsupportedVersion)
                #expect(error.message.contains("2.0.3"))
            }
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
                baseURL = Supervisor.listeningURL(in: line) ?? ""
            }
            try await withEngine { engine in
                _ = try await engine.addRemote(baseURL: baseURL, directory: "/srv/remote-project", name: "remote")
                let answer = try await engine.path("remote", cwd: nil)
                #expect(answer["path"]?["directory"] == "/srv/remote-project")
                #expect(await engine.supervisor.currentPhase == .stopped, "no local opencode was needed")
            }
        } catch {
            await remote.stop()
            throw error
        }
        await remote.stop()
    }

    @Test("connect returns credentials and writes the 0600 auth file")
    func connect() async throws {
        try await withEngine { engine in
            _ = try await engine.add(path: a, name: nil, cwd: nil)
            let connection = try await engine.connect(a, cwd: nil)
            #expect(connection["directory"] == .string(a))
            #expect(connection["password"]?.stringValue?.count == 64)
            #expect(connection["attach"]?["argv"]?[1] == "attach")
            let file = root.appending("data/openwork-orchestrator-auth.json")
            let mode = (try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)?
                .intValue
            #expect(mode == 0o600)
            let auth = try JSONValue(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: file))))
            #expect(auth["password"] == connection["password"])
        }
    }

    @Test("only one engine supervises opencode per data directory; others still use the registry")
    func secondEngineRefused() async throws {
        try await withEngine { first in
            _ = try await first.add(path: a, name: nil, cwd: nil)
            _ = try await first.path(a, cwd: nil)
            try await withEngine { second in
                _ = try await second.add(path: b, name: nil, cwd: nil)
                do {
                    _ = try await second.path(b, cwd: nil)
                    Issue.record("two engines supervise opencode for one data directory")
                } catch let error as OpenWorkError {
                    #expect(error.code == .dataDirLocked)
                }
            }
            #expect(try await first.list()["workspaces"]?.arrayValue?.count == 2)
            _ = try await first.path(b, cwd: nil)
        }
    }

    @Test("removing a warm workspace disposes its instance in opencode (instance.disposed)")
    func removeDisposesTheInstance() async throws {
        try await withEngine { engine in
            _ = try await engine.add(path: a, name: nil, cwd: nil)
            _ = try await engine.add(path: b, name: nil, cwd: nil)
            _ = try await engine.path(a, cwd: nil)
            _ = try await engine.path(b, cwd: nil)
            #expect(try await Self.instances(engine) == [a, b].sorted())
            let events = engine.events.subscribe()
            let removed = try await engine.remove(a, cwd: nil)
            let id = try #require(removed["workspace"]?["id"]?.stringValue)
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
            #expect(try await Self.instances(engine) == [b], "opencode no longer holds the removed directory")
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

    @Test("the default probe settings replace a hung opencode within 10 s (hangBudget)")
    func defaultHangBudget() {
        let defaults = Supervisor.Configuration(executable: "opencode", environment: [:])
        #expect(defaults.hangBudget == .seconds(9))
        #expect(defaults.hangBudget <= .seconds(10))
        #expect(defaults.probeMisses >= 2, "one slow probe on a loaded machine is not a hang")
    }

    @Test("with the default probe settings, a SIGSTOPped opencode is found and replaced")
    func hungIsReplacedWithDefaults() async throws {
        let defaults = Supervisor.Configuration(executable: "opencode", environment: [:])
        let tuning: Tuning = {
            $0.probeInterval = defaults.probeInterval
            $0.probeTimeout = defaults.probeTimeout
            $0.probeMisses = defaults.probeMisses
            $0.hungGrace = defaults.hungGrace
        }
        try await withEngine(tune: tuning) { engine in
            _ = try await engine.add(path: a, name: nil, cwd: nil)
            _ = try await engine.path(a, cwd: nil)
            let hung = try #require(await Self.pid(engine))
            let events = engine.events.subscribe()
            let clock = ContinuousClock()
            let start = clock.now
            kill(hung, SIGSTOP)
            var seen: [String] = []
            for await event in events {
                guard let type = event["type"]?.stringValue, type.hasPrefix("opencode.") else { continue }
                seen.append(type)
                if type == "opencode.unhealthy" || type == "opencode.exited" {
                    #expect(event["pid"]?.int64Value == Int64(hung))
                }
                if type == "opencode.ready" {
                    #expect(event["pid"]?.int64Value != Int64(hung))
                    break
                }
            }
            #expect(
                seen == [
                    "opencode.unhealthy", "opencode.exited", "opencode.restarting", "opencode.starting",
                    "opencode.ready",
                ])
            #expect(FakeOpenCode.isGone(hung))
            print(
                "hang: a SIGSTOPped opencode was replaced \(clock.now - start) after the stop (budget \(defaults.hangBudget) + start)"
            )
        }
    }
}
