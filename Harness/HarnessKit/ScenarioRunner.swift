import Foundation
import OpenWorkClient
import OpenWorkJSON
import OpenWorkSidecars
import OpenWorkSystem
import OpenWorkTesting

#if canImport(Glibc)
    import Glibc
#endif

/// Runs one ``Scenario``: fresh `$WORK` and `$DATA`, the steps in order until one fails, then a teardown that
/// stops everything the scenario started (SIGTERM → grace → SIGKILL of each group) and fails the scenario
/// for any survivor, and for any process still running for its data directory a second later (a leak).
///
/// It does not retry steps and never sleeps to wait for a condition: every wait polls with a deadline.
public enum ScenarioRunner {
    public static func run(_ scenario: Scenario, configuration: HarnessConfiguration) async -> ScenarioOutcome {
        let clock = ContinuousClock()
        let began = clock.now
        var outcome = ScenarioOutcome(
            file: scenario.file, name: scenario.name, title: scenario.title, status: .passed, duration: .zero)
        if scenario.requirements.contains("fake"), !configuration.opencodeIsFake {
            outcome.status = .skipped
            outcome.reason =
                "requires fake (fault knobs or /__fake introspection); opencode under test is "
                + configuration.opencodeExecutable
            return outcome
        }
        let run: ScenarioRun
        do {
            run = try ScenarioRun(scenario: scenario, configuration: configuration)
        } catch {
            outcome.status = .failed
            outcome.failure = .init(message: "cannot prepare directories: \(error)")
            return outcome
        }
        var failure: ScenarioOutcome.Failure?
        for step in scenario.steps {
            do {
                try await run.execute(step)
            } catch let stepFailure as StepFailure {
                failure = await run.failure(stepFailure, at: step)
                break
            } catch {
                failure = await run.failure(StepFailure("\(error)"), at: step)
                break
            }
        }
        let survivors = await run.tearDown()
        if !survivors.isEmpty {
            let message = "left running after teardown (killed now): " + survivors.joined(separator: "; ")
            if failure == nil {
                failure = .init(message: message)
            } else {
                failure?.message += "\n" + message
            }
        }
        if let failure {
            outcome.status = .failed
            outcome.failure = failure
        }
        if configuration.keepWork { outcome.workDirectory = run.root } else { run.removeDirectories() }
        outcome.duration = clock.now - began
        return outcome
    }

    /// Parses and runs a file; a parse error is a failed outcome with its `file:line`.
    public static func run(file: String, configuration: HarnessConfiguration) async -> ScenarioOutcome {
        do {
            return await run(try ScenarioParser.parse(contentsOf: file), configuration: configuration)
        } catch let error as ScenarioParseError {
            let name = (file.split(separator: "/").last.map(String.init) ?? file).replacingOccurrences(
                of: ".scenario", with: "")
            return ScenarioOutcome(
                file: file, name: name, title: name, status: .failed, duration: .zero,
                failure: .init(location: error.location, message: "parse error: \(error)"))
        } catch {
            return ScenarioOutcome(
                file: file, name: file, title: file, status: .failed, duration: .zero,
                failure: .init(message: "\(error)"))
        }
    }
}

/// A step that did not hold.
struct StepFailure: Error {
    var message: String
    var expected: String?
    var actual: String?

    init(_ message: String, expected: String? = nil, actual: String? = nil) {
        self.message = message
        self.expected = expected
        self.actual = actual
    }
}

