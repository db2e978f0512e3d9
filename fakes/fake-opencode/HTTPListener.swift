import Foundation
import Hummingbird
import Synchronization

/// Binds the port opencode would bind, prints the listening line once bound, and serves until the process ends.
///
/// Port 0 tries 4096 first and falls back to a random free port; an explicit port that cannot be bound is
/// reported on stderr and the process exits 1 without a listening line.
enum HTTPListener {
    static let preferredPort = 4096

    /// The bind (or another startup step) failed before the server was running.
    private struct StartFailure: Error {
        var underlying: any Error
    }

    static func serve(_ server: FakeServer, onListening: @escaping @Sendable (Int) async -> Void) async -> Never {
        let hostname = server.options.effectiveHostname
        let requested = server.options.port
        do {
            if requested == 0 {
                do {
                    try await run(server, hostname: hostname, port: preferredPort, onListening: onListening)
                } catch is StartFailure {
                    try await run(server, hostname: hostname, port: 0, onListening: onListening)
                }
            } else {
                try await run(server, hostname: hostname, port: requested, onListening: onListening)
            }
        } catch let failure as StartFailure {
            let port = requested == 0 ? "a free port" : "port \(requested)"
            SystemCalls.writeAll(
                "Error: Failed to start server on \(hostname), \(port). Is it in use? (\(failure.underlying))\n",
                to: SystemCalls.standardError
            )
            SystemCalls.exitImmediately(1)
        } catch {
            SystemCalls.writeAll("Error: server stopped: \(error)\n", to: SystemCalls.standardError)
            SystemCalls.exitImmediately(1)
        }
        SystemCalls.exitImmediately(0)
    }

    private static func run(
        _ server: FakeServer,
        hostname: String,
        port: Int,
        onListening: @escaping @Sendable (Int) async -> Void
    ) async throws {
        let running = RunningFlag()
        let application = quietly {
            Application(
                responder: FakeResponder(server: server),
                configuration: .init(address: .hostname(hostname, port: port)),
                onServerRunning: { channel in
                    running.set()
                    await onListening(channel.localAddress?.port ?? port)
                }
            )
        }
        do {
            try await application.run()
        } catch {
            if running.isSet { throw error }
            throw StartFailure(underlying: error)
        }
    }

    /// Builds the application with Hummingbird's own logging silenced (stderr stays empty, as opencode's
    /// does without `--print-logs`); Hummingbird reads `LOG_LEVEL` when no logger is passed in.
    private static func quietly<T>(_ make: () -> T) -> T {
        let previous = ProcessInfo.processInfo.environment["LOG_LEVEL"]
        SystemCalls.setEnvironmentVariable("LOG_LEVEL", to: "critical")
        defer { SystemCalls.setEnvironmentVariable("LOG_LEVEL", to: previous) }
        return make()
    }
}

/// Set once the server is running: a failure after that is not a start failure.
private final class RunningFlag: Sendable {
    private let value = Mutex(false)

    func set() {
        value.withLock { $0 = true }
    }

    var isSet: Bool { value.withLock { $0 } }
}
