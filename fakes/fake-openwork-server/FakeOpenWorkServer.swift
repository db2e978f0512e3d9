import Dispatch
import FakeSupport
import Foundation
import Hummingbird

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `fake-openwork-server`: the OpenWork server as host mode drives it (health, workspaces, tokens, workspace
/// config, the `/opencode/*` proxy, approvals), for tests. Prints `OpenWork server listening on
/// http://<host>:<port>` once bound. See `fakes/README.md`.
@main
enum FakeOpenWorkServer {
    static func main() async {
        _ = signal(SIGPIPE, SIG_IGN)
        let options: ServerOptions
        do {
            options = try ServerOptions.parse(
                Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
        } catch {
            StandardStreams.error("fake-openwork-server: \(error)")
            exit(2)
        }
        let signals = FakeLifetime.exitOnSignals()
        let state = ServerState(options: options, processID: getpid())
        if options.knobs.startDelay > .zero { try? await Task.sleep(for: options.knobs.startDelay) }
        setenv("LOG_LEVEL", "critical", 1)
        let hostname = options.hostname
        let crashAfter = options.knobs.crashAfter
        let application = Application(
            responder: FakeOpenWorkResponder(state: state),
            configuration: .init(address: .hostname(hostname, port: options.port)),
            onServerRunning: { channel in
                StandardStreams.out(
                    "OpenWork server listening on http://\(hostname):\(channel.localAddress?.port ?? 0)")
                FakeLifetime.crash(
                    after: crashAfter,
                    saying: "fake-openwork-server: crashing on purpose (FAKE_OPENWORK_CRASH_AFTER_MS)")
            })
        do {
            try await application.run()
        } catch {
            StandardStreams.error("fake-openwork-server: \(error)")
            exit(1)
        }
        withExtendedLifetime(signals) {}
    }

}
