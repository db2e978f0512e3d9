import OpenWorkCore
import OpenWorkHost
import OpenWorkJSON
import OpenWorkRPC
import OpenWorkSystem

extension Operations {
    /// `host.start`'s params: the flags of `openwork start|serve` (a member that is absent falls back to the
    /// serving process's `OPENWORK_*` variable, then the default), what to check, and whether to answer with the
    /// credentials.
    struct HostStartParams: Decodable {
        var workspace: String?
        var cwd: String?
        var approval: String?
        var approvalTimeoutMs: Int?
        var readOnly: Bool?
        var cors: [String]?
        var opencodePort: Int?
        var openworkPort: Int?
        var remoteAccess: Bool?
        var opencodeLogLevel: String?
        var runId: String?
        var startupTimeout: Int?
        var opencodeRouter: Bool?
        var opencodeRouterRequired: Bool?
        var exitOnChildFailure: Bool?
        var hotReload: Bool?
        var hotReloadDebounceMs: Int?
        var hotReloadCooldownMs: Int?
        var opencodeUsername: String?
        var opencodePassword: String?
        var check: Bool?
        var checkEvents: Bool?
        var includeSecrets: Bool?
        var sandbox: String?
        var sandboxImage: String?
        var sandboxPersistDir: String?
        var sandboxMounts: [String]?
        var sandboxMountAllowlist: String?

        var flags: HostSettings.Flags {
            var flags = HostSettings.Flags()
            flags.workspace = workspace
            flags.approval = approval
            flags.approvalTimeoutMs = approvalTimeoutMs
            flags.readOnly = readOnly
            flags.cors = cors ?? []
            flags.opencodePort = opencodePort
            flags.openworkPort = openworkPort
            flags.remoteAccess = remoteAccess
            flags.opencodeLogLevel = opencodeLogLevel
            flags.runID = runId
            flags.startupTimeoutSeconds = startupTimeout
            flags.opencodeRouter = opencodeRouter
            flags.opencodeRouterRequired = opencodeRouterRequired
            flags.exitOnChildFailure = exitOnChildFailure
            flags.hotReload = hotReload
            flags.hotReloadDebounceMs = hotReloadDebounceMs
            flags.hotReloadCooldownMs = hotReloadCooldownMs
            flags.sandbox = sandbox
            flags.sandboxImage = sandboxImage
            flags.sandboxPersistDir = sandboxPersistDir
            flags.sandboxMounts = sandboxMounts ?? []
            flags.sandboxMountAllowlist = sandboxMountAllowlist
            return flags
        }
    }

    private struct HostStatusParams: Decodable {
        var includeSecrets: Bool?
    }

    static let hostStartParameters: [RPCParameter] = {
        func flag(_ name: String, _ summary: String) -> RPCParameter {
            RPCParameter(name, summary, schema: ["type": "boolean"], required: false)
        }
        return [
            .string("workspace", "the workspace to serve (default: $OPENWORK_WORKSPACE, else `cwd`)", required: false),
            cwdParameter,
            .string("approval", "openwork-server's approvals: manual or auto", required: false),
            .integer("approvalTimeoutMs", "how long a manual approval waits (default 30000)", required: false),
            flag("readOnly", "openwork-server refuses writes"),
            RPCParameter(
                "cors", "origins opencode and openwork-server accept (default `*`)",
                schema: ["type": "array", "items": ["type": "string"]], required: false),
            .integer("opencodePort", "opencode's port (default 0: its own choice)", required: false),
            .integer("openworkPort", "openwork-server's port (default 0: its own choice)", required: false),
            flag("remoteAccess", "openwork-server binds beyond loopback"),
            .string("opencodeLogLevel", "opencode's --log-level", required: false),
            .string("runId", "the run id (default: a new one)", required: false),
            .integer("startupTimeout", "seconds each service may take to become ready (default 60)", required: false),
            flag("opencodeRouter", "run opencode-router too"),
            flag("opencodeRouterRequired", "end the run when opencode-router fails"),
            flag("exitOnChildFailure", "end the run when any service exits (the anchor's behaviour)"),
            flag("hotReload", "OPENCODE_HOT_RELOAD for opencode (default true)"),
            .integer("hotReloadDebounceMs", "default 700", required: false),
            .integer("hotReloadCooldownMs", "default 1500", required: false),
            .string(
                "opencodeUsername", "opencode's user (default: $OPENWORK_OPENCODE_USERNAME, else opencode)",
                required: false),
            .string(
                "opencodePassword",
                "opencode's password (default: $OPENWORK_OPENCODE_PASSWORD, else a random one made here)",
                required: false),
            flag("check", "run the anchor's checks once started; a failure stops everything (host_check_failed)"),
            flag("checkEvents", "like check, and require an event from opencode's event stream"),
            flag("includeSecrets", "answer with the credentials (default: every credential is null)"),
            .string(
                "sandbox", "where the services run: none (default), auto, bwrap, docker, podman, container",
                required: false),
            .string("sandboxImage", "the containers' image (default debian:bookworm-slim)", required: false),
            .string("sandboxPersistDir", "mounted at /persist, the services' HOME", required: false),
            RPCParameter(
                "sandboxMounts", "extra mounts, hostPath:subpath[:ro|rw], each allowed by the allowlist",
                schema: ["type": "array", "items": ["type": "string"]], required: false),
            .string(
                "sandboxMountAllowlist", "the allowlist file (default: the serving process's)", required: false),
        ]
    }()

