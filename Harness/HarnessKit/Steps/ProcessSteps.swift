import OpenWorkClient
import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting

#if canImport(Glibc)
    import Glibc
#endif

/// Processes besides `openwork rpc`'s answers: `env` (the environment of what starts next), `kill`, `spawn`, and
/// `expect gone|alive`.
enum ProcessSteps: StepFamily {
    static let verbs: [StepVerb] = [
        StepVerb("env", parse: EnvStep.parse),
        StepVerb("kill", parse: KillStep.parse),
        StepVerb("spawn", parse: SpawnStep.parse),
    ]
    static let expectations: [StepVerb] = [
        StepVerb("gone", parse: ExpectGoneStep.parse),
        StepVerb("alive", parse: ExpectAliveStep.parse),
    ]
}

/// `env NAME=VALUE`: the environment of the next `start`, `cli` and `spawn` (and of opencode under them).
public struct EnvStep: StepAction {
    public var name: String
    public var value: Template

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        guard let equals = arguments.firstIndex(of: "="), equals != arguments.startIndex else {
            throw parser.fail("env wants NAME=VALUE")
        }
        let name = String(arguments[..<equals])
        let value = String(arguments[arguments.index(after: equals)...])
        if name.hasPrefix("FAKE_OPENCODE_") { parser.requireFake() }
        return Self(name: name, value: try parser.template(value))
    }

    public func run(in run: ScenarioRun) async throws {
        run.environment[name] = run.text(value)
    }
}

/// `kill TARGET [-SIGNAL]` (SIGTERM by default). What it signals is tracked, so a survivor fails the scenario.
public struct KillStep: StepAction {
    /// Which process is signalled.
    public enum Target: Sendable, Hashable {
        /// The opencode that `openwork rpc` supervises now (its pid is asked with `opencode.status`).
        case opencode
        /// The `openwork rpc` process itself.
        case openwork
        /// The daemon recorded in `$DATA`'s state file.
        case daemon
        /// A process started by `spawn NAME`.
        case spawned(String)
        /// The pid held by a variable.
        case variable(String)
    }

    public var target: Target
    public var signal: Int32

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        let words = ScenarioParser.words(arguments)
        guard words.count == 1 || words.count == 2 else { throw parser.fail("kill wants TARGET [-SIGNAL]") }
        let signal = words.count == 2 ? ScenarioParser.parseSignal(words[1]) : 15
        guard let signal else { throw parser.fail("unknown signal \(words[1])") }
        return Self(target: try target(words[0], parser), signal: signal)
    }

    private static func target(_ word: String, _ parser: StepParser) throws -> Target {
        switch word {
        case "opencode":
            try parser.requireStarted("kill opencode")
            return .opencode
        case "openwork":
            try parser.requireStarted("kill openwork")
            return .openwork
        case "daemon":
            return .daemon
        default:
            if word.hasPrefix("$") { return .variable(try parser.variable(word)) }
            guard parser.defined.contains(word + "_PID") else {
                throw parser.fail("kill wants opencode, openwork, a spawned NAME or $VARIABLE; got \(word)")
            }
            return .spawned(word)
        }
    }

    public func run(in run: ScenarioRun) async throws {
        let pid: Int32
        switch target {
        case .openwork:
            let child = try run.activeChild()
            run.trackDescendants(of: child.process.pid)
            child.note("# kill -\(signal) openwork (pid \(child.process.pid))")
            child.process.signal(signal)
            return
        case .daemon:
            guard let record = run.daemonRecord(), record.isAlive else { throw StepFailure("no daemon is running") }
            run.trackDaemon()
            pid = record.pid
        case .opencode:
            let status = try await run.activeChild().call("opencode.status", nil, within: run.scaled(.seconds(5)))
            guard let found = status["result"]?["pid"]?.int64Value.flatMap({ Int32(exactly: $0) }) else {
                throw StepFailure("opencode is not running", actual: run.pretty(status))
            }
            pid = found
        case .spawned(let name):
            guard let process = run.spawned[name] else { throw StepFailure("nothing spawned as \(name)") }
            pid = process.process.pid
        case .variable(let name):
            pid = try run.pid(in: name)
        }
        if let instance = ProcessTable.instance(pid) { run.tracked.insert(instance) }
        run.child?.note("# kill -\(signal) \(pid)")
        guard Glibc.kill(pid, signal) == 0 else { throw StepFailure("kill -\(signal) \(pid) failed: errno \(errno)") }
    }
}

/// `spawn NAME opencode ARGS… [within D]`: starts the opencode under test without a password, in `$WORK`;
/// defines `$NAME_URL` and `$NAME_PID` once it listens.
public struct SpawnStep: StepAction {
    /// The deadline without `within` (a hang deadline, see ``StepAction``).
    public static let defaultDeadline = Duration.seconds(45)

    public var name: String
    public var arguments: [Template]
    public var within: Duration

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        let (body, within) = try parser.splitWithin(arguments)
        let words = ScenarioParser.words(body)
        guard words.count >= 2, StepParser.variableName("$" + words[0]) != nil else {
            throw parser.fail("spawn wants NAME opencode ARGS… (NAME in upper case)")
        }
        guard words[1] == "opencode" else { throw parser.fail("spawn can start `opencode` (the one under test) only") }
        parser.defined.formUnion([words[0], words[0] + "_URL", words[0] + "_PID"])
        return Self(
            name: words[0], arguments: try words.dropFirst(2).map { try parser.template($0) },
            within: within ?? defaultDeadline)
    }

    public func run(in run: ScenarioRun) async throws {
        var environment = run.environment
        environment["OPENCODE_SERVER_PASSWORD"] = nil
        do {
            let server = try await OpenCodeProcess.start(
                executable: run.configuration.opencodeExecutable, arguments: arguments.map(run.text),
                environment: environment, workingDirectory: run.variables["WORK"]?.stringValue,
                readyWithin: run.scaled(within))
            run.spawned[name] = server
            run.variables[name + "_URL"] = .string(server.baseURL)
            run.variables[name + "_PID"] = .integer(Int64(server.process.pid))
            run.child?.note("# spawned \(name) at \(server.baseURL) (pid \(server.process.pid))")
        } catch {
            throw StepFailure("spawn \(name) failed: \(error)")
        }
    }
}

/// `expect gone $VAR [within D]`: the process whose pid `$VAR` holds exits (a zombie counts as gone).
public struct ExpectGoneStep: StepAction {
    /// The deadline without `within` (a hang deadline, see ``StepAction``).
    public static let defaultDeadline = Duration.seconds(15)

    public var variable: String
    public var within: Duration

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        let (variableText, within) = try parser.splitWithin(arguments)
        return Self(variable: try parser.variable(variableText), within: within ?? defaultDeadline)
    }

    public func run(in run: ScenarioRun) async throws {
        let pid = try run.pid(in: variable)
        let end = ContinuousClock.now + run.scaled(within)
        while !FakeOpenCode.isGone(pid) {
            guard ContinuousClock.now < end else {
                throw StepFailure("pid \(pid) (\(ProcessTable.commandLine(pid))) still running after \(within)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// `expect alive $VAR`: the process whose pid `$VAR` holds runs (and is not a zombie).
public struct ExpectAliveStep: StepAction {
    public var variable: String

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        Self(variable: try parser.variable(arguments))
    }

    public func run(in run: ScenarioRun) async throws {
        let pid = try run.pid(in: variable)
        if FakeOpenCode.isGone(pid) { throw StepFailure("pid \(pid) is not running") }
    }
}
