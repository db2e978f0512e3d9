import Foundation
import OpenWorkCore
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The engine in this process keeping the real `fake-opencode` binary alive: restarts, crash loops, hangs,
/// stops, start timeouts and refused versions.
@Suite("Engine supervising fake-opencode", .timeLimit(.minutes(2)))
struct EngineSupervisionTests {
    let fixture: EngineFixture
    var a: String { fixture.a }

    init() throws {
        fixture = try EngineFixture()
    }

    @Test("a killed opencode is restarted at once, and the next request succeeds with a new pid")
    func restartAfterKill() async throws {
        try await fixture.withEngine { engine in
            let first = try await fixture.serveA(engine)
            kill(first, SIGKILL)
            #expect(await EngineFixture.replaced(first, in: engine), "restarted without waiting for a request")
            let answer = try await engine.path(a, cwd: nil)
            #expect(answer.path["directory"] == .string(a))
            #expect(await EngineFixture.pid(engine) != first)
            #expect(await engine.supervisor.snapshot.lastExit == .signaled(9))
            #expect(try await engine.list().workspaces.count == 1, "registry intact")
        }
    }

    @Test("requests that arrive while opencode restarts wait and succeed (R1)")
    func requestsWaitDuringRestart() async throws {
        try await fixture.withEngine { engine in
            let first = try await fixture.serveA(engine)
            let a = a
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(index * 5))
                        let answer = try await engine.path(a, cwd: nil)
                        #expect(answer.path["directory"] == .string(a))
                    }
                }
                kill(first, SIGKILL)
                try await group.waitForAll()
            }
        }
    }

    @Test("events of a kill/restart cycle arrive in order")
    func eventOrder() async throws {
        try await fixture.withEngine { engine in
            let pid = try await fixture.serveA(engine)
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
        let flag = fixture.root.appending("broken")
        _ = FileManager.default.createFile(atPath: flag, contents: Data())
        let wrapper = try FakeOpenCode.breakableWrapper(in: fixture.root.path, flag: flag)
        let tuning: EngineFixture.Tuning = { $0.policy.maximumStartFailures = 5 }
        try await fixture.withEngine(executable: wrapper, tune: tuning) { engine in
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
            #expect(await engine.supervisor.snapshot.phase == .failed)
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
            #expect(await engine.supervisor.snapshot.phase == .failed)
            await engine.supervisor.restart()
            #expect(try await engine.path(a, cwd: nil).path["directory"] == .string(a))
        }
    }

    @Test("a hung opencode (SIGSTOP) is found by health probes and replaced (R5)")
    func hungIsReplaced() async throws {
        let tuning: EngineFixture.Tuning = {
            $0.health.timeout = .milliseconds(200)
            $0.stop.grace = .milliseconds(300)
        }
        try await fixture.withEngine(tune: tuning) { engine in
            let first = try await fixture.serveA(engine)
            let clock = ContinuousClock()
            let start = clock.now
            kill(first, SIGSTOP)
            #expect(await EngineFixture.replaced(first, in: engine))
            #expect(clock.now - start < .seconds(60), "a hang deadline; the figure is in BENCHMARKS.md")
            #expect(FakeOpenCode.isGone(first))
            _ = try await engine.path(a, cwd: nil)
        }
    }

    @Test("stop leaves no survivor: a SIGTERM-ignoring child and its grandchild are killed (R6)")
    func stopKillsEverything() async throws {
        let pidFile = fixture.root.appending("grandchild.pid")
        let knobs = [
            "FAKE_OPENCODE_IGNORE_SIGTERM": "1", "FAKE_OPENCODE_SPAWN_GRANDCHILD": "1",
            "FAKE_OPENCODE_GRANDCHILD_PIDFILE": pidFile,
        ]
        let tuning: EngineFixture.Tuning = { $0.stop.grace = .milliseconds(500) }
        let (child, clock) = try await fixture.withEngine(knobs: knobs, tune: tuning) { engine in
            (try await fixture.serveA(engine), ContinuousClock.now)
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
        let tuning: EngineFixture.Tuning = {
            $0.startTimeout = .milliseconds(300)
            $0.policy.maximumStartFailures = 2
            $0.stop.grace = .milliseconds(300)
        }
        try await fixture.withEngine(knobs: ["FAKE_OPENCODE_NEVER_LISTEN": "1"], tune: tuning) { engine in
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
        try await fixture.withEngine(knobs: ["FAKE_OPENCODE_VERSION": "2.0.3"]) { engine in
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

    @Test("the default probe settings replace a hung opencode within 10 s (hangBudget)")
    func defaultHangBudget() {
        let defaults = OpenCodeService.Configuration(executable: "opencode", environment: [:])
        #expect(defaults.hangBudget == .seconds(9))
        #expect(defaults.hangBudget <= .seconds(10))
        #expect(defaults.health.misses >= 2, "one slow probe on a loaded machine is not a hang")
    }

    @Test("with the default probe settings, a SIGSTOPped opencode is found and replaced")
    func hungIsReplacedWithDefaults() async throws {
        let defaults = OpenCodeService.Configuration(executable: "opencode", environment: [:])
        let tuning: EngineFixture.Tuning = {
            $0.health = defaults.health
            $0.stop.hungGrace = defaults.stop.hungGrace
        }
        try await fixture.withEngine(tune: tuning) { engine in
            let hung = try await fixture.serveA(engine)
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
