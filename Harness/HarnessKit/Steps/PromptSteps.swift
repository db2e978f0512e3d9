import Foundation
import OpenWorkJSON

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Work in opencode: `prompt`, which makes a session of a directory busy, and `abort`, which ends its turn.
enum PromptSteps: StepFamily {
    static let verbs: [StepVerb] = [
        StepVerb("prompt", parse: PromptStep.parse), StepVerb("abort", parse: AbortStep.parse),
    ]

    /// A POST straight to the supervised opencode for DIRECTORY, with the credentials of `workspace.connect`
    /// (as an integrator would); the answer's body and status.
    static func post(_ route: String, _ body: JSONValue, directory: String, in run: ScenarioRun) async throws
        -> (Data, Int)
    {
        let connection = try await run.activeChild().call(
            "workspace.connect", ["id": .string(directory)], within: run.scaled(.seconds(10)))
        guard let result = connection["result"], let baseURL = result["baseUrl"]?.stringValue,
            let username = result["username"]?.stringValue, let password = result["password"]?.stringValue
        else { throw StepFailure("workspace.connect did not answer with credentials", actual: run.pretty(connection)) }
        let query = "?directory=" + (directory.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        guard let url = URL(string: baseURL + route + query) else { throw StepFailure("bad URL \(baseURL)") }
        var request = URLRequest(url: url, timeoutInterval: 10 * run.configuration.timeoutScale)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let token = Data("\(username):\(password)".utf8).base64EncodedString()
        request.setValue("Basic \(token)", forHTTPHeaderField: "Authorization")
        request.httpBody = Data(try body.serializedBytes())
        let (data, response) = try await URLSession.shared.data(for: request)
        return (data, (response as? HTTPURLResponse)?.statusCode ?? 0)
    }
}

/// `prompt $NAME DIRECTORY TEXT…`: creates a session in DIRECTORY and sends it TEXT (`POST /session`, then
/// `POST /session/:id/prompt_async`), straight to the supervised opencode with the credentials of
/// `workspace.connect` (as an integrator would): the session is busy until the turn ends (the fake's
/// `FAKE_OPENCODE_PROMPT_BUSY_MS`). `$NAME` holds the session id. Needs the fake (`# requires: fake`): a real
/// opencode would need a model.
public struct PromptStep: StepAction {
    public var variable: String
    public var directory: Template
    public var text: Template

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        let (name, directory, words) = try parser.fakeRequest(
            "prompt", arguments, minimum: 3, usage: "$NAME DIRECTORY TEXT…")
        return Self(
            variable: name, directory: directory, text: try parser.template(words.dropFirst(2).joined(separator: " ")))
    }

    public func run(in run: ScenarioRun) async throws {
        let directory = run.text(directory)
        func post(_ route: String, _ body: JSONValue) async throws -> (Data, Int) {
            try await PromptSteps.post(route, body, directory: directory, in: run)
        }
        let (created, _) = try await post("/session", [:])
        guard let session = (try? JSONValue(parsing: Array(created)))?["id"]?.stringValue else {
            throw StepFailure("opencode did not create a session", actual: String(decoding: created, as: UTF8.self))
        }
        let (_, status) = try await post(
            "/session/\(session)/prompt_async", ["parts": [["type": "text", "text": .string(run.text(text))]]])
        guard (200..<300).contains(status) else { throw StepFailure("prompt_async answered \(status)") }
        run.child?.note("# prompted session \(session) in \(directory)")
        run.variables[variable] = .string(session)
    }
}

/// `abort $NAME DIRECTORY`: ends the turn of the session `$NAME` (from `prompt`) in DIRECTORY now
/// (`POST /session/:id/abort`): it is idle from then on. Needs the fake (`# requires: fake`).
public struct AbortStep: StepAction {
    public var variable: String
    public var directory: Template

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        try parser.requireStarted("abort")
        let words = ScenarioParser.words(arguments)
        guard words.count == 2, let name = StepParser.variableName(words[0]) else {
            throw parser.fail("abort wants $NAME DIRECTORY (NAME in upper case, from prompt)")
        }
        guard parser.defined.contains(name) else { throw parser.fail("abort: $\(name) is not defined") }
        parser.requireFake()
        return Self(variable: name, directory: try parser.template(words[1]))
    }

    public func run(in run: ScenarioRun) async throws {
        guard let session = run.variables[variable]?.stringValue else {
            throw StepFailure("$\(variable) is not a session")
        }
        let (_, status) = try await PromptSteps.post(
            "/session/\(session)/abort", [:], directory: run.text(directory), in: run)
        guard (200..<300).contains(status) else { throw StepFailure("abort answered \(status)") }
        run.child?.note("# aborted session \(session)")
    }
}
