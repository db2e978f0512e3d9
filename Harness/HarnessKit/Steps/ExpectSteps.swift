public import OpenWorkJSON

/// Checks on the last answer and what a scenario keeps of it: `expect result|error|response` and `capture`.
///
/// The last answer is left by `start` (none yet), `call`, `wait-until`, `await response`, `cli` and `http`.
enum ExpectSteps: StepFamily {
    static let verbs: [StepVerb] = [StepVerb("capture", parse: CaptureStep.parse)]
    static let expectations: [StepVerb] = ExpectAnswerStep.Part.allCases.map { part in
        StepVerb(part.rawValue) { arguments, parser in try ExpectAnswerStep.parse(part, arguments, &parser) }
    }
}

/// `expect result|error|response [exact] JSON`: the last answer's `result`, `error`, or the whole message.
public struct ExpectAnswerStep: StepAction {
    /// Which part of the answer is compared.
    public enum Part: String, Sendable, CaseIterable {
        case result
        case error
        /// The whole message.
        case response
    }

    public var part: Part
    public var expected: JSONValue
    public var mode: MatchMode

    static func parse(_ part: Part, _ arguments: String, _ parser: inout StepParser) throws -> Self {
        try parser.requireAnswer("expect \(part.rawValue)")
        let (mode, json) = ScenarioParser.mode(arguments)
        return Self(part: part, expected: try parser.json(json), mode: mode)
    }

    public func run(in run: ScenarioRun) async throws {
        guard let lastAnswer = run.lastAnswer else { throw StepFailure("no answer to check yet") }
        let actual: JSONValue?
        switch part {
        case .response: actual = lastAnswer
        case .result, .error:
            actual = lastAnswer[part.rawValue]
            guard actual != nil else {
                throw StepFailure(
                    part == .result ? "expected a result, got an error" : "expected an error, got a result",
                    expected: run.pretty(expected),
                    actual: run.pretty(lastAnswer))
            }
        }
        if let mismatch = JSONMatcher.match(expected, actual, mode: mode, variables: run.variables) {
            throw StepFailure(
                "\(part.rawValue) does not match \(mismatch)", expected: run.pretty(expected),
                actual: run.pretty(actual))
        }
    }
}

/// `capture $NAME [event] /json/pointer`: stores a value of the last answer (or of the last awaited event's
/// `params`) as `$NAME`, with its JSON type.
public struct CaptureStep: StepAction {
    /// What the pointer is applied to.
    public enum Source: Sendable {
        /// The last answer (to `call`, `wait-until` or `await response`), as a whole message.
        case answer
        /// The `params` of the event the last `await event` consumed.
        case event
    }

    public var variable: String
    public var source: Source
    public var pointer: String

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        try parser.requireAnswer("capture")
        var words = ScenarioParser.words(arguments)
        var source = Source.answer
        if words.count == 3, words[1] == "event" {
            source = .event
            words.remove(at: 1)
        }
        guard words.count == 2, words[1].hasPrefix("/"), let name = StepParser.variableName(words[0]) else {
            throw parser.fail("capture wants $NAME [event] /json/pointer (NAME in upper case)")
        }
        guard (try? JSONPointer(words[1])) != nil else { throw parser.fail("bad JSON pointer \(words[1])") }
        parser.defined.insert(name)
        return Self(variable: name, source: source, pointer: words[1])
    }

    public func run(in run: ScenarioRun) async throws {
        let from = source == .answer ? run.lastAnswer : run.lastEvent
        guard let from else { throw StepFailure("nothing to capture from yet") }
        guard let value = try from.value(atPointer: pointer) else {
            throw StepFailure("nothing at \(pointer)", actual: run.pretty(from))
        }
        run.variables[variable] = value
    }
}
