import Dispatch
import Synchronization

/// Turns SIGTERM and SIGINT into opencode's orderly exit: every instance disposed (its
/// `server.instance.disposed` event published), every event stream ended, then exit 0.
///
/// With `FAKE_OPENCODE_IGNORE_SIGTERM` SIGTERM is ignored and only SIGINT shuts down. A second signal during
/// shutdown changes nothing. Shutdown does not wait for hung requests, and does not touch the grandchild.
final class ShutdownCoordinator: Sendable {
    private let server: FakeServer
    private let started = Mutex(false)
    private let sources = Mutex<SignalSources?>(nil)

    init(server: FakeServer) {
        self.server = server
    }

    /// Starts watching the signals (they no longer kill the process by default).
    func watchSignals(ignoringSIGTERM: Bool) {
        var watched = [SystemCalls.interrupt]
        if ignoringSIGTERM {
            SystemCalls.ignoreSignal(SystemCalls.terminate)
        } else {
            watched.append(SystemCalls.terminate)
        }
        var created: [any DispatchSourceSignal] = []
        for number in watched {
            SystemCalls.ignoreSignal(number)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                Task { await self.shutDown() }
            }
            source.resume()
            created.append(source)
        }
        let retained = SignalSources(created)
        sources.withLock { $0 = retained }
    }

    func shutDown() async {
        let first = started.withLock { started in
            defer { started = true }
            return !started
        }
        guard first else { return }
        server.log.log(.info, service: "server", "shutting down")
        await server.registry.beginShutdown()
        await server.registry.disposeAll()
        server.bus.close()
        await server.streams.waitUntilIdle(timeout: .seconds(1))
        // A finished write is queued on the event loop, not yet on the socket: give the loop time to send
        // the last frames before the process (and its sockets) goes away.
        try? await Task.sleep(for: FakeServer.flushGrace)
        SystemCalls.exitImmediately(0)
    }
}

/// Keeps the signal sources alive for the life of the process.
///
/// `@unchecked Sendable`: the array is never mutated after creation and Dispatch sources are thread-safe.
private final class SignalSources: @unchecked Sendable {
    let sources: [any DispatchSourceSignal]

    init(_ sources: [any DispatchSourceSignal]) {
        self.sources = sources
    }
}
