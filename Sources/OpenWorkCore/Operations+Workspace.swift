import OpenWorkJSON
import OpenWorkRPC

extension Operations {
    private struct AddParams: Decodable {
        var path: String
        var name: String?
        var cwd: String?
    }

    private struct AddRemoteParams: Decodable {
        var baseUrl: String
        var directory: String?
        var name: String?
    }

    private struct ReferenceParams: Decodable {
        var id: String
        var cwd: String?
    }

    static let workspaceSchema: JSONValue = [
        "type": "object",
        "required": ["id", "name", "path", "workspaceType", "createdAt", "lastUsedAt"],
        "properties": [
            "id": ["type": "string", "pattern": "^ws-[0-9a-f]{12}$"], "name": ["type": "string"],
            "path": ["type": "string"], "workspaceType": ["enum": ["local", "remote"]],
            "baseUrl": ["type": "string"], "directory": ["type": "string"],
            "createdAt": ["type": "integer"], "lastUsedAt": ["type": "integer"],
        ],
    ]

    static let cwdParameter = RPCParameter.string(
        "cwd", "the caller's working directory, for relative paths (default: the server's, in `openwork rpc`)",
        required: false)
    static let referenceParameter = RPCParameter.string(
        "id", "a workspace id, an exact name, or a path (relative paths against `cwd`)")

    static func workspaceMethods(_ registry: Registry?, defaultCWD: String?) -> [RPCMethod] {
        @Sendable func need() throws(OpenWorkError) -> Registry {
            guard let registry else { throw OpenWorkError(.dataDirUnusable, "no data directory is available") }
            return registry
        }
        @Sendable func changed(_ change: Registry.Change) -> JSONValue {
            [
                "activeId": change.state.activeID.map(JSONValue.string) ?? .null,
                "workspace": change.workspace.json,
                "created": .bool(change.created),
            ]
        }
        let changeSchema: JSONValue = [
            "type": "object",
            "properties": [
                "activeId": ["type": ["string", "null"]], "workspace": workspaceSchema, "created": ["type": "boolean"],
            ],
        ]
        return [
            RPCMethod(
                "workspace.add",
                summary: "Registers a local directory as a workspace (idempotent).",
                description: """
                    Adding the same directory again, under any spelling that resolves to it, returns the existing \
                    entry with `created: false`. The name defaults to the folder's base name; the first workspace \
                    becomes active. Fails with `invalid_path` when the path does not exist, is not a directory or \
                    cannot be read.
                    """,
                params: [
                    .string("path", "the directory, absolute or relative to `cwd`"),
                    .string("name", "a display name", required: false), cwdParameter,
                ],
                result: RPCResultDescription("change", schema: changeSchema), decoding: AddParams.self
            ) { params in
                changed(try await need().add(path: params.path, name: params.name, cwd: params.cwd ?? defaultCWD))
            },
            RPCMethod(
                "workspace.addRemote",
                summary: "Registers a remote opencode server (and optionally a directory on it).",
                params: [
                    .string("baseUrl", "http(s) URL of the opencode server, without credentials"),
                    .string("directory", "an absolute directory on that server", required: false),
                    .string("name", "a display name (default: the URL)", required: false),
                ],
                result: RPCResultDescription("change", schema: changeSchema), decoding: AddRemoteParams.self
            ) { params in
                changed(
                    try await need().addRemote(baseURL: params.baseUrl, directory: params.directory, name: params.name))
            },
            RPCMethod(
                "workspace.list",
                summary: "Lists the workspaces and the active id.",
                result: RPCResultDescription(
                    "workspaces",
                    schema: [
                        "type": "object",
                        "properties": [
                            "activeId": ["type": ["string", "null"]],
                            "workspaces": ["type": "array", "items": workspaceSchema],
                        ],
                    ]),
                decoding: NoParams.self
            ) { _ in
                let state = try await need().state()
                return [
                    "activeId": state.activeID.map(JSONValue.string) ?? .null,
                    "workspaces": .array(state.workspaces.map(\.json)),
                ] as JSONValue
            },
            RPCMethod(
                "workspace.info",
                summary: "Shows one workspace.",
                params: [referenceParameter, cwdParameter],
                result: RPCResultDescription(
                    "workspace", schema: ["type": "object", "properties": ["workspace": workspaceSchema]]),
                decoding: ReferenceParams.self
            ) { params in
                ["workspace": try await need().workspace(params.id, cwd: params.cwd ?? defaultCWD).json] as JSONValue
            },
            RPCMethod(
                "workspace.switch",
                summary: "Makes a workspace active (and records its use).",
                params: [referenceParameter, cwdParameter],
                result: RPCResultDescription("change", schema: changeSchema), decoding: ReferenceParams.self
            ) { params in
                changed(try await need().activate(params.id, cwd: params.cwd ?? defaultCWD))
            },
            RPCMethod(
                "workspace.remove",
                summary: "Removes a workspace from the registry; its directory is not touched.",
                description: """
                    When the removed workspace was active, the most recently used remaining one becomes active \
                    (none when the registry is empty). Returns the removed entry.
                    """,
                params: [referenceParameter, cwdParameter],
                result: RPCResultDescription("change", schema: changeSchema), decoding: ReferenceParams.self
            ) { params in
                changed(try await need().remove(params.id, cwd: params.cwd ?? defaultCWD))
            },
        ]
    }
}
