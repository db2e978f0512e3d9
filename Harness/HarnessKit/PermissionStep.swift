import Foundation
import OpenWorkJSON

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The `ask-permission $NAME DIRECTORY PERMISSION [PATTERN…]` step: the supervised fake opencode asks a
/// permission in DIRECTORY (`POST /__fake/permission`, which boots the directory's instance if needed and
/// publishes `permission.asked`), as if one of its tools wanted to run something. `$NAME` holds the request's
/// id (`per_…`). Needs the fake (`# requires: fake`); opencode's address comes from `opencode.status`.
extension ScenarioRun {
    func askPermission(_ directory: String, _ permission: String, _ patterns: [String]) async throws -> String {
        let status = try await activeSession().call("opencode.status", nil, within: scaled(.seconds(5)))
        guard let baseURL = status["result"]?["baseUrl"]?.stringValue,
            let url = URL(string: baseURL + "/__fake/permission")
        else { throw StepFailure("opencode is not running", actual: pretty(status)) }
        let body: JSONValue = [
            "directory": .string(directory), "permission": .string(permission),
            "patterns": .array(patterns.map(JSONValue.string)),
        ]
        var request = URLRequest(url: url, timeoutInterval: 10 * configuration.timeoutScale)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(try body.serializedBytes())
        let (data, _) = try await URLSession.shared.data(for: request)
        let answer = try? JSONValue(parsing: Array(data))
        guard let id = answer?["id"]?.stringValue else {
            throw StepFailure("the fake did not ask", actual: String(decoding: data, as: UTF8.self))
        }
        session?.note("# asked permission \(id) (\(permission)) in \(directory)")
        return id
    }
}
