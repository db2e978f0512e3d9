import OpenWorkJSON
import OpenWorkRPC
import OpenWorkSystem

/// The shared schemas of the OpenRPC document (`components.schemas`), which the OpenAPI document of the control
/// plane reuses as they are, and the errors each family of methods can answer with.
///
/// An object schema lists every member the answer carries; one whose members are not ours to fix (a workspace's
/// unknown stored members, an OpenWork server's answers) says `additionalProperties: true`. Tests validate every
/// answer against these with every other object closed.
extension Operations {
    static func ref(_ name: String) -> JSONValue { MethodTable.ref(name) }

    static func nullable(_ type: String) -> JSONValue { ["type": [.string(type), "null"]] }

    static func object(_ properties: [String: JSONValue], required: [String]? = nil) -> JSONValue {
        let names = required ?? properties.keys.sorted()
        return ["type": "object", "required": .array(names.map(JSONValue.string)), "properties": .object(properties)]
    }

    static func array(_ items: JSONValue) -> JSONValue { ["type": "array", "items": items] }

    static let string: JSONValue = ["type": "string"]
    static let integer: JSONValue = ["type": "integer"]
    static let boolean: JSONValue = ["type": "boolean"]
    static let strings: JSONValue = array(string)

    /// Every shared schema, by name.
    static let schemas: [String: JSONValue] = [
        "Workspace": workspaceSchema,
        "Lease": leaseSchema,
        "WorkspaceChange": object(
            ["activeId": nullable("string"), "workspace": ref("Workspace"), "created": boolean]),
        "Exit": [
            "type": "object", "description": "how a process ended: `{code}` or `{signal}`",
            "properties": ["code": integer, "signal": integer],
        ],
        "OpenCodeStatus": openCodeStatusSchema,
        "Sandbox": object(
            [
                "backend": ["enum": ["none", "bwrap", "docker", "podman", "container"]], "reason": string,
                "persistDir": string,
                "mounts": array(object(["hostPath": string, "target": string, "readOnly": boolean])),
            ], required: ["backend", "reason"]),
        "SidecarResolution": object([
            "name": string, "path": string, "source": string, "expectedVersion": nullable("string"),
            "version": nullable("string"), "verified": boolean, "sha256": nullable("string"), "downloaded": boolean,
            "origin": nullable("string"), "skipped": strings, "warnings": strings,
        ]),
        "Approval": approvalSchema,
        "ErrorData": [
            "type": "object", "required": ["kind"], "additionalProperties": true,
            "description": "`data` of every error: a stable snake_case `kind`, and details that depend on it",
            "properties": ["kind": string],
        ],
        "HostService": [
            "type": "object", "required": ["service", "state"], "additionalProperties": true,
            "properties": [
                "service": string, "state": string, "pid": nullable("integer"), "url": nullable("string"),
                "port": nullable("integer"), "healthy": boolean, "restarts": integer,
                "lastExit": ["anyOf": [ref("Exit"), ["type": "null"]]], "startedAt": nullable("integer"),
                "uptimeMs": nullable("integer"),
            ],
        ],
        "HostConnection": [
            "type": "object", "required": ["runId", "workspace", "approval", "opencode", "openwork"],
            "additionalProperties": true,
            "description": "the anchor's `--json` object; every credential is null unless `includeSecrets`",
            "properties": [
                "runId": string, "workspace": string,
                "approval": object(
                    ["mode": ["enum": ["manual", "auto"]], "timeoutMs": nullable("integer"), "readOnly": boolean]),
                "opencode": object([
                    "baseUrl": string, "connectUrl": string, "username": nullable("string"),
                    "password": nullable("string"), "bindHost": string, "port": integer,
                    "hotReload": object(["enabled": boolean, "debounceMs": integer, "cooldownMs": integer]),
                    "version": nullable("string"),
                ]),
                "openwork": object([
                    "baseUrl": string, "connectUrl": string, "host": string, "port": integer,
                    "collaboratorToken": nullable("string"), "ownerToken": nullable("string"),
                    "token": nullable("string"), "hostToken": nullable("string"), "version": nullable("string"),
                ]),
                "router": ["anyOf": [object(["healthUrl": string]), ["type": "null"]]],
                "diagnostics": object(["cliVersion": string]),
                "sandbox": ref("Sandbox"),
            ],
        ],
    ].merging(eventSchemas) { first, _ in first }

