public import Logging
public import OpenWorkClient
public import OpenWorkCore
import OpenWorkHost
import OpenWorkJSON
import OpenWorkOperations
public import OpenWorkRPC
import OpenWorkSystem
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `openwork daemon run`: an engine that owns its data directory from the start, plus the HTTP control plane.
///
/// Order of start: the data directory lock (a second daemon fails here with `data_dir_locked`, before it
/// writes anything), a fresh token file, the server on its port, then the `daemon` record in the state file.
/// The three run as one `ServiceGroup` (``EngineService``, the ``ControlPlane``, ``RecordService``), which stops
/// them in reverse when SIGTERM or SIGINT arrives or `POST /shutdown` asks: record cleared, open event streams
/// ended and the server closed, opencode stopped (its whole group); then the token file is removed.
public enum Daemon {
    public struct Configuration: Sendable {
        public var engine: Engine.Configuration
        /// Loopback only.
        public var host = "127.0.0.1"
        public var port = 0
        public var allowedOrigins: Set<String> = []
        public var testMethods = false
        /// Published in the record, so commands that reach this daemon can tell their settings differ.
        public var settings = DaemonSettings()
        public var logger = Logger(label: "openwork.daemon")
        /// Called once the server listens and the record is written.
        public var onReady: @Sendable (DaemonRecord) -> Void = { _ in }

        public init(engine: Engine.Configuration) {
            self.engine = engine
        }
    }

    /// `daemon.shutdown`, the daemon's own method: `{ok: true}`, then `stop`.
    public static func shutdownMethod(_ stop: @escaping @Sendable () -> Void) -> RPCMethod {
        RPCMethod(
            "daemon.shutdown", summary: "Stops the daemon (and its opencode) after answering.",
            result: RPCResultDescription(
                "ok", schema: ["type": "object", "required": ["ok"], "properties": ["ok": ["const": true]]])
        ) { _ in
            stop()
            return ["ok": true]
        }.documented(errors: [], examples: [RPCExample("stop", result: ["ok": true])])
    }

    /// Serves until a stop is asked for; returns after everything is stopped.
    public static func run(_ configuration: Configuration) async throws {
        guard ControlPlane.isLoopback(configuration.host) else {
            throw OpenWorkError(
                .invalidURL,
                "refusing --daemon-host \(configuration.host): the control plane binds loopback addresses only")
        }
        try await Engine.run(configuration.engine) { engine in
            try await engine.takeOwnership()
            let token = DaemonToken.generate()
            let tokenPath = DaemonToken.path(inDataDirectory: configuration.engine.dataDirectory.path)
            try token.write(to: tokenPath)
            defer { unlink(tokenPath) }

            let (stops, stop) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            let (ports, bound) = AsyncStream<Int>.makeStream(bufferingPolicy: .bufferingNewest(1))
            var operations = Operations.Configuration(testMethods: configuration.testMethods, engine: engine)
            operations.defaultCWD = nil
            let host = HostController(
                engine: engine, dataDirectory: configuration.engine.dataDirectory,
                environment: configuration.engine.environment)
            operations.host = host
            operations.environment = configuration.engine.environment
            var table = Operations.table(operations)
            table.register(shutdownMethod { stop.yield() })
            let trace = try Operations.Configuration.trace(configuration.engine.environment)
            var plane = ControlPlane.Configuration(token: token)
            plane.host = configuration.host
            plane.port = configuration.port
            plane.allowedOrigins = configuration.allowedOrigins
            plane.logger = configuration.logger
            plane.events = { engine.events.subscribe() }
            plane.onRunning = { port in bound.yield(port) }
            let record = RecordService(
                engine: engine, host: configuration.host, settings: configuration.settings, ports: ports,
                stops: stops, onReady: configuration.onReady)
            let group = ServiceGroup(
                configuration: .init(
                    services: [
                        .init(service: EngineService(engine: engine, host: host), serviceName: "engine"),
                        .init(
                            service: ControlPlane(plane, dispatcher: Dispatcher(table: table, trace: trace)),
                            failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: "control plane"),
                        .init(
                            service: record, successTerminationBehavior: .gracefullyShutdownGroup,
                            failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: "daemon record"),
                    ],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: configuration.logger))
            try await group.run()
        }
    }
}
