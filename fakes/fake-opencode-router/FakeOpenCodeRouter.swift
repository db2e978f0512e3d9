import Dispatch
import FakeSupport
import Foundation
import Hummingbird

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `fake-opencode-router`: the opencode-router sidecar (≤ 0.17) as an orchestrator drives it: `serve
/// <workspace>`, a health server on 127.0.0.1:`OPENCODE_ROUTER_HEALTH_PORT`, no channels. Prints
/// `opencode-router health on http://127.0.0.1:<port>` once bound. See `fakes/README.md`.
@main
enum FakeOpenCodeRouter {
    static func main() async {
        _ = signal(SIGPIPE, SIG_IGN)
        let options: RouterOptions
        do {
            options = try RouterOptions.parse(
                Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
        } catch {
            StandardStreams.error("fake-opencode-router: \(error)")
            exit(2)
        }
        if let code = options.knobs.exitCode {
            StandardStreams.error(
                "fake-opencode-router: exiting with \(code) on purpose (FAKE_OPENCODE_ROUTER_EXIT_CODE)")
            exit(code)
        }
        let signals = FakeLifetime.exitOnSignals()
        if let directory = options.dataDirectory {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let responder = HealthResponder(options: options, probe: OpenCodeProbe(options: options), processID: getpid())
        setenv("LOG_LEVEL", "critical", 1)
        let crashAfter = options.knobs.crashAfter
        let application = Application(
            responder: responder,
            configuration: .init(address: .hostname("127.0.0.1", port: options.healthPort)),
            onServerRunning: { channel in
                responder.record.markListening()
                StandardStreams.out("opencode-router health on http://127.0.0.1:\(channel.localAddress?.port ?? 0)")
                FakeLifetime.crash(
                    after: crashAfter,
                    saying: "fake-opencode-router: crashing on purpose (FAKE_OPENCODE_ROUTER_CRASH_AFTER_MS)")
            })
        do {
            try await application.run()
        } catch {
            StandardStreams.error("fake-opencode-router: \(error)")
            exit(1)
        }
        withExtendedLifetime(signals) {}
    }

}
