import OpenWorkCore
import OpenWorkJSON
import OpenWorkRPC
import OpenWorkSystem

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

    static let cwdParameter = RPCParameter.string(
        "cwd", "the caller's working directory, for relative paths (default: the server's, in `openwork rpc`)",
        required: false)
    static let referenceParameter = RPCParameter.string(
        "id", "a workspace id, an exact name, or a path (relative paths against `cwd`)")

    static func workspaceMethods(_ engine: Engine?, defaultCWD: String?) -> [RPCMethod] {
        @Sendable func need() throws(OpenWorkError) -> Engine {
            guard let engine else { throw OpenWorkError(.dataDirUnusable, "no engine is running") }
            return engine
        }
        func reference(
            _ name: String, _ summary: String, description: String = "", result: RPCResultDescription,
            _ body: @escaping @Sendable (Engine, String, String?) async throws -> JSONValue
        ) -> RPCMethod {
            RPCMethod(
                name, summary: summary, description: description, params: [referenceParameter, cwdParameter],
                result: result, decoding: ReferenceParams.self
            ) { params in try await body(need(), params.id, params.cwd ?? defaultCWD) }
        }
        let change = RPCResultDescription("change", schema: ref("WorkspaceChange"))
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
                result: change, decoding: AddParams.self
            ) { params in
                try await need().add(path: params.path, name: params.name, cwd: params.cwd ?? defaultCWD).json
            },
            RPCMethod(
                "workspace.addRemote",
                summary: "Registers a remote opencode server (and optionally a directory on it).",
                params: [
                    .string("baseUrl", "http(s) URL of the opencode server, without credentials"),
                    .string("directory", "an absolute directory on that server", required: false),
                    .string("name", "a display name (default: the URL)", required: false),
                ],
                result: change, decoding: AddRemoteParams.self
            ) { params in
                try await need().addRemote(baseURL: params.baseUrl, directory: params.directory, name: params.name).json
            },
            RPCMethod(
                "workspace.list",
                summary: "Lists the workspaces and the active id.",
                result: RPCResultDescription(
                    "workspaces",
                    schema: [
                        "type": "object", "required": ["activeId", "workspaces"],
                        "properties": [
                            "activeId": ["type": ["string", "null"]],
                            "workspaces": ["type": "array", "items": ref("Workspace")],
                        ],
                    ]),
                decoding: NoParams.self
            ) { _ in try await need().list().json },
            reference(
                "workspace.info", "Shows one workspace.",
                result: RPCResultDescription(
                    "workspace", schema: object(["workspace": ref("Workspace")]))
            ) { engine, id, cwd in ["workspace": try await engine.info(id, cwd: cwd).json] },
            reference("workspace.switch", "Makes a workspace active (and records its use).", result: change) {
                engine, id, cwd in try await engine.activate(id, cwd: cwd).json
            },
            reference(
                "workspace.remove", "Removes a workspace from the registry; its directory is not touched.",
                description: """
                    When the removed workspace was active, the most recently used remaining one becomes active \
                    (none when the registry is empty). Returns the removed entry.
                    """,
                result: change
            ) { engine, id, cwd in try await engine.remove(id, cwd: cwd).json },
            reference(
                "workspace.path", "Asks opencode where the workspace lives (`GET /path` for its directory).",
                description: """
                    Local workspaces go to the supervised opencode, which is started when needed; the call waits \
                    while it starts or restarts. The answer's `directory` must be the workspace's \
                    (`opencode_routing_mismatch` otherwise). Remote workspaces go to their own server.
                    """,
                result: RPCResultDescription(
                    "path",
                    schema: object([
                        "workspace": ref("Workspace"),
                        "path": [
                            "type": "object", "required": ["directory"], "additionalProperties": true,
                            "description": "opencode's `GET /path` answer (a remote server's as it sent it)",
                            "properties": [
                                "home": string, "state": string, "config": string, "worktree": string,
                                "directory": string,
                            ],
                        ],
                    ]))
            ) { engine, id, cwd in try await engine.path(id, cwd: cwd).json },
            reference(
                "workspace.connect",
                "What an integrator needs to talk to opencode directly: baseUrl, directory, credentials, attach line.",
                description: "Also written to `<data-dir>/openwork-orchestrator-auth.json` (mode 0600).",
                result: RPCResultDescription("connection", schema: connectionSchema)
            ) { engine, id, cwd in try await engine.connect(id, cwd: cwd).json },
            reference(
                "instance.dispose", "Frees opencode's instance for the workspace; the next use creates a new one.",
                result: RPCResultDescription(
                    "disposed", schema: object(["disposed": boolean]))
            ) { engine, id, cwd in ["disposed": .bool(try await engine.dispose(id, cwd: cwd))] },
        ]
    }
}

extension Operations {
    /// `workspace.connect`: a remote workspace's server; a local one's credentials and `opencode attach` line too.
    static let connectionSchema: JSONValue = object(
        [
            "workspace": ref("Workspace"), "baseUrl": nullable("string"), "directory": nullable("string"),
            "username": string, "password": string, "authFile": string,
            "attach": object([
                "argv": strings,
                "environment": object(["OPENCODE_SERVER_USERNAME": string, "OPENCODE_SERVER_PASSWORD": string]),
            ]),
        ],
        required: ["workspace", "baseUrl", "directory"])
}

// The wire shapes of the engine's workspace values.

extension WorkspaceView {
    /// The stored entry plus `warm` and `leases`; in `list` and `info` also `busy`, `idleMs`, `pendingReload`
    /// and `hotReload` (`false`/`null` when cold).
    var json: JSONValue {
        var json = workspace.json
        json["warm"] = .bool(warm)
        json["leases"] = .array(leases.map(\.json))
        if detailed {
            let members =
                instance?.members ?? ["busy": false, "idleMs": .null, "pendingReload": .null, "hotReload": .null]
            for (key, value) in members { json[key] = value }
        }
        return json
    }
}

extension WorkspaceChange {
    var json: JSONValue {
        ["activeId": activeID.map(JSONValue.string) ?? .null, "workspace": workspace.json, "created": .bool(created)]
    }
}

extension WorkspaceList {
    var json: JSONValue {
        ["activeId": activeID.map(JSONValue.string) ?? .null, "workspaces": .array(workspaces.map(\.json))]
    }
}

extension WorkspacePath {
    var json: JSONValue { ["workspace": workspace.json, "path": path] }
}

extension WorkspaceConnection {
    /// A remote workspace's server; for a local one also the credentials and the `opencode attach` line.
    var json: JSONValue {
        let base = baseURL.map(JSONValue.string) ?? .null
        let directory = directory.map(JSONValue.string) ?? .null
        guard let login else { return ["workspace": workspace.json, "baseUrl": base, "directory": directory] }
        return [
            "workspace": workspace.json, "baseUrl": base, "directory": directory,
            "username": .string(login.username), "password": .string(login.password),
            "authFile": .string(login.authFile),
            "attach": [
                "argv": ["opencode", "attach", base, "--dir", directory],
                "environment": [
                    "OPENCODE_SERVER_USERNAME": .string(login.username),
                    "OPENCODE_SERVER_PASSWORD": .string(login.password),
                ],
            ],
        ]
    }
}
