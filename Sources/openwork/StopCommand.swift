import ArgumentParser
import OpenWorkJSON

/// `openwork stop`: stops host mode's services in the daemon (`host.stop`); the daemon keeps running.
struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop the host-mode services started with start|serve --detach (never starts a daemon).",
        discussion: """
            Calls host.stop on the daemon of the data directory and waits until opencode-router, openwork-server \
            and opencode are gone; the daemon keeps running (openwork daemon stop ends it). --json: \
            {"ok":true,"stopped":…,"services":[{service, pid, …}]}; stopped is false when no host ran.
            """)

    @OptionGroup var common: DataDirOptions

    func run() async throws {
        try await DaemonCall.run(common, daemon: nil, "host.stop") { result in
            let services = result["services"]?.arrayValue ?? []
            guard result["stopped"] == true else { return "no host services were running" }
            let stopped = services.map { service in
                let pid = service["pid"]?.int64Value.map { " (pid \($0))" } ?? ""
                return (service["service"]?.stringValue ?? "?") + pid
            }
            return "stopped " + (stopped.isEmpty ? "host mode" : stopped.joined(separator: ", "))
        }
    }
}
