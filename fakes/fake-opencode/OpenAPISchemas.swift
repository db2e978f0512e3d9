import OpenWorkJSON

/// The `components.schemas` of the fake's OpenAPI document: the shapes opencode 1.18 answers with, each with the
/// required fields upstream declares.
///
/// Objects stay open (no `additionalProperties: false`): a real opencode's answers carry more optional fields
/// than the fake's, and both must fit. Events are in `OpenAPISchemas+Events.swift`.
enum OpenAPISchemas {
    /// Every named schema, events included.
    static func all() -> [String: JSONValue] {
        var schemas: [String: JSONValue] = [
            "Session": session,
            "PermissionRule": permissionRule,
            "PermissionAction": enumeration(["allow", "deny", "ask"]),
            "PermissionRequest": permissionRequest,
            "PermissionReply": enumeration(["once", "always", "reject"]),
            "QuestionRequest": questionRequest,
            "QuestionInfo": questionInfo,
            "QuestionOption": object(["label": string, "description": string]),
            "QuestionAnswer": array(string),
            "SessionStatus": sessionStatus,
            "Message": discriminated(by: "role", ["user": "UserMessage", "assistant": "AssistantMessage"]),
            "UserMessage": userMessage,
            "AssistantMessage": assistantMessage,
            "Part": discriminated(by: "type", ["text": "TextPart"]),
            "TextPart": textPart,
            "Path": object([
                "home": string, "state": string, "config": string, "worktree": string, "directory": string,
            ]),
            "Project": project,
            "VcsInfo": object(["branch?": string]),  // `{}` outside git or on a detached HEAD
            "Config": config,
            "BadRequestError": badRequestError,
            "NotFoundError": namedError("NotFoundError", data: object(["message": string])),
            "UnknownError": namedError("UnknownError", data: object(["message": string])),
            "ConfigJsonError": namedError("ConfigJsonError", data: object(["path": string, "message?": string])),
        ]
        schemas.merge(eventSchemas()) { ours, _ in ours }
        return schemas
    }

    // MARK: Sessions, messages, permissions, questions

    private static let session = object([
        "id": identifier("ses"),
        "slug": string,
        "projectID": string,
        "directory": string,
        "parentID?": identifier("ses"),
        "title": string,
        "version": string,
        "time": object(["created": number, "updated": number, "archived?": number]),
        "permission?": array(ref("PermissionRule")),
    ])

    private static let permissionRule = object([
        "permission": string,
        "pattern": string,
        "action": ref("PermissionAction"),
    ])

    /// Which tool call asked: `{messageID, callID}`.
    private static let toolCall = object(["messageID": identifier("msg"), "callID": string])

    private static let permissionRequest = object([
        "id": identifier("per"),
        "sessionID": identifier("ses"),
        "permission": string,
        "patterns": array(string),
        "metadata": ["type": "object"],
        "always": array(string),
        "tool?": toolCall,
    ])

    private static let questionRequest = object([
        "id": identifier("que"),
        "sessionID": identifier("ses"),
        "questions": array(ref("QuestionInfo")),
        "tool?": toolCall,
    ])

    private static let questionInfo = object([
        "question": string,
        "header": string,
        "options": array(ref("QuestionOption")),
        "multiple?": boolean,
        "custom?": boolean,
    ])

    /// `idle`, `busy`, or `retry` with when the next attempt comes (`next`, ms since the epoch).
    private static let sessionStatus: JSONValue = [
        "oneOf": [
            object(["type": constant("idle")]),
            object(["type": constant("busy")]),
            object(["type": constant("retry"), "attempt": number, "message": string, "next": number]),
        ]
    ]

    private static let model = object(["providerID": string, "modelID": string])

    private static let userMessage = object([
        "id": identifier("msg"),
        "sessionID": identifier("ses"),
        "role": constant("user"),
        "time": object(["created": number]),
        "agent": string,
        "model": model,
    ])

