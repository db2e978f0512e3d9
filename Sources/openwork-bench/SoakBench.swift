import Foundation
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting

#if canImport(Glibc)
    import Glibc
#endif

/// What the registry must hold: workspace id → directory, and the active id. Kept by the soak from the
/// operations it performed, never read back from openwork.
struct RegistryModel: Sendable, Equatable {
    var workspaces: [String: String] = [:]
    var activeId: String?

    /// The ids and directories of a `workspace.list` result or of the state file (the same members).
    init(listing: JSONValue) throws {
        guard let entries = listing["workspaces"]?.arrayValue else { throw BenchError("no workspaces in \(listing)") }
        for entry in entries {
            guard let id = entry["id"]?.stringValue, let path = entry["path"]?.stringValue else {
                throw BenchError("workspace without id or path: \(entry)")
            }
            guard workspaces.updateValue(Self.normalized(path), forKey: id) == nil else {
                throw BenchError("duplicate workspace id \(id)")
            }
        }
        activeId = listing["activeId"]?.stringValue
    }

    init() {}

    static func normalized(_ path: String) -> String { URL(fileURLWithPath: path).resolvingSymlinksInPath().path }

    /// A human-readable difference, empty when equal.
    func difference(from actual: RegistryModel) -> String {
        var lines: [String] = []
        if activeId != actual.activeId {
            lines.append("activeId: expected \(activeId ?? "nil"), found \(actual.activeId ?? "nil")")
        }
        for (id, path) in workspaces.sorted(by: { $0.key < $1.key }) where actual.workspaces[id] != path {
            lines.append("\(id): expected \(path), found \(actual.workspaces[id] ?? "nothing")")
        }
        for id in actual.workspaces.keys.sorted() where workspaces[id] == nil { lines.append("\(id): not expected") }
        return lines.joined(separator: "; ")
    }
}

/// `openwork-bench soak`: many opencode kill/restart cycles through a real `openwork rpc`, the registry checked
/// against a model after each (over JSON-RPC and on disk), the engine itself SIGKILLed and replaced now and then,
/// and at the end 0 surviving processes and no file-descriptor growth (reliability target R2).
///
/// Every process it starts carries a unique environment marker, so survivors are found in `/proc` even when
/// other engineers or tests run the same binaries. It does not measure latency; the suite does.
enum SoakBench {
    struct Options: Sendable {
        var cycles = 1_000
        /// SIGKILL `openwork rpc` itself and start a new one after this many cycles.
        var engineRestartEvery = 250
        var openwork: String
        var fake: String
    }

    struct Outcome: Sendable {
        var cycles = 0
        var engines = 0
        var killedOpenCodes: [Int32] = []
        var failures: [String] = []
        /// Per engine session: the most fds `openwork rpc` held in the first and in the last quarter of its
        /// cycles after warm-up (sampled once per cycle). The count moves by one or two as pooled connections
        /// to opencode and the approvals event stream come and go around each kill; a leak makes the last
        /// quarter's peak higher than the first's.
        var descriptors: [(warm: Int, end: Int)] = []
        var survivors: [Int32] = []
        var driverDescriptors: (before: Int, after: Int) = (0, 0)
        var elapsed: Duration = .zero

        var passed: Bool { failures.isEmpty && survivors.isEmpty && descriptorGrowth <= 0 && driverGrowth <= 0 }
        var descriptorGrowth: Int { descriptors.map { $0.end - $0.warm }.max() ?? 0 }
        /// 0 when the first engine never warmed up (too few cycles to take the driver's baseline).
        var driverGrowth: Int { driverDescriptors.before > 0 ? driverDescriptors.after - driverDescriptors.before : 0 }
    }

