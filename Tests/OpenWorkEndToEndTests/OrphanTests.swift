import Foundation
import OpenWorkCore
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Whatever the instant an engine dies, nothing it started outlives it: the kernel ends its opencode (and a
/// guard the rest of the group) at once, and the next engine on the data directory ends anything left, recorded
/// or not.
@Suite("No orphan, whatever the instant an engine dies", .serialized, .timeLimit(.minutes(10)))
struct OrphanTests {
    let root: TemporaryDirectory
    let workspace: String
    var data: String { root.appending("data") }

    init() throws {
        root = try TemporaryDirectory("orphans")
        workspace = try root.makeDirectories("w/project")[0]
    }

    /// `openwork rpc` on this test's data directory; every process it starts carries `token` in its environment,
    /// so the test can find them without relying on the engine's own marker.
    func start(token: String, knobs: [String: String] = [:]) throws -> RPCProcess {
        try RPCProcess(
            arguments: ["--data-dir", data, "--opencode-bin", FakeOpenCode.path],
            environment: knobs.merging(["OPENWORK_TEST_TOKEN": token]) { own, _ in own })
    }

    /// Running processes (zombies excluded) whose environment carries `token`.
    static func processes(carrying token: String) -> [Int32] {
        let needle = "OPENWORK_TEST_TOKEN=\(token)"
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        return pids.filter { pid in
            guard let stat = ProcessIdentity.stat(of: pid), !stat.isZombie,
                let bytes = FileManager.default.contents(atPath: "/proc/\(pid)/environ")
            else { return false }
            return bytes.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == needle }
        }
    }

    /// The next engine on the data directory: it takes ownership (which ends what a dead engine left) and stops.
    func nextEngineStarts() async throws {
        var configuration = Engine.Configuration(
            dataDirectory: DataDirectory(path: data), environment: ProcessInfo.processInfo.environment)
        configuration.opencodeExecutable = FakeOpenCode.path
        try await Engine.run(configuration) { engine in try await engine.takeOwnership() }
    }

    static func readPID(_ path: String) async -> Int32? {
        var pid: Int32?
        _ = await FakeOpenCode.eventually(within: .seconds(20)) {
            pid = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap {
                Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            return pid != nil
        }
        return pid
    }

    @Test("an engine SIGKILLed with opencode ready takes opencode's whole group with it, no engine started again")
    func killedEngineTakesItsGroup() async throws {
        let pidFile = root.appending("grandchild.pid")
        let rpc = try start(
            token: UUID().uuidString,
            knobs: ["FAKE_OPENCODE_SPAWN_GRANDCHILD": "1", "FAKE_OPENCODE_GRANDCHILD_PIDFILE": pidFile])
        _ = try await rpc.call("workspace.add", ["path": .string(workspace)])
        #expect(try await rpc.call("workspace.path", ["id": .string(workspace)])["result"] != nil)
        let status = try await rpc.call("opencode.status")
        let opencode = try #require(status["result"]?["pid"]?.int64Value.flatMap { Int32(exactly: $0) })
        let grandchild = try #require(await Self.readPID(pidFile))
        #expect(!FakeOpenCode.isGone(grandchild))

        let clock = ContinuousClock()
        let killed = clock.now
        rpc.process.signal(SIGKILL)
        _ = try await rpc.process.waitForExit()
        // A hang deadline only (10× the 2 s promise); the kernel acts at once.
        let gone = await FakeOpenCode.eventually(within: .seconds(20)) {
            FakeOpenCode.isGone(opencode) && FakeOpenCode.isGone(grandchild)
        }
        #expect(gone, "opencode \(opencode) or its grandchild \(grandchild) outlived the SIGKILLed engine")
        print("orphans: opencode and its group gone \(clock.now - killed) after the engine's SIGKILL")
    }

    @Test("a process that left opencode's group is found by its mark and ended by the next engine")
    func nextEngineEndsEscapedProcesses() async throws {
        let pidFile = root.appending("escaped.pid")
        let rpc = try start(
            token: UUID().uuidString,
            knobs: [
                "FAKE_OPENCODE_SPAWN_GRANDCHILD": "1", "FAKE_OPENCODE_GRANDCHILD_ESCAPES": "1",
                "FAKE_OPENCODE_GRANDCHILD_PIDFILE": pidFile,
            ])
        _ = try await rpc.call("workspace.add", ["path": .string(workspace)])
        _ = try await rpc.call("workspace.path", ["id": .string(workspace)])
        let escaped = try #require(await Self.readPID(pidFile))
        rpc.process.signal(SIGKILL)
        _ = try await rpc.process.waitForExit()
        // It left the group (a new session), so neither the kernel nor the guard reached it.
        try await Task.sleep(for: .milliseconds(300))
        #expect(!FakeOpenCode.isGone(escaped), "the escaped process is still there before the next engine starts")

        try await nextEngineStarts()
        #expect(await FakeOpenCode.eventually(within: .seconds(20)) { FakeOpenCode.isGone(escaped) })
    }

    @Test(
        "SIGKILL at 52 instants of the start sequence: after each, nothing of the dead engine survives the next start")
    func killAtEveryInstant() async throws {
        // Calibrate: how long one whole start takes here and now (engine, resolution, version probe, spawn,
        // listening line, health, the first request).
        let clock = ContinuousClock()
        let calibration = try start(token: UUID().uuidString)
        let begin = clock.now
        _ = try await calibration.call("workspace.add", ["path": .string(workspace)])
        #expect(try await calibration.call("workspace.path", ["id": .string(workspace)])["result"] != nil)
        let whole = clock.now - begin
        calibration.process.closeInput()
        _ = try await calibration.process.waitForExit(within: .seconds(20))

        enum Instant: CustomStringConvertible {
            case knob(String)
            case after(Duration)
            var description: String {
                switch self {
                case .knob(let point): "fake kills the engine at \(point)"
                case .after(let delay): "SIGKILL after \(delay)"
                }
            }
        }
        let instants: [Instant] =
            [.knob("start"), .knob("listening")] + (0..<50).map { .after(whole * Double($0) / 40) }
        var aliveAtKill = 0
        for instant in instants {
            let token = UUID().uuidString
            var knobs: [String: String] = [:]
            if case .knob(let point) = instant { knobs["FAKE_OPENCODE_KILL_PARENT"] = point }
            let rpc = try start(token: token, knobs: knobs)
            try await rpc.send([
                "jsonrpc": "2.0", "id": 1, "method": "workspace.path", "params": ["id": .string(workspace)],
            ])
            if case .after(let delay) = instant {
                try await Task.sleep(for: delay)
                if Self.processes(carrying: token).contains(where: { $0 != rpc.process.pid }) { aliveAtKill += 1 }
                rpc.process.signal(SIGKILL)
            }
            let exit = try await rpc.process.waitForExit(within: .seconds(60))
            if case .knob = instant { #expect(exit.signal == SIGKILL, "\(instant): the fake killed its engine") }

            try await nextEngineStarts()
            let clean = await FakeOpenCode.eventually(within: .seconds(10)) {
                Self.processes(carrying: token).isEmpty
            }
            #expect(clean, "\(instant): survivors \(Self.processes(carrying: token))")
        }
        // Not vacuous: in many runs an opencode (or its version probe) was running when the engine died.
        #expect(aliveAtKill >= 5, "an opencode was alive at \(aliveAtKill) of the 50 timed kills")
        print("orphans: one start takes \(whole); a child was alive at \(aliveAtKill) of the 50 timed kills")
    }
}
