public import Logging
public import OpenWorkClient
public import OpenWorkCore
import OpenWorkJSON
import OpenWorkOperations
import OpenWorkRPC
import OpenWorkSystem

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `openwork daemon run`: an engine that owns its data directory from the start, plus the HTTP control plane.
///
/// Order of start: the data directory lock (a second daemon fails here with `data_dir_locked`, before it
/// writes anything), a fresh token file, the server on its port, then the `daemon` record in the state file.
/// SIGTERM, SIGINT and `POST /shutdown` stop it in reverse: record cleared, token file removed, opencode
/// stopped (its whole group), server closed.
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

    /// Serves until a stop is asked for; returns after everything is stopped.
    public static func run(_ configuration: Configuration) async throws {
        guard ControlPlane.isLoopback(configuration.host) else {
            throw OpenWorkError(
                .invalidURL,
                "refusing --daemon-host \(configuration.host): the control plane binds loopback addresses only")
        }
        let (stops, stop) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let signals = DaemonSignals { stop.yield() }
        defer { signals.cancel() }
        try await Engine.run(configuration.engine) { engine in
            try await engine.takeOwnership()
            let dataDirectory = configuration.engine.dataDirectory.path
            let token = DaemonToken.generate()
            let tokenPath = DaemonToken.path(inDataDirectory: dataDirectory)
            try token.write(to: tokenPath)
            defer { unlink(tokenPath) }

            var operations = Operations.Configuration(testMethods: configuration.testMethods, engine: engine)
            operations.defaultCWD = nil
            var plane = ControlPlane.Configuration(token: token)
            plane.host = configuration.host
            plane.port = configuration.port
            plane.allowedOrigins = configuration.allowedOrigins
            plane.logger = configuration.logger
            var table = Operations.table(operations)
            table.register(
                RPCMethod(
                    "daemon.shutdown", summary: "Stops the daemon (and its opencode) after answering.",
                    result: RPCResultDescription("ok", schema: ["type": "object"])
                ) { _ in
                    stop.yield()
                    return ["ok": true]
                })
            let server = ControlPlane(plane, dispatcher: Dispatcher(table: table))
            let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host

            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await server.run { port in
                        let pid = getpid()
                        let record = DaemonRecord(
                            pid: pid, port: port, baseURL: "http://\(host):\(port)",
                            startedAt: Registry.Clock.unixMilliseconds(),
                            startTicks: ProcessIdentity.startTicks(of: pid), settings: configuration.settings)
                        try? await engine.registry.setRecord(.daemon, record.json)
                        configuration.onReady(record)
                    }
                }
                group.addTask {
                    for await _ in stops { return }
                }
                var failure: (any Error)?
                do {
                    try await group.next()
                } catch {
                    failure = error
                }
                try? await engine.registry.setRecord(.daemon, nil)
                server.closeEventStreams()
                await engine.shutdown()
                group.cancelAll()
                while !group.isEmpty { _ = try? await group.next() }
                if let failure { throw failure }
            }
        }
    }
}
