import Foundation

/// `fake-opencode`: a stand-in for the `opencode` binary that implements `--version` and `serve` (the V1
/// server contract in `shared/reference/opencode-v1.md`), with fault knobs for tests. See `fakes/README.md`.
@main
enum FakeOpenCodeProgram {
    static let warning = "Warning: OPENCODE_SERVER_PASSWORD is not set; server is unsecured."

    static func main() async {
        SystemCalls.ignoreBrokenPipes()
        let environment = ProcessInfo.processInfo.environment
        let knobs: Knobs
        do {
            knobs = try Knobs(environment: environment)
        } catch {
            SystemCalls.writeAll("fake-opencode: \(error)\n", to: SystemCalls.standardError)
            SystemCalls.exitImmediately(2)
        }
        switch Invocation.parse(Array(CommandLine.arguments.dropFirst())) {
        case .printVersion:
            SystemCalls.writeAll(knobs.version + "\n", to: SystemCalls.standardOutput)
            SystemCalls.exitImmediately(0)
        case .printHelp(let topic):
            SystemCalls.writeAll(HelpText.text(for: topic), to: SystemCalls.standardOutput)
            SystemCalls.exitImmediately(0)
        case .usageError(let topic, let message):
            SystemCalls.writeAll(HelpText.text(for: topic) + "\n" + message + "\n", to: SystemCalls.standardError)
            SystemCalls.exitImmediately(1)
        case .serve(let options):
            await serve(options, knobs: knobs, environment: environment)
        }
    }

    private static func serve(_ options: ServeArguments, knobs: Knobs, environment: [String: String]) async -> Never {
        if knobs.killParentAt == "start" { SystemCalls.killParent() }
        for line in knobs.stdoutNoise { SystemCalls.writeAll(line + "\n", to: SystemCalls.standardOutput) }
        for line in knobs.stderrNoise { SystemCalls.writeAll(line + "\n", to: SystemCalls.standardError) }
        if let code = knobs.exitCode { SystemCalls.exitImmediately(code) }

        var grandchild: Int32?
        if knobs.spawnGrandchild {
            grandchild = SystemCalls.spawnSleeper(seconds: 3600, newSession: knobs.grandchildEscapes)
            if let path = knobs.grandchildPIDFile, let pid = grandchild {
                try? "\(pid)\n".write(toFile: path, atomically: true, encoding: .utf8)
            }
        }
        let server = FakeServer(
            options: options,
            knobs: knobs,
            environment: environment,
            workingDirectory: FileManager.default.currentDirectoryPath,
            grandchildPID: grandchild
        )
        let coordinator = ShutdownCoordinator(server: server)
        coordinator.watchSignals(ignoringSIGTERM: knobs.ignoreSIGTERM)

        server.log.log(.info, service: "default", "opencode", ["version": knobs.version])
        if options.mdns {
            server.log.log(.warn, service: "mdns", "mDNS publishing is not implemented by the fake")
        }
        if server.auth == nil {
            SystemCalls.writeAll(warning + "\n", to: SystemCalls.standardOutput)
        }
        if knobs.listenDelay > .zero { try? await Task.sleep(for: knobs.listenDelay) }
        if knobs.neverListen {
            while true { try? await Task.sleep(for: .seconds(3600)) }
        }

        let hostname = options.effectiveHostname
        await HTTPListener.serve(server) { port in
            SystemCalls.writeAll(
                "opencode server listening on http://\(hostname):\(port)\n",
                to: SystemCalls.standardOutput
            )
            server.log.log(.info, service: "server", "listening", ["port": String(port)])
            if knobs.killParentAt == "listening" { SystemCalls.killParent() }
            if let delay = knobs.crashAfter {
                Task {
                    try? await Task.sleep(for: delay)
                    SystemCalls.exitImmediately(knobs.crashExitCode)
                }
            }
        }
    }
}
