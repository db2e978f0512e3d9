import Foundation
public import OpenWorkJSON

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Questions: `ask-question`, which makes the fake opencode ask the user something, and `fake-state`, which reads
/// what the fake recorded (the answers it received among it).
enum QuestionSteps: StepFamily {
    static let verbs: [StepVerb] = [
        StepVerb("ask-question", parse: AskQuestionStep.parse),
        StepVerb("fake-state", parse: FakeStateStep.parse),
    ]

    /// One request to the supervised fake opencode's introspection (`/__fake/…`, no auth); the answer as JSON.
    static func fake(_ run: ScenarioRun, _ method: String, _ path: String, body: JSONValue? = nil) async throws
        -> JSONValue
    {
        let status = try await run.activeChild().call("opencode.status", nil, within: run.scaled(.seconds(5)))
        guard let baseURL = status["result"]?["baseUrl"]?.stringValue, let url = URL(string: baseURL + path) else {
            throw StepFailure("opencode is not running", actual: run.pretty(status))
        }
        var request = URLRequest(url: url, timeoutInterval: 10 * run.configuration.timeoutScale)
        request.httpMethod = method
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(try body.serializedBytes())
        }
        let (data, _) = try await URLSession.shared.data(for: request)
        guard let answer = try? JSONValue(parsing: Array(data)) else {
            throw StepFailure("the fake's \(method) \(path) is not JSON", actual: String(decoding: data, as: UTF8.self))
        }
        return answer
    }
}

/// `ask-question $NAME DIRECTORY JSON`: the supervised fake opencode asks a question in DIRECTORY
/// (`POST /__fake/question`, which boots the directory's instance if needed and publishes `question.asked`), as if
/// the agent wanted the user to choose. JSON is one `QuestionInfo` `{question, header, options:[{label,
/// description}], multiple?, custom?}` or an array of them. `$NAME` holds the request's id (`que_…`). Needs the fake
/// (`# requires: fake`); opencode's address comes from `opencode.status`.
public struct AskQuestionStep: StepAction {
    public var variable: String
    public var directory: Template
    public var questions: JSONValue

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        try parser.requireStarted("ask-question")
        let (name, rest) = ScenarioParser.split(arguments)
        let (directory, json) = ScenarioParser.split(rest)
        guard let variable = StepParser.variableName(name), !directory.isEmpty, !json.isEmpty else {
            throw parser.fail("ask-question wants $NAME DIRECTORY JSON (NAME in upper case)")
        }
        parser.requireFake()
        let questions = try parser.json(json)
        guard questions.objectValue != nil || questions.arrayValue?.allSatisfy({ $0.objectValue != nil }) == true
        else {
            throw parser.fail("ask-question wants one QuestionInfo object or an array of them")
        }
        let template = try parser.template(directory)
        parser.defined.insert(variable)
        return Self(variable: variable, directory: template, questions: questions)
    }

    public func run(in run: ScenarioRun) async throws {
        let directory = run.text(directory)
        let resolved = JSONMatcher.resolve(questions, run.variables)
        let list = resolved.arrayValue ?? [resolved]
        let answer = try await QuestionSteps.fake(
            run, "POST", "/__fake/question", body: ["directory": .string(directory), "questions": .array(list)])
        guard let id = answer["id"]?.stringValue else {
            throw StepFailure("the fake did not ask", actual: run.pretty(answer))
        }
        run.child?.note("# asked question \(id) in \(directory)")
        run.variables[variable] = .string(id)
    }
}

/// `fake-state`: the supervised fake opencode's `GET /__fake/state` becomes the last answer, for `expect response`
/// (`questionAnswers`, the answers and rejections it received, in order). Needs the fake.
public struct FakeStateStep: StepAction {
    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        try parser.requireStarted("fake-state")
        guard arguments.isEmpty else { throw parser.fail("fake-state takes no arguments") }
        parser.requireFake()
        parser.answered = true
        return Self()
    }

    public func run(in run: ScenarioRun) async throws {
        run.lastAnswer = try await QuestionSteps.fake(run, "GET", "/__fake/state")
    }
}
