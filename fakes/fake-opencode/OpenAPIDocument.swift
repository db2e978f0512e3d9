import OpenWorkJSON

/// The OpenAPI 3.1 document served on `GET /doc`: every opencode route the fake serves, with its parameters, its
/// request and response schemas, its errors and opencode's security schemes.
///
/// The `/__fake/*` introspection routes are not opencode's and are left out. `Tests/FakeOpenCodeTests/
/// OpenAPIDocumentTests.swift` checks the document with a validator we did not write.
enum OpenAPIDocument {
    private typealias Schema = OpenAPISchemas

    static func make() -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for operation in operations {
            paths[operation.path, default: [:]][operation.method] = operation.json
        }
        return [
            "openapi": "3.1.1",
            "info": [
                "title": "opencode",
                "description": "opencode api, as fake-opencode serves it",
                "version": "1.0.0",
            ],
            "security": [["basic": []], ["authToken": []]],
            "paths": .object(paths),
            "components": [
                "schemas": .object(Schema.all()),
                "responses": responses,
                "securitySchemes": securitySchemes,
            ],
        ]
    }

    /// Every operation, in the order of the contract's route table.
    static let operations: [OpenAPIOperation] = Array(
        [globalOperations, instanceOperations, sessionOperations, requestOperations].joined()
    )

    private static let globalOperations: [OpenAPIOperation] = [
        .init(
            method: "get", path: "/global/health", id: "global.health", summary: "Get health", scope: .global,
            success: .json(
                Schema.object(["healthy": ["type": "boolean", "const": true], "version": Schema.string])
            )
        ),
        .init(
            method: "get", path: "/global/event", id: "global.event", summary: "Get global events", scope: .global,
            success: .events(Schema.ref("GlobalEvent"))
        ),
        .init(
            method: "post", path: "/global/dispose", id: "global.dispose", summary: "Dispose every instance",
            scope: .global, success: .json(Schema.boolean)
        ),
        .init(
            method: "get", path: "/global/config", id: "global.config.get", summary: "Get the global config",
            scope: .global, success: .json(Schema.ref("Config"))
        ),
        .init(
            method: "patch", path: "/global/config", id: "global.config.update",
            summary: "Update the global config (disposes every instance)", scope: .global,
            body: (Schema.ref("Config"), true), success: .json(Schema.ref("Config"))
        ),
        .init(
            method: "get", path: "/doc", id: "doc.get", summary: "This OpenAPI document", scope: .global,
            success: .json(["type": "object"])
        ),
    ]

    private static let instanceOperations: [OpenAPIOperation] = [
        .init(
            method: "get", path: "/path", id: "path.get", summary: "Get paths", scope: .instance,
            success: .json(Schema.ref("Path"))
        ),
        .init(
            method: "post", path: "/instance/dispose", id: "instance.dispose", summary: "Dispose the instance",
            scope: .instance, success: .json(Schema.boolean)
        ),
        .init(
            method: "get", path: "/event", id: "event.subscribe", summary: "Subscribe to the instance's events",
            scope: .instance, success: .events(Schema.ref("Event"))
        ),
        .init(
            method: "get", path: "/config", id: "config.get", summary: "Get the instance's config", scope: .instance,
            success: .json(Schema.ref("Config"))
        ),
        .init(
            method: "patch", path: "/config", id: "config.update", summary: "Update the instance's config",
            scope: .instance, body: (Schema.ref("Config"), true), success: .json(Schema.ref("Config"))
        ),
        .init(
            method: "get", path: "/project/current", id: "project.current", summary: "Get the current project",
            scope: .instance, success: .json(Schema.ref("Project"))
        ),
        .init(
            method: "get", path: "/vcs", id: "vcs.get", summary: "Get version control info", scope: .instance,
            success: .json(Schema.ref("VcsInfo"))
        ),
    ]

    private static let sessionOperations: [OpenAPIOperation] = [
        .init(
            method: "get", path: "/session", id: "session.list", summary: "List sessions", scope: .instance,
            query: [
                .init(name: "limit", schema: Schema.number, description: "At most this many sessions"),
                .init(name: "roots", schema: Schema.boolean, description: "Only sessions without a parent"),
                .init(name: "search", schema: Schema.string, description: "Only sessions whose title holds this"),
                .init(name: "start", schema: Schema.number, description: "Only sessions updated since (ms)"),
            ],
            success: .json(Schema.array(Schema.ref("Session")))
        ),
        .init(
            method: "post", path: "/session", id: "session.create", summary: "Create a session", scope: .instance,
            body: (
                Schema.object([
                    "title?": Schema.string,
                    "parentID?": Schema.identifier("ses"),
                    "permission?": Schema.array(Schema.ref("PermissionRule")),
                ]),
                false
            ),
            success: .json(Schema.ref("Session"))
        ),
        .init(
            method: "get", path: "/session/status", id: "session.status", summary: "Get every session's status",
            scope: .instance,
            success: .json(["type": "object", "additionalProperties": Schema.ref("SessionStatus")])
        ),
        .init(
            method: "get", path: "/session/{sessionID}", id: "session.get", summary: "Get a session",
            scope: .instance, success: .json(Schema.ref("Session"))
        ),
        .init(
            method: "delete", path: "/session/{sessionID}", id: "session.delete", summary: "Delete a session",
            scope: .instance, success: .json(Schema.boolean)
        ),
        .init(
            method: "patch", path: "/session/{sessionID}", id: "session.update", summary: "Update a session",
            scope: .instance,
            body: (
                Schema.object([
                    "title?": Schema.string, "time?": Schema.object(["archived?": Schema.number]),
                ]),
                false
            ),
            success: .json(Schema.ref("Session"))
        ),
        .init(
            method: "get", path: "/session/{sessionID}/children", id: "session.children",
            summary: "Get a session's children", scope: .instance,
            success: .json(Schema.array(Schema.ref("Session")))
        ),
        .init(
            method: "post", path: "/session/{sessionID}/prompt_async", id: "session.prompt_async",
            summary: "Send a message without waiting for the answer", scope: .instance,
            body: (promptInput, true), success: .noContent
        ),
        .init(
            method: "post", path: "/session/{sessionID}/abort", id: "session.abort", summary: "Abort a session",
            scope: .instance, success: .json(Schema.boolean)
        ),
        .init(
            method: "get", path: "/session/{sessionID}/message", id: "session.messages",
            summary: "List a session's messages", scope: .instance,
            query: [.init(name: "limit", schema: Schema.number, description: "At most this many messages")],
            success: .json(
                Schema.array(
                    Schema.object(["info": Schema.ref("Message"), "parts": Schema.array(Schema.ref("Part"))])
                )
            )
        ),
    ]

    private static let promptInput = Schema.object([
        "parts": Schema.array(Schema.object(["type": Schema.constant("text"), "text": Schema.string])),
        "messageID?": Schema.identifier("msg"),
        "agent?": Schema.string,
        "model?": Schema.object(["providerID": Schema.string, "modelID": Schema.string]),
        "noReply?": Schema.boolean,
    ])

    private static let requestOperations: [OpenAPIOperation] = [
        .init(
            method: "get", path: "/permission", id: "permission.list", summary: "List pending permission requests",
            scope: .instance, success: .json(Schema.array(Schema.ref("PermissionRequest")))
        ),
        .init(
            method: "post", path: "/permission/{requestID}/reply", id: "permission.reply",
            summary: "Reply to a permission request", scope: .instance,
            body: (Schema.object(["reply": Schema.ref("PermissionReply"), "message?": Schema.string]), true),
            success: .json(Schema.boolean)
        ),
        .init(
            method: "post", path: "/session/{sessionID}/permissions/{permissionID}", id: "permission.respond",
            summary: "Reply to a permission request (legacy)", scope: .instance,
            body: (Schema.object(["response": Schema.ref("PermissionReply")]), true),
            success: .json(Schema.boolean)
        ),
        .init(
            method: "get", path: "/question", id: "question.list", summary: "List pending questions",
            scope: .instance, success: .json(Schema.array(Schema.ref("QuestionRequest")))
        ),
        .init(
            method: "post", path: "/question/{requestID}/reply", id: "question.reply", summary: "Answer a question",
            scope: .instance, body: (Schema.object(["answers": Schema.array(Schema.ref("QuestionAnswer"))]), true),
            success: .json(Schema.boolean)
        ),
        .init(
            method: "post", path: "/question/{requestID}/reject", id: "question.reject", summary: "Reject a question",
            scope: .instance, success: .json(Schema.boolean)
        ),
    ]

    /// The answers many operations share.
    private static let responses: JSONValue = [
        "BadRequest": [
            "description": "The request does not fit the route (malformed JSON, a bad field, an id without its prefix)",
            "content": ["application/json": ["schema": Schema.ref("BadRequestError")]],
        ],
        "NotFound": [
            "description": "No such session or request",
            "content": ["application/json": ["schema": Schema.ref("NotFoundError")]],
        ],
        "Unauthorized": [
            "description": "A password is set and the request's credentials do not match it",
            "headers": ["WWW-Authenticate": ["schema": ["type": "string", "const": "Basic realm=\"Secure Area\""]]],
            "content": ["text/plain": ["schema": ["type": "string", "const": "Unauthorized"]]],
        ],
        "ServerError": [
            "description": "The instance could not boot (500), or the server is shutting down (503)",
            "content": [
                "application/json": [
                    "schema": ["anyOf": [Schema.ref("UnknownError"), Schema.ref("ConfigJsonError")]]
                ]
            ],
        ],
    ]

    /// HTTP Basic when `OPENCODE_SERVER_PASSWORD` is set; `?auth_token=<base64(user:password)>` replaces the header.
    private static let securitySchemes: JSONValue = [
        "basic": ["type": "http", "scheme": "basic"],
        "authToken": [
            "type": "apiKey", "in": "query", "name": "auth_token",
            "description": "base64(user:password), for clients that cannot set a header",
        ],
    ]
}