    static let logsSchema: JSONValue = [
        "type": ["object", "null"], "additionalProperties": string,
        "description": "each service's log file, by service",
    ]

    /// The anchor's `--json` object plus `services`, `logs` (and `sandbox` where host mode reports it).
    static let hostStartSchema: JSONValue = [
        "allOf": [ref("HostConnection")],
        "type": "object", "required": ["services", "logs"],
        "properties": [
            "services": array(ref("HostService")), "logs": logsSchema, "sandbox": ref("Sandbox"),
        ],
    ]

    static let hostStatusSchema: JSONValue = object(
        [
            "running": boolean, "state": ["enum": ["stopped", "starting", "running", "stopping"]],
            "runId": string, "workspace": string, "startedAt": integer, "uptimeMs": integer,
            "services": array(ref("HostService")), "connection": ref("HostConnection"), "logs": logsSchema,
            "lastEnd": ["type": ["object", "null"], "additionalProperties": true], "sandbox": ref("Sandbox"),
        ],
        required: ["running", "state", "services", "lastEnd"])

    /// `host.start`, `host.status`, `host.stop`: host mode in the serving process (see ``HostController``).
    static func hostMethods(
        _ host: HostController?, environment: [String: String], defaultCWD: String?
    ) -> [RPCMethod] {
        @Sendable func need() throws(OpenWorkError) -> HostController {
            guard let host else { throw OpenWorkError(.dataDirUnusable, "no engine is running") }
            return host
        }
        return [
            RPCMethod(
                "host.start",
                summary:
                    "Host mode: opencode, then openwork-server (then opencode-router), supervised by this process; answers once they are ready.",
                description: """
                    One host per data directory: another start while one runs is `host_already_running`. The \
                    engine's opencode is restarted with host mode's settings (workspace as its directory, fresh \
                    credentials) and gets its own back after `host.stop`. The secrets are made here and never leave \
                    unless `includeSecrets`. The services' output goes to `<data-dir>/logs/<service>.log` \
                    (redacted). Events: `service.starting|ready|exited|restarting|failed {service, …}`, \
                    `host.started`, `host.stopped`. The answer is the anchor's `--json` object (`runId, workspace, \
                    approval, opencode, openwork, router, diagnostics`) plus `services`.
                    """,
                params: hostStartParameters,
                result: RPCResultDescription("host", schema: hostStartSchema), decoding: HostStartParams.self
            ) { params in
                let host = try need()
                let base = params.cwd ?? defaultCWD
                if base == nil, params.workspace?.hasPrefix("/") != true {
                    throw RPCError.invalidParams("workspace: an absolute path is needed (or give cwd)")
                }
                var settings = try HostSettings.resolve(
                    params.flags, environment: environment, workingDirectory: base ?? "/")
                if let username = params.opencodeUsername { settings.secrets.opencodeUsername = username }
                if let password = params.opencodePassword { settings.secrets.opencodePassword = password }
                let connection = try await host.start(
                    settings, check: params.check ?? false, checkEvents: params.checkEvents ?? false)
                var result = connection.json(includeSecrets: params.includeSecrets ?? false).objectValue ?? [:]
                let status = await host.status()
                result["services"] = status["services"] ?? []
                result["logs"] = status["logs"] ?? .null
                return JSONValue.object(result)
            },
            RPCMethod(
                "host.status",
                summary:
                    "Host mode's services (state, pid, url, port, health, restarts, uptime) and how to reach them.",
                description: """
                    `{running, state, runId, workspace, startedAt, uptimeMs, services:[{service, state, pid, url, \
                    port, healthy, restarts, lastExit, startedAt, uptimeMs}], connection, logs, lastEnd}`; \
                    `running:false, state:"stopped"` when none runs (`lastEnd` says why the last run ended, when it \
                    ended on its own). Credentials in `connection` are null unless `includeSecrets`.
                    """,
                params: [
                    RPCParameter(
                        "includeSecrets", "include the credentials", schema: ["type": "boolean"], required: false)
                ],
                result: RPCResultDescription("status", schema: hostStatusSchema), decoding: HostStatusParams.self
            ) { params in
                try await need().status(includeSecrets: params.includeSecrets ?? false)
            },
            RPCMethod(
                "host.stop",
                summary:
                    "Stops host mode's services (router, openwork-server, then opencode) and waits until they are gone.",
                description: """
                    `{stopped, services}`: `stopped:false` when no host ran. A host still starting is cut short \
                    (its start answers `host_stopped`). opencode gets the engine's own configuration back and \
                    starts again on the next call that needs it.
                    """,
                result: RPCResultDescription(
                    "stopped", schema: object(["stopped": boolean, "services": array(ref("HostService"))])),
                decoding: NoParams.self
            ) { _ in
                let services = try await need().stop()
                return ["stopped": .bool(services != nil), "services": .array(services ?? [])] as JSONValue
            },
        ]
    }
}