/// The state of one scenario while it runs. Used by one task only.
final class ScenarioRun {
    let scenario: Scenario
    let configuration: HarnessConfiguration
    let root: String
    var variables: Variables = [:]
    var environment: [String: String]
    var session: RPCSession?
    var finishedSessions: [RPCSession] = []
    var lastAnswer: JSONValue?
    /// The HTTP status of the last `http` step or the exit code of the last `cli` step.
    var lastStatus: Int?
    /// What `cli` and `http` steps did, for the failure report.
    var notes: [String] = []
    var lastEvent: JSONValue?
    var spawned: [String: OpenCodeProcess] = [:]
    /// Processes that must be gone at the end.
    var tracked: Set<ProcessIdentity> = []

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
        ]
        environment = configuration.environment
    }

    func removeDirectories() { try? FileManager.default.removeItem(atPath: root) }

    func text(_ template: Template) -> String { JSONMatcher.substitute(template.text, variables) }

    func scaled(_ duration: Duration) -> Duration { configuration.scaled(duration) }

    // MARK: Steps

    func execute(_ step: Step) async throws {
        switch step.action {
        case .env(let name, let value):
            environment[name] = text(value)
        case .mkdir(let paths):
            for path in paths {
                try FileManager.default.createDirectory(atPath: text(path), withIntermediateDirectories: true)
            }
        case .write(let path, let section, let mode):
            try Self.writeFile(text(path), Array((scenario.sections[section] ?? "").utf8), mode: mode ?? 0o644)
        case .remove(let path):
            try FileManager.default.removeItem(atPath: text(path))
        case .sidecarManifest(let path, let version):
            try Self.writeFile(text(path), try sidecarManifest(version: text(version)), mode: 0o644)
        case .start(let arguments):
            try start(arguments.map(text))
        case .call(let method, let params, let within):
            lastAnswer = try await activeSession().call(
                method, params.map { JSONMatcher.resolve($0, variables) }, within: scaled(within))
        case .send(let line):
            try await activeSession().send(text(line))
        case .expectAnswer(let part, let expected, let mode):
            try expectAnswer(part, expected, mode)
        case .capture(let name, let source, let pointer):
            let from = source == .answer ? lastAnswer : lastEvent
            guard let from else { throw StepFailure("nothing to capture from yet") }
            guard let value = try from.value(atPointer: pointer) else {
                throw StepFailure("nothing at \(pointer)", actual: pretty(from))
            }
            variables[name] = value
        case .awaitEvent(let type, let expected, let mode, let within):
            try await awaitEvent(type, expected, mode, within: scaled(within))
        case .refuteEvent(let type, let expected, let mode, let within):
            try await refuteEvent(type, expected, mode, within: scaled(within))
        case .awaitResponse(let expected, let mode, let within):
            try await awaitResponse(expected, mode, within: scaled(within))
        case .refuteResponse(let expected, let mode, let within):
            try await refuteResponse(expected, mode, within: scaled(within))
        case .waitUntil(let method, let params, let expected, let mode, let within):
            try await waitUntil(method, params, expected, mode, within: scaled(within))
        case .kill(let target, let signal):
            try await kill(target, signal)
        case .spawn(let name, let arguments, let within):
            try await spawn(name, arguments.map(text), within: scaled(within))
        case .askPermission(let name, let directory, let permission, let patterns):
            variables[name] = .string(try await askPermission(text(directory), permission, patterns.map(text)))
        case .expectFile(let path, let condition):
            try expectFile(text(path), condition)
        case .expectGone(let name, let within):
            let pid = try pid(in: name)
            let end = ContinuousClock.now + scaled(within)
            while !FakeOpenCode.isGone(pid) {
                guard ContinuousClock.now < end else {
                    throw StepFailure("pid \(pid) (\(ProcessTable.commandLine(pid))) still running after \(within)")
                }
                try await Task.sleep(for: .milliseconds(10))
            }
        case .expectAlive(let name):
            let pid = try pid(in: name)
            if FakeOpenCode.isGone(pid) { throw StepFailure("pid \(pid) is not running") }
        case .closeStdin:
            try activeSession().process.closeInput()
        case .expectExit(let code, let within):
            let process = try activeSession().process
            let exit: TestProcess.Exit
            do {
                exit = try await process.waitForExit(within: scaled(within))
            } catch {
                throw StepFailure("openwork rpc still running after \(within)")
            }
            guard exit.code == code else { throw StepFailure("openwork rpc ended with \(exit), expected exit \(code)") }
        case .cli(let arguments, let copies, let within):
            try await cli(arguments.map(text), copies: copies, within: scaled(within))
        case .http(let method, let target, let body, let options, let within):
            try await http(
                method, text(target), body.map { JSONMatcher.resolve($0, variables) }, options, scaled(within))
        case .expectStatus(let status):
            guard let lastStatus else { throw StepFailure("no `cli` or `http` step ran yet") }
            guard lastStatus == status else {
                throw StepFailure(
                    "status \(lastStatus), expected \(status)", expected: "\(status)", actual: pretty(lastAnswer))
            }
        case .expectEach(let expected, let mode):
            try expectEach(expected, mode)
        case .expectArgvClean:
            try expectArgvClean()
        }
    }

    /// Writes through a close-on-exec descriptor: a child spawned meanwhile by another scenario must not
    /// inherit it, or executing the file (a wrapper script) fails with ETXTBSY while that child holds it.
    static func writeFile(_ path: String, _ bytes: [UInt8], mode: Int) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw StepFailure("cannot write \(path): errno \(errno)") }
        defer { close(fd) }
        fchmod(fd, mode_t(mode))
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw StepFailure("cannot write \(path): errno \(errno)") }
            offset += written
        }
    }

    /// A manifest whose only entry is the opencode under test, for this host, as `opencode` `version`.
    func sidecarManifest(version: String) throws -> [UInt8] {
        let binary = configuration.opencodeExecutable
        guard case .success(let target) = HostTarget.current(),
            let pin = SidecarManifest.pin(file: binary, asset: "opencode", url: "file://" + binary)
        else { throw StepFailure("cannot pin \(binary) for this host") }
        let manifest = SidecarManifest(
            version: version, entries: ["opencode": .init(version: version, targets: [target: pin])])
        return try manifest.json.serializedBytes(.pretty)
    }

    func activeSession() throws -> RPCSession {
        guard let session else { throw StepFailure("openwork rpc is not running (no `start`)") }
        return session
    }

    func start(_ arguments: [String]) throws {
        if let session, !session.process.hasExited { throw StepFailure("openwork rpc is already running") }
        if let session { finishedSessions.append(session) }
        var argv = ["rpc"]
        if !arguments.contains("--data-dir") { argv += ["--data-dir", variables["DATA"]?.stringValue ?? ""] }
        // Resolving opencode through the sidecar policy (a manifest or a source) replaces the explicit binary.
        let resolves = arguments.contains {
            ["--opencode-bin", "--sidecar-manifest", "--opencode-source"].contains($0)
        }
        if !resolves { argv += ["--opencode-bin", configuration.opencodeExecutable] }
        argv += arguments
        let process = try TestProcess(
            configuration.openworkExecutable, argv, environment: environment,
            workingDirectory: variables["WORK"]?.stringValue)
        session = RPCSession(process: process)
        session?.note("# started openwork \(argv.joined(separator: " ")) (pid \(process.pid))")
    }

    func expectAnswer(_ part: AnswerPart, _ expected: JSONValue, _ mode: MatchMode) throws {
        guard let lastAnswer else { throw StepFailure("no answer to check yet") }
        let actual: JSONValue?
        switch part {
        case .response: actual = lastAnswer
        case .result, .error:
            actual = lastAnswer[part.rawValue]
            guard actual != nil else {
                throw StepFailure(
                    part == .result ? "expected a result, got an error" : "expected an error, got a result",
                    expected: pretty(expected),
                    actual: pretty(lastAnswer))
            }
        }
        if let mismatch = JSONMatcher.match(expected, actual, mode: mode, variables: variables) {
            throw StepFailure(
                "\(part.rawValue) does not match \(mismatch)", expected: pretty(expected), actual: pretty(actual))
        }
    }

    static func typeMatches(_ pattern: String, _ type: String?) -> Bool {
        guard let type else { return false }
        if pattern.hasSuffix(".*") { return type.hasPrefix(String(pattern.dropLast())) }
        return pattern == type
    }

    func awaitEvent(_ type: String, _ expected: JSONValue, _ mode: MatchMode, within deadline: Duration) async throws {
        let variables = self.variables
        let found = try await activeSession().wait(within: deadline) { inbox -> JSONValue? in
            guard
                let index = inbox.events.firstIndex(where: {
                    Self.typeMatches(type, $0["type"]?.stringValue)
                        && JSONMatcher.match(expected, $0, mode: mode, variables: variables) == nil
                })
            else { return nil }
            let event = inbox.events[index]
            inbox.events.removeFirst(index + 1)
            return event
        }
        if let found {
            lastEvent = found
            return
        }
        let pending = try activeSession().peek { $0.events }
        throw StepFailure(
            "no \(type) event matching within \(deadline); \(pending.count) unconsumed events",
            expected: pretty(expected), actual: pending.isEmpty ? "(no events)" : pretty(.array(pending)))
    }

    func refuteEvent(_ type: String, _ expected: JSONValue, _ mode: MatchMode, within deadline: Duration) async throws {
        let variables = self.variables
        let found = try await activeSession().wait(within: deadline) { inbox -> JSONValue? in
            inbox.events.first {
                Self.typeMatches(type, $0["type"]?.stringValue)
                    && JSONMatcher.match(expected, $0, mode: mode, variables: variables) == nil
            }
        }
        if let found {
            throw StepFailure("an unwanted \(type) event arrived", expected: pretty(expected), actual: pretty(found))
        }
    }

    func awaitResponse(_ expected: JSONValue, _ mode: MatchMode, within deadline: Duration) async throws {
        let variables = self.variables
        let found = try await activeSession().wait(within: deadline) { inbox -> JSONValue? in
            guard
                let index = inbox.responses.firstIndex(where: {
                    JSONMatcher.match(expected, $0, mode: mode, variables: variables) == nil
                })
            else { return nil }
            return inbox.responses.remove(at: index)
        }
        if let found {
            lastAnswer = found
            return
        }
        let pending = try activeSession().peek { $0.responses }
        throw StepFailure(
            "no matching response within \(deadline)", expected: pretty(expected),
            actual: pending.isEmpty ? "(no responses)" : pretty(.array(pending)))
    }

    func refuteResponse(_ expected: JSONValue, _ mode: MatchMode, within deadline: Duration) async throws {
        let variables = self.variables
        let found = try await activeSession().wait(within: deadline) { inbox -> JSONValue? in
            inbox.responses.first { JSONMatcher.match(expected, $0, mode: mode, variables: variables) == nil }
        }
        if let found {
            throw StepFailure("an unwanted response arrived", expected: pretty(expected), actual: pretty(found))
        }
    }

    func waitUntil(
        _ method: String, _ params: JSONValue?, _ expected: JSONValue, _ mode: MatchMode, within deadline: Duration
    ) async throws {
        let end = ContinuousClock.now + deadline
        var last: JSONValue?
        while true {
            let remaining = max(end - ContinuousClock.now, .milliseconds(100))
            let answer = try await activeSession().call(
                method, params.map { JSONMatcher.resolve($0, variables) }, within: remaining)
            last = answer
            if JSONMatcher.match(expected, answer["result"], mode: mode, variables: variables) == nil {
                lastAnswer = answer
                return
            }
            if ContinuousClock.now >= end { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        lastAnswer = last
        let mismatch = JSONMatcher.match(expected, last?["result"], mode: mode, variables: variables)
        throw StepFailure(
            "\(method) never matched within \(deadline): \(mismatch?.description ?? "")", expected: pretty(expected),
            actual: pretty(last))
    }

    func kill(_ target: KillTarget, _ signal: Int32) async throws {
        let pid: Int32
        switch target {
        case .openwork:
            let session = try activeSession()
            trackDescendants(of: session.process.pid)
            session.note("# kill -\(signal) openwork (pid \(session.process.pid))")
            session.process.signal(signal)
            return
        case .daemon:
            guard let record = daemonRecord(), record.isAlive else { throw StepFailure("no daemon is running") }
            trackDaemon()
            pid = record.pid
        case .opencode:
            let status = try await activeSession().call("opencode.status", nil, within: scaled(.seconds(5)))
            guard let found = status["result"]?["pid"]?.int64Value.flatMap({ Int32(exactly: $0) }) else {
                throw StepFailure("opencode is not running", actual: pretty(status))
            }
            pid = found
        case .spawned(let name):
            guard let process = spawned[name] else { throw StepFailure("nothing spawned as \(name)") }
            pid = process.process.pid
        case .variable(let name):
            pid = try self.pid(in: name)
        }
        if let identity = ProcessTable.identity(pid) { tracked.insert(identity) }
        session?.note("# kill -\(signal) \(pid)")
        guard Glibc.kill(pid, signal) == 0 else { throw StepFailure("kill -\(signal) \(pid) failed: errno \(errno)") }
    }

    func spawn(_ name: String, _ arguments: [String], within deadline: Duration) async throws {
        var environment = self.environment
        environment["OPENCODE_SERVER_PASSWORD"] = nil
        do {
            let server = try await OpenCodeProcess.start(
                executable: configuration.opencodeExecutable, arguments: arguments, environment: environment,
                workingDirectory: variables["WORK"]?.stringValue, readyWithin: deadline)
            spawned[name] = server
            variables[name + "_URL"] = .string(server.baseURL)
            variables[name + "_PID"] = .integer(Int64(server.process.pid))
            session?.note("# spawned \(name) at \(server.baseURL) (pid \(server.process.pid))")
        } catch {
            throw StepFailure("spawn \(name) failed: \(error)")
        }
    }

    func expectFile(_ path: String, _ condition: FileCondition) throws {
        let exists = FileManager.default.fileExists(atPath: path)
        switch condition {
        case .exists: if !exists { throw StepFailure("\(path) does not exist") }
        case .absent: if exists { throw StepFailure("\(path) exists") }
        case .equals(let section):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw StepFailure("cannot read \(path)")
            }
            let wanted = scenario.sections[section] ?? ""
            if Array(data) != Array(wanted.utf8) {
                throw StepFailure(
                    "\(path) differs from section \(section)", expected: wanted,
                    actual: String(decoding: data, as: UTF8.self))
            }
        case .mode(let bits):
            var info = stat()
            guard stat(path, &info) == 0 else { throw StepFailure("cannot stat \(path): errno \(errno)") }
            let actual = Int(info.st_mode) & 0o7777
            guard actual == bits else {
                throw StepFailure(
                    "\(path) has mode \(String(actual, radix: 8)), expected \(String(bits, radix: 8))",
                    expected: "0" + String(bits, radix: 8), actual: "0" + String(actual, radix: 8))
            }
        case .matches(let expected, let mode):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw StepFailure("cannot read \(path)")
            }
            let actual: JSONValue
            do {
                actual = try JSONValue(parsing: Array(data))
            } catch {
                throw StepFailure("\(path) is not JSON: \(error)", actual: String(decoding: data, as: UTF8.self))
            }
            if let mismatch = JSONMatcher.match(expected, actual, mode: mode, variables: variables) {
                throw StepFailure(
                    "\(path) does not match \(mismatch)", expected: pretty(expected), actual: pretty(actual))
            }
        }
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
        if let session {
            if !session.process.hasExited,
                let status = try? await session.call("opencode.status", nil, within: scaled(.seconds(2)))
            {
                report.opencodeStderr = (status["result"]?["stderr"]?.arrayValue ?? []).compactMap(\.stringValue)
            }
            report.transcript = Array(session.transcript.suffix(20))
            report.openworkStderr = Array(
                session.process.errorOutput.split(separator: "\n").suffix(20).map(String.init))
        }
        report.transcript += notes.suffix(20)
        return report
    }

    /// Stops everything; returns a description of each process that was still running afterwards.
    func tearDown() async -> [String] {
        let sessions = finishedSessions + (session.map { [$0] } ?? [])
        for session in sessions {
            trackDescendants(of: session.process.pid)
            tracked.formUnion(session.opencodeProcesses)
        }
        for server in spawned.values { trackDescendants(of: server.process.pid) }
        for session in sessions {
            session.note("# teardown: SIGTERM to the openwork rpc group")
            await session.process.stop(grace: configuration.stopGrace)
            await session.finish()
        }
        for server in spawned.values { await server.stop(grace: configuration.stopGrace) }
        await stopDaemon()
        var survivors: [String] = []
        for identity in tracked.sorted(by: { $0.pid < $1.pid }) {
            let end = ContinuousClock.now + scaled(.seconds(2))
            while ProcessTable.isRunning(identity), ContinuousClock.now < end {
                try? await Task.sleep(for: .milliseconds(10))
            }
            guard ProcessTable.isRunning(identity) else { continue }
            survivors.append("pid \(identity.pid) (\(ProcessTable.commandLine(identity.pid)))")
            if let entry = ProcessTable.entry(identity.pid), entry.group > 1 { Glibc.kill(-entry.group, SIGKILL) }
            Glibc.kill(identity.pid, SIGKILL)
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
            if let entry = ProcessTable.entry(leak.pid), entry.group > 1 { Glibc.kill(-entry.group, SIGKILL) }
            Glibc.kill(leak.pid, SIGKILL)
        }
        return reports
    }
}
