public import OpenWorkCore
public import OpenWorkHost
import OpenWorkJSON
import OpenWorkLogging
public import OpenWorkRPC
import OpenWorkSystem

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

        /// Whether `OPENWORK_ENABLE_TEST_METHODS` is `true`, `1` or `yes`.
        public static func testMethodsEnabled(_ environment: [String: String]) -> Bool {
            Setting.boolean(environment["OPENWORK_ENABLE_TEST_METHODS"] ?? "") ?? false
        }
    }

    public static func table(_ configuration: Configuration) -> MethodTable {
        var table = MethodTable(title: "openwork", version: OpenWorkVersion.current)
        table.register(health(startedAt: configuration.startedAt, engine: configuration.engine))
        for method in workspaceMethods(configuration.engine, defaultCWD: configuration.defaultCWD) {
            table.register(method)
        }
        for method in instanceMethods(configuration.engine, defaultCWD: configuration.defaultCWD) {
            table.register(method)
        }
        for method in engineMethods(configuration.engine) { table.register(method) }
        for method in sidecarMethods(configuration.engine) { table.register(method) }
        for method in approvalMethods(configuration.engine, defaultCWD: configuration.defaultCWD) {
            table.register(method)
        }
        for method in hostMethods(
            configuration.host, environment: configuration.environment, defaultCWD: configuration.defaultCWD)
        {
            table.register(method)
        }
        if configuration.testMethods {
            for method in TestMethods.all { table.register(method) }
        }
        return table
    }

    static func health(startedAt: ContinuousClock.Instant, engine: Engine?) -> RPCMethod {
        RPCMethod(
            "health",
            summary: "The engine's version, pid, uptime and data directory; opencode's state; the active workspace.",
            result: RPCResultDescription(
                "health",
                schema: [
                    "type": "object",
                    "properties": [
                        "ok": ["type": "boolean"], "version": ["type": "string"], "pid": ["type": "integer"],
                        "uptimeMs": ["type": "integer"],
                    ],
                ]
            )
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
}
