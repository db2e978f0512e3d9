import OpenWorkJSON

/// What a route answers, independent of the HTTP library.
enum Reply: Sendable {
    case json(status: Int, JSONValue)
    case noContent
    case unauthorized
    case events(EventFeed.Subscription)

    /// A request that does not fit its route: answered 400, or 404 `NotFoundError` when `notFound` (a session
    /// the route names does not exist).
    struct Rejection: Error, Sendable {
        var message: String
        var path: [String] = []
        var notFound = false
    }

    /// opencode's named error shape: `{"name": …, "data": {…}}`.
    static func namedError(status: Int, name: String, data: JSONValue) -> Reply {
        .json(status: status, ["name": .string(name), "data": data])
    }

    static func notFound(_ message: String) -> Reply {
        namedError(status: 404, name: "NotFoundError", data: ["message": .string(message)])
    }

    static func unknownError(_ message: String, status: Int = 500) -> Reply {
        namedError(status: status, name: "UnknownError", data: ["message": .string(message)])
    }

    /// A validation failure, in the shape opencode's request validator answers: `{data, errors, success}`.
    static func badRequest(_ rejection: Rejection, input: JSONValue = .null) -> Reply {
        let issue: JSONValue = [
            "message": .string(rejection.message),
            "path": .array(rejection.path.map(JSONValue.string)),
        ]
        return .json(status: 400, ["data": input, "errors": [issue], "success": false])
    }

    var status: Int {
        switch self {
        case .json(let status, _): status
        case .noContent: 204
        case .unauthorized: 401
        case .events: 200
        }
    }
}
