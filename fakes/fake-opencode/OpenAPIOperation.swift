import OpenWorkJSON

/// One operation of the fake's OpenAPI document (a route: what it takes and what it answers), and its JSON.
///
/// Every operation answers 400 (`BadRequestError`) and 401; one with path parameters also 404
/// (`NotFoundError`); one that runs in an instance also takes `directory` and `workspace` and may answer 5XX
/// (a failed boot, a shutdown).
struct OpenAPIOperation: Sendable {
    /// Whether the route runs inside a directory's instance, or on the server as a whole (`/global/*`, `/doc`).
    enum Scope: Sendable {
        case global
        case instance
    }

    /// The answer when all goes well.
    enum Success: Sendable {
        /// 200 `application/json` of this schema.
        case json(JSONValue)
        /// 200 `text/event-stream` whose frames carry this schema.
        case events(JSONValue)
        /// 204, no body.
        case noContent
    }

    /// A query parameter of the route's own (besides `directory` and `workspace`).
    struct QueryParameter: Sendable {
        var name: String
        var schema: JSONValue
        var description: String
    }

    var method: String
    var path: String
    var id: String
    var summary: String
    var scope: Scope
    var query: [QueryParameter] = []
    /// The `application/json` request body's schema, and whether the body may be left out.
    var body: (schema: JSONValue, required: Bool)?
    var success: Success

    /// The names of the `{…}` segments of ``path``, in order.
    var pathParameters: [String] {
        path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }.map {
            String($0.dropFirst().dropLast())
        }
    }

    var json: JSONValue {
        var operation: JSONValue = [
            "operationId": .string(id),
            "summary": .string(summary),
            "tags": [.string(String(id.prefix { $0 != "." }))],
            "parameters": .array(parameters),
            "responses": responses,
        ]
        if let body {
            operation["requestBody"] = [
                "required": .bool(body.required),
                "content": ["application/json": ["schema": body.schema]],
            ]
        }
        return operation
    }

    private var parameters: [JSONValue] {
        var parameters: [JSONValue] = pathParameters.map { name in
            [
                "name": .string(name),
                "in": "path",
                "required": true,
                "schema": OpenAPISchemas.identifier(Self.identifierPrefix(of: name, in: path)),
            ]
        }
        if scope == .instance {
            parameters.append(
                Self.query(
                    "directory",
                    OpenAPISchemas.string,
                    "The instance's directory (else the `x-opencode-directory` header, else the server's)"
                )
            )
            parameters.append(
                Self.query("workspace", OpenAPISchemas.string, "The workspace (since 1.18; the fake ignores it)"))
        }
        parameters += query.map { Self.query($0.name, $0.schema, $0.description) }
        return parameters
    }

    private var responses: JSONValue {
        var responses: [String: JSONValue] = [
            "400": Self.response("BadRequest"),
            "401": Self.response("Unauthorized"),
        ]
        switch success {
        case .json(let schema):
            responses["200"] = ["description": .string(summary), "content": ["application/json": ["schema": schema]]]
        case .events(let schema):
            responses["200"] = [
                "description": "Server-sent events, one JSON object per `data:` line",
                "content": ["text/event-stream": ["schema": schema]],
            ]
        case .noContent:
            responses["204"] = ["description": .string(summary)]
        }
        if !pathParameters.isEmpty { responses["404"] = Self.response("NotFound") }
        if scope == .instance { responses["5XX"] = Self.response("ServerError") }
        return .object(responses)
    }

    private static func query(_ name: String, _ schema: JSONValue, _ description: String) -> JSONValue {
        [
            "name": .string(name), "in": "query", "required": false, "schema": schema,
            "description": .string(description),
        ]
    }

    private static func response(_ name: String) -> JSONValue {
        ["$ref": .string("#/components/responses/" + name)]
    }

    /// The prefix of the identifier a path parameter takes: `sessionID` a session's, `permissionID` a
    /// permission's, `requestID` a question's under `/question/`, else a permission's.
    static func identifierPrefix(of parameter: String, in path: String) -> String {
        switch parameter {
        case "sessionID": "ses"
        case "requestID" where path.hasPrefix("/question/"): "que"
        default: "per"
        }
    }
}