    private static let assistantMessage = object([
        "id": identifier("msg"),
        "sessionID": identifier("ses"),
        "role": constant("assistant"),
        "time": object(["created": number, "completed?": number]),
        "parentID": identifier("msg"),
        "modelID": string,
        "providerID": string,
        "mode": string,
        "agent": string,
        "path": object(["cwd": string, "root": string]),
        "cost": number,
        "tokens": object([
            "input": number, "output": number, "reasoning": number,
            "cache": object(["read": number, "write": number]),
        ]),
        "finish?": string,
        "error?": object(["name": string, "data?": ["type": "object"]]),
    ])

    private static let textPart = object([
        "id": identifier("prt"),
        "sessionID": identifier("ses"),
        "messageID": identifier("msg"),
        "type": constant("text"),
        "text": string,
    ])

    // MARK: Projects and config

    private static let project = object([
        "id": string,
        "worktree": string,
        "vcs?": enumeration(["git"]),
        "time": object(["created": number, "updated": number]),
        "sandboxes": array(string),
    ])

    /// opencode's config file: every field optional; the few an orchestrator reads are typed.
    private static let config = object([
        "$schema?": string,
        "username?": string,
        "model?": string,
        "small_model?": string,
        "theme?": string,
        "share?": enumeration(["manual", "auto", "disabled"]),
        "autoupdate?": ["anyOf": [boolean, constant("notify")]],
        "plugin?": array(string),
        "instructions?": array(string),
        "agent?": ["type": "object"],
        "mode?": ["type": "object"],
        "command?": ["type": "object"],
        "provider?": ["type": "object"],
        "mcp?": ["type": "object"],
        "permission?": ["anyOf": [ref("PermissionAction"), ["type": "object"]]],
    ])

    // MARK: Errors

    /// The request validator's answer: `{data, errors: [{message, path}], success: false}`.
    private static let badRequestError = object([
        "data": [:],
        "errors": array(object(["message": string, "path": array(["type": ["string", "number"]])])),
        "success": ["type": "boolean", "const": false],
    ])

    /// opencode's named errors: `{name, data}`.
    private static func namedError(_ name: String, data: JSONValue) -> JSONValue {
        object(["name": constant(name), "data": data])
    }

    // MARK: Building blocks

    static let string: JSONValue = ["type": "string"]
    static let number: JSONValue = ["type": "number"]
    static let boolean: JSONValue = ["type": "boolean"]

    /// A reference to the named schema.
    static func ref(_ name: String) -> JSONValue {
        ["$ref": .string(pointer(name))]
    }

    /// Where the named schema is, as a `$ref` or a discriminator mapping gives it.
    static func pointer(_ name: String) -> String {
        "#/components/schemas/" + name
    }

    /// An opencode identifier with this prefix (`ses`, `msg`, `per`, …), checked as upstream does: by prefix.
    static func identifier(_ prefix: String) -> JSONValue {
        ["type": "string", "pattern": .string("^" + prefix)]
    }

    static func constant(_ value: String) -> JSONValue {
        ["type": "string", "const": .string(value)]
    }

    static func enumeration(_ values: [String]) -> JSONValue {
        ["type": "string", "enum": .array(values.map(JSONValue.string))]
    }

    static func array(_ items: JSONValue) -> JSONValue {
        ["type": "array", "items": items]
    }

    /// An object of these fields, written as in the contract: a name ending in `?` is optional, the others are
    /// required.
    static func object(_ fields: KeyValuePairs<String, JSONValue>) -> JSONValue {
        var properties: [String: JSONValue] = [:]
        var required: [JSONValue] = []
        for (name, schema) in fields {
            if name.hasSuffix("?") {
                properties[String(name.dropLast())] = schema
            } else {
                properties[name] = schema
                required.append(.string(name))
            }
        }
        var object: JSONValue = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { object["required"] = .array(required) }
        return object
    }

    /// One of the named schemas, told apart by the constant value of `property` (`value → schema name`).
    static func discriminated(by property: String, _ mapping: [String: String]) -> JSONValue {
        [
            "oneOf": .array(mapping.sorted { $0.key < $1.key }.map { ref($0.value) }),
            "discriminator": [
                "propertyName": .string(property),
                "mapping": .object(mapping.mapValues { .string(pointer($0)) }),
            ],
        ]
    }
}
