import Foundation
import OpenWorkJSON

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Approvals: `ask-permission`, which makes the fake opencode ask for a permission.
enum PermissionSteps: StepFamily {
    static let verbs: [StepVerb] = [StepVerb("ask-permission", parse: AskPermissionStep.parse)]
}

/// `ask-permission $NAME DIRECTORY PERMISSION [PATTERN…]`: the supervised fake opencode asks a permission in
/// DIRECTORY (`POST /__fake/permission`, which boots the directory's instance if needed and publishes
/// `permission.asked`), as if one of its tools wanted to run something. `$NAME` holds the request's id
/// (`per_…`). Needs the fake (`# requires: fake`); opencode's address comes from `opencode.status`.
public struct AskPermissionStep: StepAction {
    public var variable: String
    public var directory: Template
    public var permission: String
    public var patterns: [Template]

    static func parse(_ arguments: String, _ parser: inout StepParser) throws -> Self {
        let (name, directory, words) = try parser.fakeRequest(
            "ask-permission", arguments, minimum: 3, usage: "$NAME DIRECTORY PERMISSION [PATTERN…]")
        let patterns = try words.dropFirst(3).map { try parser.template($0) }
        return Self(variable: name, directory: directory, permission: words[2], patterns: patterns)
    }

    public func run(in run: ScenarioRun) async throws {
        let directory = run.text(directory)
        let status = try await run.activeChild().call("opencode.status", nil, within: run.scaled(.seconds(5)))
        guard let baseURL = status["result"]?["baseUrl"]?.stringValue,
            let url = URL(string: baseURL + "/__fake/permission")
        else { throw StepFailure("opencode is not running", actual: run.pretty(status)) }
        let body: JSONValue = [
            "directory": .string(directory), "permission": .string(permission),
            "patterns": .array(patterns.map { .string(run.text($0)) }),
        ]
        var request = URLRequest(url: url, timeoutInterval: 10 * run.configuration.timeoutScale)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(try body.serializedBytes())
        let (data, _) = try await URLSession.shared.data(for: request)
        let answer = try? JSONValue(parsing: Array(data))
        guard let id = answer?["id"]?.stringValue else {
            throw StepFailure("the fake did not ask", actual: String(decoding: data, as: UTF8.self))
        }
        run.child?.note("# asked permission \(id) (\(permission)) in \(directory)")
        run.variables[variable] = .string(id)
    }
}