    static func run(_ options: Options) async throws -> Outcome {
        var outcome = Outcome()
        let started = ContinuousClock.now
        let root = try TemporaryDirectory("bench-soak")
        let data = root.appending("data")
        let marker = "soak-\(UUID().uuidString)"
        var environment = ProcessInfo.processInfo.environment
        environment["OPENWORK_DATA_DIR"] = data
        environment["OPENWORK_OPENCODE_BIN"] = options.fake
        environment["OPENWORK_BENCH_SOAK_MARKER"] = marker
        // Restarts after every kill, without the default 250 ms → 30 s backoff: a soak kills a healthy child
        // far more often than the policy's 60 s reset allows for.
        environment["OPENWORK_OPENCODE_BACKOFF_FLOOR_MS"] = "5"
        environment["OPENWORK_OPENCODE_BACKOFF_CAP_MS"] = "20"
        var model = RegistryModel()
        var session = try SoakSession(options.openwork, environment: environment)
        outcome.engines = 1
        var samples: [Int] = []
        let warmUp = min(10, max(1, options.engineRestartEvery / 2))
        var driverWarm = false
        var generator = SplitMix(seed: 0x5eed)
        var nextDirectory = 0
        var sessionCycles = 0
        do {
            // opencode starts on the first call that needs it: one workspace and its path before the first kill.
            let directory = try root.makeDirectories("w/initial")[0]
            let added = try await session.call("workspace.add", ["path": .string(directory)])
            guard let id = added["workspace"]?["id"]?.stringValue else { throw BenchError("workspace.add: \(added)") }
            model.workspaces[id] = RegistryModel.normalized(directory)
            model.activeId = id
            _ = try await session.call("workspace.path", ["id": .string(id)], within: .seconds(60))
        } catch {
            outcome.failures.append("setup: \(error)")
        }
        for cycle in 1...max(1, options.cycles) where outcome.failures.isEmpty {
            do {
                if cycle > 1, (cycle - 1) % options.engineRestartEvery == 0 {
                    // The engine dies without stopping its opencode: the next owner must terminate the orphan.
                    let orphan = try await session.opencodePID()
                    if let peaks = Self.peaks(samples) { outcome.descriptors.append(peaks) }
                    session.process.signal(SIGKILL)
                    _ = try await session.process.waitForExit(within: .seconds(30))
                    session = try SoakSession(options.openwork, environment: environment)
                    outcome.engines += 1
                    samples = []
                    sessionCycles = 0
                    try await verify(model, session: session, stateFile: data, cycle: cycle, outcome: &outcome)
                    if let active = model.activeId {
                        _ = try await session.call("workspace.path", ["id": .string(active)])
                    }
                    if let orphan { try await waitUntilGone(orphan, what: "orphaned opencode \(orphan)") }
                }
                // A mutation that the model records from the operation, not from the answer's registry.
                let roll = generator.next() % 4
                if model.workspaces.count < 3 || roll < 2 {
                    let directory = try root.makeDirectories("w/\(nextDirectory)")[0]
                    nextDirectory += 1
                    let added = try await session.call("workspace.add", ["path": .string(directory)])
                    guard let id = added["workspace"]?["id"]?.stringValue, added["created"] == true else {
                        throw BenchError("workspace.add did not create \(directory): \(added)")
                    }
                    model.workspaces[id] = RegistryModel.normalized(directory)
                    if model.activeId == nil { model.activeId = id }
                } else if roll == 2 {
                    let ids = model.workspaces.keys.sorted()
                    let target = ids[Int(generator.next() % UInt64(ids.count))]
                    _ = try await session.call("workspace.switch", ["id": .string(target)])
                    model.activeId = target
                } else {
                    let ids = model.workspaces.keys.filter { $0 != model.activeId }.sorted()
                    let target = ids[Int(generator.next() % UInt64(ids.count))]
                    _ = try await session.call("workspace.remove", ["id": .string(target)])
                    model.workspaces[target] = nil
                }
                guard let active = model.activeId, let directory = model.workspaces[active] else {
                    throw BenchError("the model has no active workspace")
                }
                // Kill opencode, then ask for the active workspace's path: the call waits for the replacement.
                guard let pid = try await session.opencodePID() else {
                    throw BenchError("no opencode running before the kill")
                }
                kill(pid, SIGKILL)
                outcome.killedOpenCodes.append(pid)
                let path = try await session.call("workspace.path", ["id": .string(active)], within: .seconds(60))
                guard let answered = path["path"]?["directory"]?.stringValue,
                    RegistryModel.normalized(answered) == directory
                else { throw BenchError("workspace.path for \(directory) answered \(path)") }
                guard let replacement = try await session.opencodePID(),
                    replacement != outcome.killedOpenCodes.last
                else { throw BenchError("no replacement opencode after the kill in cycle \(cycle)") }
                try await verify(model, session: session, stateFile: data, cycle: cycle, outcome: &outcome)
                sessionCycles += 1
                if sessionCycles >= warmUp {
                    // Settled: right after a replacement the approvals stream is still reconnecting.
                    samples.append(
                        await settledDescriptorCount(session.process.pid, samples: 5, apart: .milliseconds(20)))
                }
                if !driverWarm, sessionCycles >= warmUp {
                    // The driver's own baseline is taken once it is warm: the runtime opens its event descriptors
                    // (Dispatch's epoll, timers) lazily, on first use, which is not a leak.
                    driverWarm = true
                    outcome.driverDescriptors.before = await settledDescriptorCount(getpid())
                }
                outcome.cycles = cycle
            } catch {
                outcome.failures.append("cycle \(cycle): \(error)")
                break
            }
        }
        if let peaks = Self.peaks(samples) { outcome.descriptors.append(peaks) }
        session.process.closeInput()
        _ = try? await session.process.waitForExit(within: .seconds(30))
        await session.process.stop()
        for pid in outcome.killedOpenCodes where !ProcessIdentity.isGone(pid) {
            outcome.failures.append("killed opencode \(pid) is still running")
        }
        let deadline = ContinuousClock.now + .seconds(10)
        repeat {
            outcome.survivors = processes(marked: marker)
            if outcome.survivors.isEmpty { break }
            try await Task.sleep(for: .milliseconds(50))
        } while ContinuousClock.now < deadline
        for pid in outcome.survivors { kill(pid, SIGKILL) }
        outcome.driverDescriptors.after = await settledDescriptorCount(getpid())
        outcome.elapsed = ContinuousClock.now - started
        return outcome
    }

