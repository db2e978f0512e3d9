public import OpenWorkCore
public import OpenWorkHost
import OpenWorkJSON
import OpenWorkLogging
public import OpenWorkRPC
public import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The method table: binds every RPC name to what it does. The only place that knows which methods exist.
public enum Operations {
    /// What the operations need from the world.
    public struct Configuration: Sendable {
        /// Registers the `test.*` methods (slow, failing, echoing), which exist only for tests.
        public var testMethods = false
        /// When the serving process started, for `health.uptimeMs`.
        public var startedAt = ContinuousClock.now
        /// The engine behind the workspace and opencode methods; `nil` only to describe the table.
        public var engine: Engine?
        /// The working directory relative paths are resolved against when a call names no `cwd`.
        public var defaultCWD: String?
        /// Host mode in the serving process (`host.*`); `nil` only to describe the table.
        public var host: HostController?
        /// The serving process's environment: host mode's settings fall back to its `OPENWORK_*` variables.
        public var environment: [String: String] = [:]

        public init(testMethods: Bool = false, engine: Engine? = nil, defaultCWD: String? = nil) {
            self.testMethods = testMethods
            self.engine = engine
            self.defaultCWD = defaultCWD
        }

        /// The trace `OPENWORK_RPC_TRACE` asks for (`nil` when unset or empty); a path that cannot be opened for
        /// appending is `invalid_setting`.
        public static func trace(_ environment: [String: String]) throws(OpenWorkError) -> RPCTrace? {
            guard let path = environment[RPCTrace.variable], !path.isEmpty else { return nil }
            guard let trace = RPCTrace(path: path) else {
                throw OpenWorkError(.invalidSetting, "\(RPCTrace.variable): cannot open \(path) for appending")
            }
            return trace
        }

        /// Whether `OPENWORK_ENABLE_TEST_METHODS` is `true`, `1` or `yes`.
        public static func testMethodsEnabled(_ environment: [String: String]) -> Bool {
            Setting.boolean(environment["OPENWORK_ENABLE_TEST_METHODS"] ?? "") ?? false
        }
    }

    public static func table(_ configuration: Configuration) -> MethodTable {
        var table = MethodTable(title: "openwork", version: OpenWorkVersion.current)
        table.schemas = schemas
        table.notifications = [eventNotification]
        table.transport = transport
        var methods = [health(startedAt: configuration.startedAt, engine: configuration.engine)]
        methods += workspaceMethods(configuration.engine, defaultCWD: configuration.defaultCWD)
        methods += instanceMethods(configuration.engine, defaultCWD: configuration.defaultCWD)
        methods += engineMethods(configuration.engine)
        methods += sidecarMethods(configuration.engine)
        methods += approvalMethods(configuration.engine, defaultCWD: configuration.defaultCWD)
        methods += hostMethods(
            configuration.host, environment: configuration.environment, defaultCWD: configuration.defaultCWD)
        if configuration.testMethods { methods += TestMethods.all }
        for method in methods { table.register(documented(method)) }
        return table
    }

    /// The `x-transport` extension: how messages travel to and from the method table.
    static let transport: JSONValue = [
        "protocol": "JSON-RPC 2.0",
        "stdio": [
            "command": "openwork rpc", "framing": "line-delimited JSON: one JSON text per line (UTF-8, LF) each way",
            "maxLineBytes": "16 MiB by default (--max-line-bytes); a longer line is answered with line_too_long",
            "notifications": "written to stdout between answers, as lines of their own",
            "end": "EOF on stdin ends the session; running requests finish first (--drain-timeout-ms)",
        ],
        "http": [
            "endpoint": "POST /rpc on the daemon's control plane (its baseUrl: `openwork daemon status --json`)",
            "body": "one request, notification or batch; the answer is the body (204 when nothing is answered)",
            "auth": "Authorization: Bearer <the contents of <data-dir>/daemon-token>",
            "events": "GET /events (server-sent events) instead of the event notification",
        ],
    ]

    static func health(startedAt: ContinuousClock.Instant, engine: Engine?) -> RPCMethod {
        RPCMethod(
            "health",
            summary: "The engine's version, pid, uptime and data directory; opencode's state; the active workspace.",
            result: RPCResultDescription("health", schema: healthSchema)
        ) { _ in
            if let engine { return await engine.health().json }
            let uptime = ContinuousClock.now - startedAt
            let milliseconds = uptime.components.seconds * 1_000 + uptime.components.attoseconds / 1_000_000_000_000_000
            return [
                "ok": true,
                "version": .string(OpenWorkVersion.current),
                "pid": .integer(Int64(getpid())),
                "uptimeMs": .integer(milliseconds),
            ]
        }
    }

    static let healthSchema: JSONValue = object(
        [
            "ok": boolean, "version": string, "pid": integer, "uptimeMs": integer, "startedAt": integer,
            "dataDir": string,
            "opencode": ref("OpenCodeStatus"), "activeId": nullable("string"), "workspaceCount": integer,
            "instances": object([
                "warm": integer, "leases": integer, "pendingReloads": integer, "idleTtlMs": nullable("integer"),
                "maxWarm": nullable("integer"), "reloadDeferMaxMs": integer,
                "hotReload": object([
                    "enabled": boolean, "debounceMs": integer, "cooldownMs": integer,
                    "watcher": ["enum": ["auto", "poll"]],
                ]),
            ]),
            "daemon": [
                "description": "`GET /health` only: the daemon answering",
                "type": "object", "properties": ["pid": integer, "port": integer, "baseUrl": string],
            ],
            "cliVersion": ["type": "string", "description": "`GET /health` only: the same as `version`"],
        ],
        required: ["ok", "version", "pid", "uptimeMs"])
}
