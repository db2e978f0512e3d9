import Foundation
import OpenWorkClient
public import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting

/// The daemon driven the way users and integrators do: `cli` (the built `openwork`), `http` (the control plane,
/// with or without the token, with a foreign `Host` or `Origin`), and the checks on what they leave
/// (`expect status`, `expect each`, `expect argv-clean`).
enum ControlPlaneSteps: StepFamily {
    static let verbs: [StepVerb] = [
        StepVerb("cli", parse: CLIStep.parse),
        StepVerb("http", parse: HTTPStep.parse),
    ]
    static let expectations: [StepVerb] = [
        StepVerb("status", parse: ExpectStatusStep.parse),
        StepVerb("each", parse: ExpectEachStep.parse),
        StepVerb("argv-clean", parse: ExpectArgvCleanStep.parse),
    ]
}

/// `cli [xN] ARGS… [within D]`: runs `openwork ARGS…` to its end in `$WORK` (N copies at once) with
/// ``ScenarioRun/cliEnvironment``. The answer is the last stdout line as JSON (else the output as a string; an
/// array of them for `xN`), the status its exit code (the first non-zero one for `xN`).
public struct CLIStep: StepAction {
    /// The deadline without `within` (a hang deadline, see ``StepAction``).
    public static let defaultDeadline = Duration.seconds(90)

    public var arguments: [Template]
    public var copies: Int
    public var within: Duration

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        parser.answered = true
        let (body, within) = try parser.splitWithin(arguments)
        var words = ScenarioParser.words(body)
        var copies = 1
        if let first = words.first, first.hasPrefix("x"), let count = Int(first.dropFirst()) {
            guard (1...64).contains(count) else { throw parser.fail("cli xN wants 1 to 64 copies") }
            copies = count
            words.removeFirst()
        }
        guard !words.isEmpty else { throw parser.fail("cli wants the openwork arguments") }
        return Self(
            arguments: try words.map { try parser.template($0) }, copies: copies, within: within ?? defaultDeadline)
    }

    public func run(in run: ScenarioRun) async throws {
        let arguments = arguments.map(run.text)
        let deadline = run.scaled(within)
        let executable = run.configuration.openworkExecutable
        let environment = run.cliEnvironment
        let workingDirectory = run.variables["WORK"]?.stringValue
        run.notes.append(
            "$ openwork \(arguments.joined(separator: " "))" + (copies > 1 ? "   (×\(copies) at once)" : ""))
        let runs = try await withThrowingTaskGroup(of: (Int, TestProcess.Exit, String, String).self) { group in
            for index in 0..<copies {
                group.addTask {
                    let process = try TestProcess(
                        executable, arguments, environment: environment, workingDirectory: workingDirectory)
                    let output: String
                    let exit: TestProcess.Exit
                    do {
                        output = try await process.readRemainingOutput(within: deadline)
                        exit = try await process.waitForExit(within: deadline)
                    } catch {
                        _ = await process.stop(grace: .milliseconds(500))
                        throw StepFailure("openwork \(arguments.joined(separator: " ")) did not end within \(deadline)")
                    }
                    return (index, exit, output, process.errorOutput)
                }
            }
            var runs: [(Int, TestProcess.Exit, String, String)] = []
            for try await finished in group { runs.append(finished) }
            return runs.sorted { $0.0 < $1.0 }
        }
        run.trackDaemon()
        let answers = runs.map { Self.answer(fromOutput: $0.2) }
        for output in runs {
            run.cliErrorOutputs.append(output.3)
            run.notes.append("  \(output.1): " + output.2.split(separator: "\n").suffix(3).joined(separator: " | "))
            if !output.3.isEmpty {
                run.notes.append("  stderr: " + output.3.split(separator: "\n").suffix(3).joined(separator: " | "))
            }
        }
        run.lastAnswer = copies == 1 ? answers[0] : .array(answers)
        run.lastStatus = runs.map { Int($0.1.code ?? 128 + ($0.1.signal ?? 0)) }.first { $0 != 0 } ?? 0
    }

    /// The last line of stdout as JSON when it is JSON (the `--json` object), else the whole output as a string.
    static func answer(fromOutput output: String) -> JSONValue {
        let lastLine = output.split(separator: "\n").last.map(String.init) ?? ""
        if let value = try? JSONValue(parsing: lastLine) { return value }
        return .string(output)
    }
}