    /// `workspace.list` over JSON-RPC and the state file on disk both equal the model.
    static func verify(
        _ model: RegistryModel, session: SoakSession, stateFile data: String, cycle: Int, outcome: inout Outcome
    ) async throws {
        let listed = try RegistryModel(listing: try await session.call("workspace.list"))
        let listDifference = model.difference(from: listed)
        guard listDifference.isEmpty else {
            throw BenchError("workspace.list differs from the model: \(listDifference)")
        }
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: data + "/openwork-orchestrator-state.json")))
        let onDisk = try RegistryModel(listing: try JSONValue(parsing: bytes))
        let diskDifference = model.difference(from: onDisk)
        guard diskDifference.isEmpty else {
            throw BenchError("the state file differs from the model: \(diskDifference)")
        }
    }

    static func waitUntilGone(_ pid: Int32, what: String) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while !ProcessIdentity.isGone(pid) {
            guard ContinuousClock.now < deadline else { throw BenchError("\(what) still running after 30 s") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The peaks of the first and the last quarter of per-cycle samples (nil without samples).
    static func peaks(_ samples: [Int]) -> (warm: Int, end: Int)? {
        let window = max(1, samples.count / 4)
        guard let early = samples.prefix(window).max(), let late = samples.suffix(window).max() else { return nil }
        return (early, late)
    }

    /// The fewest descriptors `pid` holds over 10 samples 50 ms apart. A single sample can catch a connection
    /// that is only passing through (the approvals event stream reconnecting after a kill, a pooled HTTP
    /// connection); a leak stays in every sample.
    static func settledDescriptorCount(_ pid: Int32, samples: Int = 10, apart: Duration = .milliseconds(50)) async
        -> Int
    {
        var fewest = Int.max
        for _ in 0..<samples {
            fewest = min(fewest, descriptorCount(pid))
            try? await Task.sleep(for: apart)
        }
        return fewest
    }

    /// Open file descriptors of `pid` (entries of `/proc/<pid>/fd`).
    static func descriptorCount(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    /// Live (not zombie) processes whose environment holds `OPENWORK_BENCH_SOAK_MARKER=marker`.
    static func processes(marked marker: String) -> [Int32] {
        let needle = Array("OPENWORK_BENCH_SOAK_MARKER=\(marker)".utf8)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard pid != getpid(), !ProcessIdentity.isGone(pid),
                let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ")
            else { return false }
            return environ.split(separator: 0).contains { Array($0) == needle }
        }.sorted()
    }

    /// The soak's section of the report.
    static func report(_ outcome: Outcome, options: Options) -> String {
        var lines = [
            "## Soak (`openwork-bench soak`, reliability target R2)", "",
            "| measure | value |", "|---|---|",
            "| opencode kill/restart cycles completed | \(outcome.cycles) of \(options.cycles) |",
            "| `openwork rpc` engines (SIGKILLed and replaced every \(options.engineRestartEvery) cycles) | \(outcome.engines) |",
            "| registry checks against the model (JSON-RPC and state file) | \(outcome.cycles) each, \(outcome.failures.isEmpty ? "all equal" : "FAILED") |",
            "| processes left running at the end | \(outcome.survivors.count) |",
            "| `openwork rpc` fd count, peak of the first → of the last quarter of cycles (per engine) | \(outcome.descriptors.map { "\($0.warm) → \($0.end)" }.joined(separator: ", ")) |",
            "| soak driver fd count, after warm-up → at the end | \(outcome.driverDescriptors.before) → \(outcome.driverDescriptors.after) |",
            "| wall time | \(String(format: "%.0f", Samples.seconds(outcome.elapsed))) s |",
            "| result | **\(outcome.passed ? "passed" : "FAILED")** |",
        ]
        for failure in outcome.failures { lines.append("\n- failure: \(failure)") }
        if !outcome.survivors.isEmpty { lines.append("\n- survivors: \(outcome.survivors)") }
        return lines.joined(separator: "\n")
    }
}

/// One `openwork rpc` for the soak: a request, then its answer.
final class SoakSession: @unchecked Sendable {
    let process: TestProcess
    private var nextID: Int64 = 1

    init(_ openwork: String, environment: [String: String]) throws {
        process = try TestProcess(openwork, ["rpc"], environment: environment)
    }

    /// The result of `method`, or a thrown error carrying the JSON-RPC error.
    func call(_ method: String, _ params: JSONValue? = nil, within deadline: Duration = .seconds(30)) async throws
        -> JSONValue
    {
        let id = nextID
        nextID += 1
        var request: JSONValue = ["jsonrpc": "2.0", "id": .integer(id), "method": .string(method)]
        if let params { request["params"] = params }
        try await process.writeLine(try request.serialized())
        guard let line = try await process.readLine(within: deadline) else {
            throw BenchError("openwork rpc closed stdout during \(method): \(process.errorOutput)")
        }
        let answer = try JSONValue(parsing: line)
        guard answer["id"]?.int64Value == id else { throw BenchError("answer to another request: \(line)") }
        if let error = answer["error"] { throw BenchError("\(method) failed: \(error)") }
        guard let result = answer["result"] else { throw BenchError("\(method): no result in \(line)") }
        return result
    }

    /// The supervised opencode's pid, when one is running.
    func opencodePID() async throws -> Int32? {
        try await call("health")["opencode"]?["pid"]?.int64Value.map { Int32($0) }
    }
}

/// A small deterministic generator, so a failing soak can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
