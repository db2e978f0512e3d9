import OpenWorkClient
import OpenWorkCore
import OpenWorkHost
import OpenWorkSystem
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension Daemon {
    /// The engine's part of the daemon's group: nothing while the daemon serves; when the group stops (it is
    /// first in the group, so stopped last, after the server), host mode's services stopped, then the engine's
    /// shutdown: opencode's whole group stopped and its record cleared.
    struct EngineService: Service {
        let engine: Engine
        let host: HostController

        func run() async throws {
            // Returns at a graceful shutdown, throws when the group is cancelled: the engine stops either way.
            try? await gracefulShutdown()
            await host.stop()
            await engine.shutdown()
        }
    }

    /// The `daemon` record in the state file, there exactly while the server serves: written once the server
    /// listens, cleared when a stop is asked for (`POST /shutdown`, which then stops the group) or the group stops
    /// (it is last in the group, so stopped first, before the server closes).
    struct RecordService: Service {
        let engine: Engine
        let host: String
        let settings: DaemonSettings
        /// The bound port, from the control plane.
        let ports: AsyncStream<Int>
        /// One element per `daemon.shutdown`.
        let stops: AsyncStream<Void>
        let onReady: @Sendable (DaemonRecord) -> Void

        func run() async throws {
            var bound: Int?
            for await port in ports.cancelOnGracefulShutdown() {
                bound = port
                break
            }
            guard let port = bound else { return }
            let pid = getpid()
            let host = host.contains(":") ? "[\(host)]" : host
            let record = DaemonRecord(
                pid: pid, port: port, baseURL: "http://\(host):\(port)", startedAt: Registry.Clock.unixMilliseconds(),
                startTicks: ProcessIdentity.startTicks(of: pid), settings: settings)
            try? await engine.registry.setRecord(.daemon, record.json)
            onReady(record)
            for await _ in stops.cancelOnGracefulShutdown() { break }
            try? await engine.registry.setRecord(.daemon, nil)
        }
    }
}
