import Foundation
import OpenWorkJSON
import OpenWorkTesting

#if canImport(Glibc)
    import Glibc
#endif

/// The state of one scenario while it runs: its directories and variables, the `openwork rpc` child, the last
/// answer, status and event, what was spawned, and every process that must be gone at the end. Steps read and
/// change it (``StepAction/run(in:)``); ``ScenarioRunner`` reports a failure with it and tears it down.
///
/// Used by one task only. Outside HarnessKit it is opaque: steps are written in HarnessKit's `Steps/`.
public final class ScenarioRun {
    let scenario: Scenario
    let configuration: HarnessConfiguration
    let root: String
    var variables: Variables = [:]
    var environment: [String: String]
    /// The `openwork rpc` of the last `start`.
    var child: RPCChild?
    /// Earlier `openwork rpc` children, which ended before the next `start`.
    var finishedChildren: [RPCChild] = []
    var lastAnswer: JSONValue?
    /// The HTTP status of the last `http` step or the exit code of the last `cli` step.
    var lastStatus: Int?
    /// What `cli` and `http` steps did, for the failure report.
    var notes: [String] = []
    /// What each `openwork` of a `cli` step wrote to stderr, in the order they ran (for artifacts).
    var cliErrorOutputs: [String] = []
    var lastEvent: JSONValue?
    var spawned: [String: OpenCodeProcess] = [:]
    /// Processes that must be gone at the end.
    var tracked: Set<ProcessTable.Instance> = []

    init(scenario: Scenario, configuration: HarnessConfiguration) throws {
        self.scenario = scenario
        self.configuration = configuration
        let base = URL(fileURLWithPath: NSTemporaryDirectory()).resolvingSymlinksInPath().path
        root = base + "/openwork-harness-\(scenario.name)-\(UUID().uuidString.prefix(8))"
        let work = root + "/work"
        let data = root + "/data"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            atPath: data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        variables = [
            "WORK": .string(work), "DATA": .string(data), "OPENCODE_BIN": .string(configuration.opencodeExecutable),
            "OPENWORK_BIN": .string(configuration.openworkExecutable),
            // Host mode's other services: the bundled fakes.
            "OPENWORK_SERVER_BIN": .string(BuiltProducts.path(of: "fake-openwork-server")),
            "OPENCODE_ROUTER_BIN": .string(BuiltProducts.path(of: "fake-opencode-router")),
        ]
        environment = configuration.environment
    }

    func removeDirectories() { try? FileManager.default.removeItem(atPath: root) }

    func text(_ template: Template) -> String { JSONMatcher.substitute(template.text, variables) }

    func scaled(_ duration: Duration) -> Duration { configuration.scaled(duration) }

    func activeChild() throws -> RPCChild {
        guard let child else { throw StepFailure("openwork rpc is not running (no `start`)") }
        return child
    }

    func pid(in name: String) throws -> Int32 {
        guard let value = variables[name], let pid = value.int64Value.flatMap({ Int32(exactly: $0) }), pid > 0 else {
            throw StepFailure("$\(name) is not a pid: \(variables[name].map { JSONMatcher.render($0) } ?? "unset")")
        }
        return pid
    }

    func pretty(_ value: JSONValue?) -> String {
        guard let value else { return "(nothing)" }
        return (try? value.serialized(.pretty)) ?? "\(value)"
    }

    func trackDescendants(of pid: Int32) {
        tracked.formUnion(ProcessTable.descendants(of: pid))
    }

    // MARK: Reporting and teardown

    func failure(_ failure: StepFailure, at step: Step) async -> ScenarioOutcome.Failure {
        var report = ScenarioOutcome.Failure(
            location: step.location, step: step.text, message: failure.message, expected: failure.expected,
            actual: failure.actual)
        if let child {
            if !child.process.hasExited,
                let status = try? await child.call("opencode.status", nil, within: scaled(.seconds(2)))
            {
                report.opencodeStderr = (status["result"]?["stderr"]?.arrayValue ?? []).compactMap(\.stringValue)
            }
            report.transcript = Array(child.transcript.suffix(20))
            report.openworkStderr = Array(child.process.errorOutput.split(separator: "\n").suffix(20).map(String.init))
        }
        report.transcript += notes.suffix(20)
        return report
    }

    /// Stops everything; returns a description of each process that was still running afterwards.
    func tearDown() async -> [String] {
        let children = finishedChildren + (child.map { [$0] } ?? [])
        for child in children {
            trackDescendants(of: child.process.pid)
            tracked.formUnion(child.opencodeProcesses)
        }
        for server in spawned.values { trackDescendants(of: server.process.pid) }
        for child in children {
            child.note("# teardown: SIGTERM to the openwork rpc group")
            await child.process.stop(grace: configuration.stopGrace)
            await child.finish()
        }
        for server in spawned.values { await server.stop(grace: configuration.stopGrace) }
        await stopDaemon()
        var survivors: [String] = []
        for instance in tracked.sorted(by: { $0.pid < $1.pid }) {
            let end = ContinuousClock.now + scaled(.seconds(2))
            while ProcessTable.isRunning(instance), ContinuousClock.now < end {
                try? await Task.sleep(for: .milliseconds(10))
            }
            guard ProcessTable.isRunning(instance) else { continue }
            survivors.append("pid \(instance.pid) (\(ProcessTable.commandLine(instance.pid)))")
            kill(withGroup: instance.pid)
        }
        return survivors + (await stopLeaks())
    }

    /// Processes nobody tracked that still run for this scenario's data directory after a short settle (a
    /// daemon that a lost start race left behind, say): each is a failure. SIGTERM, then SIGKILL of its group
    /// after the stop grace.
    func stopLeaks() async -> [String] {
        guard let data = variables["DATA"]?.stringValue, !data.isEmpty else { return [] }
        try? await Task.sleep(for: scaled(.seconds(1)))
        let leaks = ProcessTable.naming(data)
        guard !leaks.isEmpty else { return [] }
        let reports = leaks.map { "pid \($0.pid) (\(ProcessTable.commandLine($0.pid))), found by its data directory" }
        for leak in leaks {
            notes.append("# teardown: SIGTERM to pid \(leak.pid), still running for \(data)")
            Glibc.kill(leak.pid, SIGTERM)
        }
        let end = ContinuousClock.now + configuration.stopGrace
        while leaks.contains(where: ProcessTable.isRunning), ContinuousClock.now < end {
            try? await Task.sleep(for: .milliseconds(10))
        }
        for leak in leaks + ProcessTable.naming(data) where ProcessTable.isRunning(leak) {
            kill(withGroup: leak.pid)
        }
        return reports
    }

    /// SIGKILL to the group of `pid` (when it has a real one: `kill(-1)` would signal everything), then to `pid`.
    private func kill(withGroup pid: Int32) {
        if let entry = ProcessTable.entry(pid), entry.group > 1 { Glibc.kill(-entry.group, SIGKILL) }
        Glibc.kill(pid, SIGKILL)
    }
}
