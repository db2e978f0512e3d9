import Foundation
public import OpenWorkJSON
import OpenWorkSystem
import OpenWorkTesting

/// The `openwork rpc` child: `start`, `call`, `send`, `wait-until`, `close-stdin`, and `expect exit`.
enum RPCSteps: StepFamily {
    static let verbs: [StepVerb] = [
        StepVerb("start", parse: StartStep.parse),
        StepVerb("call", parse: CallStep.parse),
        StepVerb("send", parse: SendStep.parse),
        StepVerb("wait-until", parse: WaitUntilStep.parse),
        StepVerb("close-stdin", parse: CloseStdinStep.parse),
    ]
    static let expectations: [StepVerb] = [StepVerb("exit", parse: ExpectExitStep.parse)]
}

extension StepParser {
    /// `METHOD [JSON]`.
    fileprivate mutating func methodAndParams(_ body: String) throws -> (String, JSONValue?) {
        let (method, params) = ScenarioParser.split(body)
        guard !method.isEmpty, !method.hasPrefix("{"), !method.hasPrefix("[") else { throw fail("call wants METHOD") }
        return (method, params.isEmpty ? JSONValue?.none : try json(params))
    }
}

/// `start [ARGS…]`: `openwork rpc --data-dir $DATA --opencode-bin $OPENCODE_BIN ARGS…` in `$WORK`, with the
/// scenario's environment. Either flag may be overridden; `--sidecar-manifest` or `--opencode-source` drops
/// `--opencode-bin`.
public struct StartStep: StepAction {
    public var arguments: [Template]

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        parser.started = true
        parser.answered = true
        return Self(arguments: try ScenarioParser.words(arguments).map { try parser.template($0) })
    }

    public func run(in run: ScenarioRun) async throws {
        let arguments = arguments.map(run.text)
        if let child = run.child, !child.process.hasExited { throw StepFailure("openwork rpc is already running") }
        if let child = run.child { run.finishedChildren.append(child) }
        var argv = ["rpc"]
        if !arguments.contains("--data-dir") { argv += ["--data-dir", run.variables["DATA"]?.stringValue ?? ""] }
        // Resolving opencode through the sidecar policy (a manifest or a source) replaces the explicit binary.
        let resolves = arguments.contains {
            ["--opencode-bin", "--sidecar-manifest", "--opencode-source"].contains($0)
        }
        if !resolves { argv += ["--opencode-bin", run.configuration.opencodeExecutable] }
        argv += arguments
        let process = try TestProcess(
            run.configuration.openworkExecutable, argv, environment: run.environment,
            workingDirectory: run.variables["WORK"]?.stringValue)
        let child = RPCChild(process: process)
        run.child = child
        child.note("# started openwork \(argv.joined(separator: " ")) (pid \(process.pid))")
    }
}

/// `call METHOD [JSON] [within D]`: one request; its answer becomes the last answer.
public struct CallStep: StepAction {
    /// The deadline without `within` (a hang deadline, see ``StepAction``).
    public static let defaultDeadline = Duration.seconds(45)

    public var method: String
    public var params: JSONValue?
    public var within: Duration

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        try parser.requireStarted("call")
        let (body, within) = try parser.splitWithin(arguments)
        let (method, params) = try parser.methodAndParams(body)
        return Self(method: method, params: params, within: within ?? defaultDeadline)
    }

    public func run(in run: ScenarioRun) async throws {
        run.lastAnswer = try await run.activeChild().call(
            method, params.map { JSONMatcher.resolve($0, run.variables) }, within: run.scaled(within))
    }
}

/// `send TEXT`: a raw line, as is (for malformed input); its answer is awaited with `await response`.
public struct SendStep: StepAction {
    public var line: Template

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        try parser.requireStarted("send")
        return Self(line: try parser.template(arguments))
    }

    public func run(in run: ScenarioRun) async throws {
        try await run.activeChild().send(run.text(line))
    }
}

/// `wait-until call METHOD [JSON] matches [exact] JSON within D`: polls the call until its result matches.
public struct WaitUntilStep: StepAction {
    public var method: String
    public var params: JSONValue?
    public var expected: JSONValue
    public var mode: MatchMode
    public var within: Duration

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        try parser.requireStarted("wait-until")
        let (body, within) = try parser.splitWithin(arguments)
        guard let within else { throw parser.fail("wait-until needs `within DURATION`") }
        let (call, afterCall) = ScenarioParser.split(body)
        guard call == "call" else { throw parser.fail("wait-until wants `call METHOD [JSON] matches JSON within D`") }
        var searchStart = afterCall.startIndex
        while let range = afterCall.range(of: " matches ", range: searchStart..<afterCall.endIndex) {
            let left = String(afterCall[..<range.lowerBound])
            let right = String(afterCall[range.upperBound...])
            if let (method, params) = try? parser.methodAndParams(left) {
                let (mode, json) = ScenarioParser.mode(right)
                return Self(
                    method: method, params: params, expected: try parser.json(json), mode: mode, within: within)
            }
            searchStart = range.upperBound
        }
        throw parser.fail("wait-until wants `call METHOD [JSON] matches JSON within D`")
    }

    public func run(in run: ScenarioRun) async throws {
        let deadline = run.scaled(within)
        let end = ContinuousClock.now + deadline
        var last: JSONValue?
        while true {
            let remaining = max(end - ContinuousClock.now, .milliseconds(100))
            let answer = try await run.activeChild().call(
                method, params.map { JSONMatcher.resolve($0, run.variables) }, within: remaining)
            last = answer
            if JSONMatcher.match(expected, answer["result"], mode: mode, variables: run.variables) == nil {
                run.lastAnswer = answer
                return
            }
            if ContinuousClock.now >= end { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        run.lastAnswer = last
        let mismatch = JSONMatcher.match(expected, last?["result"], mode: mode, variables: run.variables)
        throw StepFailure(
            "\(method) never matched within \(deadline): \(mismatch?.description ?? "")",
            expected: run.pretty(expected), actual: run.pretty(last))
    }
}

/// `close-stdin`: the end of `openwork rpc`'s input.
public struct CloseStdinStep: StepAction {
    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        try parser.requireStarted("close-stdin")
        guard arguments.isEmpty else { throw parser.fail("close-stdin takes no arguments") }
        return Self()
    }

    public func run(in run: ScenarioRun) async throws {
        try run.activeChild().process.closeInput()
    }
}

/// `expect exit CODE [within D]`: `openwork rpc` ends with exit status CODE.
public struct ExpectExitStep: StepAction {
    /// The deadline without `within` (a hang deadline, see ``StepAction``).
    public static let defaultDeadline = Duration.seconds(30)

    public var code: Int32
    public var within: Duration

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        try parser.requireStarted("expect exit")
        let (codeText, within) = try parser.splitWithin(arguments)
        guard let code = Int32(codeText) else { throw parser.fail("expect exit wants a code") }
        return Self(code: code, within: within ?? defaultDeadline)
    }

    public func run(in run: ScenarioRun) async throws {
        let process = try run.activeChild().process
        let exit: TestProcess.Exit
        do {
            exit = try await process.waitForExit(within: run.scaled(within))
        } catch {
            throw StepFailure("openwork rpc still running after \(within)")
        }
        guard exit.code == code else { throw StepFailure("openwork rpc ended with \(exit), expected exit \(code)") }
    }
}