    static let leaseSchema: JSONValue = object([
        "leaseId": string, "workspaceId": string, "expiresAt": ["type": "integer", "description": "Unix ms"],
        "ttlMs": integer,
    ])

    static let workspaceSchema: JSONValue = [
        "type": "object",
        "required": ["id", "name", "path", "workspaceType", "createdAt", "lastUsedAt"],
        "additionalProperties": true,
        "description": "a registry entry; members it was stored with that this version does not know are kept",
        "properties": [
            "id": ["type": "string", "pattern": "^ws-[0-9a-f]{12}$"], "name": string,
            "path": string, "workspaceType": ["enum": ["local", "remote"]],
            "baseUrl": string, "directory": string,
            "createdAt": integer, "lastUsedAt": integer,
            "warm": ["type": "boolean", "description": "opencode holds an instance for it now"],
            "leases": ["type": "array", "items": ref("Lease"), "description": "leases held on its instance now"],
            "busy": [
                "type": "boolean",
                "description": "list/info: a session is not idle or an approval waits (warm instances only)",
            ],
            "idleMs": ["type": ["integer", "null"], "description": "list/info: since its instance was last used"],
            "pendingReload": [
                "anyOf": [
                    object(["reason": string, "paths": strings, "waitedMs": integer]), ["type": "null"],
                ],
                "description": "list/info: a reload waiting for it",
            ],
            "hotReload": [
                "enum": ["inotify", "poll", .null], "description": "list/info: how its configuration is watched",
            ],
        ],
    ]

    static let openCodeStatusSchema: JSONValue = object(
        [
            "state": ["enum": ["stopped", "starting", "ready", "restarting", "failed"]], "restarts": integer,
            "pid": nullable("integer"), "baseUrl": nullable("string"), "version": nullable("string"),
            "startedAt": nullable("integer"), "lastExit": ["anyOf": [ref("Exit"), ["type": "null"]]],
            "source": [
                "anyOf": [
                    object([
                        "source": string, "path": string, "verified": boolean, "version": nullable("string"),
                        "origin": nullable("string"),
                    ]),
                    ["type": "null"],
                ],
                "description": "where the binary came from (null until it is resolved)",
            ],
            "reason": ["type": "string", "description": "why it failed (state failed)"],
            "stderr": ["type": "array", "items": string, "description": "opencode.status only: its last lines"],
        ],
        required: ["state", "restarts", "pid", "baseUrl", "version", "startedAt", "lastExit", "source"])

    static let approvalSchema: JSONValue = [
        "type": "object",
        "required": ["id", "source"],
        "description": """
        opencode's permission request (`source:"opencode"`: `permission`, `patterns`) or question \
        (`source:"opencode-question"`: `questions`, `question`, `options`); an OpenWork server's items \
        (`source:"openwork-server"`) carry what that server sends
        """,
        "additionalProperties": true,
        "properties": [
            "id": string, "source": ["enum": ["opencode", "opencode-question", "openwork-server"]],
            "workspaceId": nullable("string"), "directory": string, "sessionID": string, "createdAt": integer,
            "permission": string, "patterns": strings,
            "questions": array([
                "type": "object", "required": ["question", "options"],
                "properties": [
                    "question": string, "header": string,
                    "options": array(object(["label": string, "description": string], required: ["label"])),
                    "multiple": boolean, "custom": boolean,
                ],
            ]),
            "question": string, "options": strings,
        ],
    ]

    /// The errors a method that names a workspace can answer with.
    static let workspaceErrors = errors(
        .workspaceNotFound, .workspaceAmbiguous, .invalidPath, .stateCorrupt, .stateVersionUnsupported,
        .registryBusy, .dataDirUnusable)
    /// The errors of a method that reaches opencode.
    static let opencodeErrors = errors(
        .opencodeUnavailable, .opencodeStartFailed, .opencodeUnsupportedVersion, .opencodeNotFound,
        .opencodeRequestFailed)
    /// The errors of a method that changes the registry.
    static let writeErrors = errors(.stateWriteFailed, .registryBusy, .dataDirUnusable)

    /// The wire description of each kind: its JSON-RPC code from the one mapping (``OpenWorkError/Code/rpcCode``).
    static func errors(_ codes: OpenWorkError.Code...) -> [RPCErrorDescription] {
        codes.map { code in
            RPCErrorDescription(
                code: code.rpcCode, kind: code.rawValue, message: String(code.rawValue.map { $0 == "_" ? " " : $0 }))
        }
    }
}