/// `http METHOD /target [JSON] [no-token | token=T] [host=H] [origin=O] [within D]`: one request to the daemon
/// recorded in `$DATA`, over a plain socket (so any `Host` can be sent), with the token of `$DATA/daemon-token`
/// unless told otherwise. The answer is the body (JSON when it parses), the status the HTTP status.
public struct HTTPStep: StepAction {
    /// What is sent besides the method, target and body.
    public struct Options: Sendable, Hashable {
        public enum Token: Sendable, Hashable {
            /// The token in `$DATA/daemon-token`.
            case daemon
            case none
            case literal(Template)
        }

        public var token = Token.daemon
        /// Replaces the `Host` header (default: the daemon's `127.0.0.1:PORT`).
        public var host: Template?
        public var origin: Template?

        public init() {}
    }

    /// The deadline without `within` (a hang deadline, see ``StepAction``).
    public static let defaultDeadline = Duration.seconds(45)

    public var method: String
    public var target: Template
    public var body: JSONValue?
    public var options: Options
    public var within: Duration

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        parser.answered = true
        let (body, within) = try parser.splitWithin(arguments)
        let (method, afterMethod) = ScenarioParser.split(body)
        let (target, afterTarget) = ScenarioParser.split(afterMethod)
        guard ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"].contains(method), target.hasPrefix("/")
        else { throw parser.fail("http wants METHOD /target [JSON] [options]") }
        var words = ScenarioParser.words(afterTarget)
        var options = Options()
        while let last = words.last {
            if last == "no-token" {
                options.token = .none
            } else if last.hasPrefix("token=") {
                options.token = .literal(try parser.template(String(last.dropFirst("token=".count))))
            } else if last.hasPrefix("host=") {
                options.host = try parser.template(String(last.dropFirst("host=".count)))
            } else if last.hasPrefix("origin=") {
                options.origin = try parser.template(String(last.dropFirst("origin=".count)))
            } else {
                break
            }
            words.removeLast()
        }
        let payload = words.joined(separator: " ")
        return Self(
            method: method, target: try parser.template(target),
            body: payload.isEmpty ? JSONValue?.none : try parser.json(payload), options: options,
            within: within ?? defaultDeadline)
    }

    public func run(in run: ScenarioRun) async throws {
        let target = run.text(target)
        let body = body.map { JSONMatcher.resolve($0, run.variables) }
        let dataDirectory = run.dataDirectory
        guard let record = run.daemonRecord() else {
            throw StepFailure("no daemon recorded in \(dataDirectory.path)")
        }
        var headers: [(String, String)] = []
        switch options.token {
        case .daemon:
            guard let token = DaemonToken.read(from: DaemonToken.path(inDataDirectory: dataDirectory.path)) else {
                throw StepFailure("no daemon token in \(dataDirectory.path)")
            }
            headers.append(("Authorization", "Bearer \(token.value)"))
        case .none:
            break
        case .literal(let token):
            headers.append(("Authorization", "Bearer \(run.text(token))"))
        }
        if let host = options.host { headers.append(("Host", run.text(host))) }
        if let origin = options.origin { headers.append(("Origin", run.text(origin))) }
        var bytes: [UInt8] = []
        if let body {
            headers.append(("Content-Type", "application/json"))
            bytes = try body.serializedBytes(.compact)
        }
        run.notes.append("> \(method) \(target)" + (body.map { " " + ((try? $0.serialized(.compact)) ?? "") } ?? ""))
        let response: LoopbackHTTP.Response
        do {
            response = try await LoopbackHTTP.exchange(
                record.baseURL, method: method, target: target, headers: headers, body: bytes,
                timeout: run.scaled(within))
        } catch {
            throw StepFailure("\(method) \(target) failed: \(error)")
        }
        run.lastStatus = response.status
        run.lastAnswer =
            response.body.isEmpty
            ? .null
            : (try? JSONValue(parsing: response.body)) ?? .string(String(decoding: response.body, as: UTF8.self))
        run.notes.append("< \(response.status) " + String(decoding: response.body.prefix(300), as: UTF8.self))
        run.trackDaemon()
    }
}

