import OpenWorkJSON

/// The event schemas of the fake's OpenAPI document: `Event` is one of `Event.<type>`, told apart by `type`.
extension OpenAPISchemas {
    /// The events the fake emits: `type` → the schema of its `properties`.
    static let eventProperties: [String: JSONValue] = [
        "server.connected": object([:]),
        "server.heartbeat": object([:]),
        "server.instance.disposed": object(["directory": string]),
        "global.disposed": object([:]),
        "session.created": object(["sessionID": identifier("ses"), "info": ref("Session")]),
        "session.updated": object(["sessionID": identifier("ses"), "info": ref("Session")]),
        "session.deleted": object(["sessionID": identifier("ses"), "info": ref("Session")]),
        "session.status": object(["sessionID": identifier("ses"), "status": ref("SessionStatus")]),
        "session.idle": object(["sessionID": identifier("ses")]),
        "message.updated": object(["info": ref("Message")]),
        "message.part.updated": object(["part": ref("Part")]),
        "permission.asked": ref("PermissionRequest"),
        "permission.replied": object([
            "sessionID": identifier("ses"), "requestID": identifier("per"), "reply": ref("PermissionReply"),
        ]),
        "question.asked": ref("QuestionRequest"),
        "question.replied": object([
            "sessionID": identifier("ses"), "requestID": identifier("que"), "answers": array(ref("QuestionAnswer")),
        ]),
        "question.rejected": object(["sessionID": identifier("ses"), "requestID": identifier("que")]),
    ]

    /// `Event`, `GlobalEvent` and one `Event.<type>` per event type.
    static func eventSchemas() -> [String: JSONValue] {
        var schemas: [String: JSONValue] = [:]
        var mapping: [String: String] = [:]
        for (type, properties) in eventProperties {
            let name = "Event." + type
            schemas[name] = object(["id": string, "type": constant(type), "properties": properties])
            mapping[type] = name
        }
        schemas["Event"] = discriminated(by: "type", mapping)
        var global = object(["directory?": string, "project?": string, "payload": ref("Event")])
        global["description"] = """
            An event of any instance as `/global/event` sends it. `directory` is `global` for server-wide events \
            and absent on the stream's own frames (`server.connected`, `server.heartbeat`).
            """
        schemas["GlobalEvent"] = global
        return schemas
    }
}
