import OpenWorkJSON

/// The small OpenAPI 3.1 document served on `GET /doc`: opencode's title and the routes the fake implements.
enum OpenAPIDocument {
    private static let operations: [(path: String, method: String, id: String, summary: String)] = [
        ("/global/health", "get", "global.health", "Get health"),
        ("/global/event", "get", "global.event", "Get global events"),
        ("/global/dispose", "post", "global.dispose", "Dispose all instances"),
        ("/path", "get", "path.get", "Get paths"),
        ("/instance/dispose", "post", "instance.dispose", "Dispose instance"),
        ("/event", "get", "event.subscribe", "Subscribe to events"),
        ("/config", "get", "config.get", "Get config info"),
        ("/config", "patch", "config.update", "Update config"),
        ("/session", "get", "session.list", "List sessions"),
        ("/session", "post", "session.create", "Create session"),
        ("/session/{sessionID}", "get", "session.get", "Get session"),
        ("/session/{sessionID}", "delete", "session.delete", "Delete session"),
        ("/permission", "get", "permission.list", "List pending permissions"),
        ("/permission/{requestID}/reply", "post", "permission.reply", "Respond to permission request"),
        ("/session/{sessionID}/permissions/{permissionID}", "post", "permission.respond", "Respond to permission"),
    ]

    static func make() -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for operation in operations {
            var item = paths[operation.path] ?? [:]
            item[operation.method] = [
                "operationId": .string(operation.id),
                "summary": .string(operation.summary),
                "parameters": [
                    [
                        "in": "query",
                        "name": "directory",
                        "schema": ["type": "string"],
                    ]
                ],
                "responses": ["200": ["description": .string(operation.summary)]],
            ]
            paths[operation.path] = item
        }
        return [
            "openapi": "3.1.1",
            "info": ["title": "opencode", "description": "opencode api", "version": "1.0.0"],
            "paths": .object(paths),
        ]
    }
}
