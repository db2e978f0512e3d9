public import OpenWorkJSON
import OpenWorkOperations
public import OpenWorkRPC
import OpenWorkSystem

extension RESTRoute {
    /// The OpenAPI 3.1 document of the control plane, generated from ``table`` and `methods` (the same table the
    /// routes call), so it cannot drift from either: every route, its path and query parameters and body from the
    /// method's params, its success from the method's result schema, its errors from the method's error kinds.
    /// Schemas are the OpenRPC document's `components.schemas`, referenced at the same pointers.
    public static func openAPIDocument(methods: MethodTable) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for route in table {
            let path =
                "/"
                + route.pattern.split(separator: "/")
                .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            var item = paths[path]?.objectValue ?? [:]
            item[route.method.lowercased()] = route.operation(methods[route.rpcMethod ?? ""])
            paths[path] = .object(item)
        }
        var schemas = methods.schemas
        schemas["ErrorBody"] = [
            "type": "object", "required": ["error", "kind"], "additionalProperties": false,
            "properties": [
                "error": ["type": "string", "description": "what went wrong, for people"],
                "kind": ["type": "string", "description": "a stable snake_case kind, for programs"],
            ],
        ]
        return [
            "openapi": "3.1.1",
            "info": [
                "title": "openwork control plane", "version": .string(methods.version),
                "description": .string(accessRules),
            ],
            "servers": [["url": "http://127.0.0.1:{port}", "variables": ["port": ["default": "0"]]]],
            "security": [["bearer": []]],
            "paths": .object(paths),
            "components": [
                "schemas": .object(schemas),
                "securitySchemes": [
                    "bearer": [
                        "type": "http", "scheme": "bearer",
                        "description":
                            "the contents of `<data-dir>/daemon-token` (mode 0600), new at each daemon start",
                    ]
                ],
            ],
        ]
    }

    static let accessRules = """
        The daemon's HTTP control plane, on a loopback address only. Every request passes, in order: the `Host` \
        header (and the authority of an absolute-form target) must name this server by a loopback spelling \
        (`127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT`), else 421 `host_not_allowed` (DNS rebinding); an \
        `Origin`, when sent, must be one of the daemon's `--cors` origins (none by default), else 403 `origin_not_allowed`; \
        every route but `GET /health` needs `Authorization: Bearer <token>`, else 401 `unauthorized`. Errors are \
        `{"error": message, "kind": kind}` with the status of their kind.
        """

    /// The OpenAPI operation of this row; `method` is the method it calls (`nil` for `/rpc` and `/openapi.json`).
    func operation(_ method: RPCMethod?) -> JSONValue {
        var operation: [String: JSONValue] = [
            "operationId": .string(rpcMethod ?? (params == .message ? "rpc" : "openapi")),
            "summary": .string(method?.summary ?? notes),
        ]
        if !notes.isEmpty { operation["description"] = .string(notes) }
        if self.method == "GET" && pattern == "/health" { operation["security"] = [] }
        var parameters: [JSONValue] = parameterNames.map { name in
            [
                "name": .string(name), "in": "path", "required": true,
                "schema": method?.params.first { $0.name == name }?.schema ?? ["type": "string"],
            ]
        }
        switch params {
        case .object(let query):
            for name in query {
                guard let parameter = method?.params.first(where: { $0.name == name }) else { continue }
                parameters.append([
                    "name": .string(name), "in": "query", "required": false, "description": .string(parameter.summary),
                    "schema": parameter.schema,
                ])
            }
            if self.method != "GET", let method {
                let fixed = Set(parameterNames)
                operation["requestBody"] = Self.body(method.params.filter { !fixed.contains($0.name) })
            }
        case .body:
            if let method { operation["requestBody"] = Self.body(method.params) }
        case .eventTypes:
            parameters.append([
                "name": "types", "in": "query", "required": false,
                "description": "event types, comma-separated: exact, or a prefix ending in `.*`",
                "schema": ["type": "string"],
            ])
        case .message:
            operation["requestBody"] = [
                "required": true,
                "content": ["application/json": ["schema": ["type": ["object", "array"]]]],
            ]
        case .none, .openAPI:
            break
        }
        if !parameters.isEmpty { operation["parameters"] = .array(parameters) }
        operation["responses"] = .object(responses(method))
        return .object(operation)
    }

    /// A JSON object body of `parameters`; required when one of them is.
    private static func body(_ parameters: [RPCParameter]) -> JSONValue {
        let required = parameters.filter(\.required).map { JSONValue.string($0.name) }
        var schema: [String: JSONValue] = [
            "type": "object", "additionalProperties": false,
            "properties": .object(
                Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, Self.described($0)) })),
        ]
        if !required.isEmpty { schema["required"] = .array(required) }
        return ["required": .bool(!required.isEmpty), "content": ["application/json": ["schema": .object(schema)]]]
    }

    private static func described(_ parameter: RPCParameter) -> JSONValue {
        var schema = parameter.schema.objectValue ?? [:]
        schema["description"] = .string(parameter.summary)
        return .object(schema)
    }

    /// The success, and every error status the route can answer with: the access rules', a body's, the
    /// protocol's, and those of the method's error kinds.
    private func responses(_ method: RPCMethod?) -> [String: JSONValue] {
        var responses: [String: JSONValue] = [:]
        switch params {
        case .eventTypes:
            responses[String(status)] = [
                "description":
                    "server-sent events: `event: <type>` and `data: <event JSON>` (#/components/schemas/Event)",
                "content": ["text/event-stream": ["schema": ["type": "string"]]],
            ]
        case .message:
            responses["200"] = [
                "description": "the JSON-RPC answer: a response, or an array of them for a batch",
                "content": ["application/json": ["schema": ["type": ["object", "array"]]]],
            ]
            responses["204"] = ["description": "nothing to answer: only notifications were sent"]
        case .openAPI:
            responses["200"] = [
                "description": "this document",
                "content": ["application/json": ["schema": ["type": "object"]]],
            ]
        case .none, .body, .object:
            responses[String(status)] = [
                "description": .string(method?.result.name ?? "the result"),
                "content": ["application/json": ["schema": method?.result.schema ?? ["type": "object"]]],
            ]
        }
        var statuses: Set<Int> = [404, 421, 403, 500]
        if !(self.method == "GET" && pattern == "/health") { statuses.insert(401) }
        if self.method != "GET" { statuses.formUnion([400, 413]) }
        if let method {
            statuses.formUnion([400])
            for error in method.errors {
                statuses.insert(OpenWorkError.Code(rawValue: error.kind).httpStatus)
            }
        }
        for status in statuses.sorted() {
            responses[String(status)] = [
                "description": .string(Self.reasons[status] ?? "an error"),
                "content": ["application/json": ["schema": MethodTable.ref("ErrorBody")]],
            ]
        }
        return responses
    }

    private static let reasons: [Int: String] = [
        400: "bad input: invalid_params, parse_error, invalid_path…",
        401: "unauthorized: no or a wrong bearer token",
        403: "origin_not_allowed",
        404: "not_found (no such route) or an unknown thing: workspace_not_found, lease_not_found…",
        409: "a busy or locked owner, or host mode already running",
        413: "body_too_large",
        421: "host_not_allowed: the Host header does not name this server",
        500: "the daemon failed",
        502: "a manifest host cannot be reached",
        503: "opencode or a host service cannot serve",
    ]
}