/// `expect status N`: the HTTP status of the last `http` step, or the exit code of the last `cli` step.
public struct ExpectStatusStep: StepAction {
    public var status: Int

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        try parser.requireAnswer("expect status")
        guard let status = Int(arguments) else { throw parser.fail("expect status wants a number") }
        return Self(status: status)
    }

    public func run(in run: ScenarioRun) async throws {
        guard let lastStatus = run.lastStatus else { throw StepFailure("no `cli` or `http` step ran yet") }
        guard lastStatus == status else {
            throw StepFailure(
                "status \(lastStatus), expected \(status)", expected: "\(status)", actual: run.pretty(run.lastAnswer))
        }
    }
}

/// `expect each [exact] JSON`: every element of the last answer (an array: the outputs of `cli xN`) matches.
public struct ExpectEachStep: StepAction {
    public var expected: JSONValue
    public var mode: MatchMode

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        try parser.requireAnswer("expect each")
        let (mode, json) = ScenarioParser.mode(arguments)
        return Self(expected: try parser.json(json), mode: mode)
    }

    public func run(in run: ScenarioRun) async throws {
        guard let items = run.lastAnswer?.arrayValue, !items.isEmpty else {
            throw StepFailure("the last answer is not a non-empty array", actual: run.pretty(run.lastAnswer))
        }
        for (index, item) in items.enumerated() {
            if let mismatch = JSONMatcher.match(expected, item, mode: mode, variables: run.variables) {
                throw StepFailure(
                    "element \(index) does not match \(mismatch)", expected: run.pretty(expected),
                    actual: run.pretty(item))
            }
        }
    }
}

/// `expect argv-clean`: no process's command line (what `ps` shows) holds the daemon token or the password in
/// any visible opencode's environment. Fails when there is neither to look for.
public struct ExpectArgvCleanStep: StepAction {
    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        guard arguments.isEmpty else { throw parser.fail("expect argv-clean takes no arguments") }
        return Self()
    }

    public func run(in run: ScenarioRun) async throws {
        let secrets = Self.secrets(of: run)
        guard !secrets.isEmpty else {
            throw StepFailure("nothing to look for: no daemon token and no opencode password found")
        }
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        for pid in pids {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else {
                continue
            }
            let commandLine = String(decoding: data, as: UTF8.self)
            for (name, secret) in secrets where commandLine.contains(secret) {
                throw StepFailure("\(name) is on the command line of pid \(pid): \(ProcessTable.commandLine(pid))")
            }
        }
        run.notes.append(
            "# argv-clean: \(pids.count) command lines checked for \(secrets.keys.sorted().joined(separator: ", "))")
    }

    /// The secrets of this scenario: the daemon token and the password of every opencode we can see.
    static func secrets(of run: ScenarioRun) -> [String: String] {
        let dataDirectory = run.dataDirectory
        var secrets: [String: String] = [:]
        if let token = DaemonToken.read(from: DaemonToken.path(inDataDirectory: dataDirectory.path)) {
            secrets["the daemon token"] = token.value
        }
        let state =
            (try? Data(contentsOf: URL(fileURLWithPath: dataDirectory.statePath)))
            .flatMap { try? JSONValue(parsing: Array($0)) }
        var opencodePIDs = run.tracked.map(\.pid)
        if let pid = state?["opencode"]?["pid"]?.int64Value.flatMap({ Int32(exactly: $0) }) { opencodePIDs.append(pid) }
        for pid in opencodePIDs {
            guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
            for entry in String(decoding: environ, as: UTF8.self).split(separator: "\0")
            where entry.hasPrefix("OPENCODE_SERVER_PASSWORD=") {
                let value = String(entry.dropFirst("OPENCODE_SERVER_PASSWORD=".count))
                if !value.isEmpty { secrets["the opencode password of pid \(pid)"] = value }
            }
        }
        return secrets
    }
}
