import ArgumentParser
import Foundation
import OpenWorkClient
import OpenWorkJSON
import OpenWorkSystem

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "The daemon's health and host mode's services (never starts one; daemon_not_running otherwise).",
        discussion: """
            With --opencode-url and/or --openwork-url, checks those services directly instead (no daemon needed): \
            opencode's GET /global/health with Basic auth (user --opencode-username, else \
            $OPENWORK_OPENCODE_USERNAME, else opencode; password --opencode-password, else \
            $OPENWORK_OPENCODE_PASSWORD, which keeps it off the command line), an openwork server's GET /health. \
            --json: {"ok":…,"opencode":{"ok":…,"url":…,"health"|"error","kind"},"openwork":{…}}; exit 1 when a \
            checked service is down. Without them: the daemon's health, with `host` (host.status: services, pids, \
            ports, health, restarts, uptime; no credentials) when the daemon knows host mode.
            """)
    @OptionGroup var common: DataDirOptions
    @Option(help: "Check the opencode server at this URL directly.") var opencodeUrl: String?
    @Option(help: "The opencode user (default: $OPENWORK_OPENCODE_USERNAME, else opencode).")
    var opencodeUsername: String?
    @Option(help: "The opencode password (prefer $OPENWORK_OPENCODE_PASSWORD).") var opencodePassword: String?
    @Option(help: "Check the openwork server (e.g. a daemon's baseUrl) at this URL directly.") var openworkUrl: String?

    func run() async throws {
        if opencodeUrl != nil || openworkUrl != nil {
            try await checkServices()
            return
        }
        let directory = common.dataDirectory
        try await CommandOutput.run(json: common.json) { () throws(OpenWorkError) in
            var health = try await DaemonCall.call(directory, "health", nil, given: nil, start: nil)
            // Host mode's services, when a host runs (a daemon without host.* leaves `host` out).
            if let host = try? await DaemonCall.call(directory, "host.status", nil, given: nil, start: nil) {
                health["host"] = host
            }
            CommandOutput.success(health, json: common.json, human: Self.describe(health))
        }
    }

    /// The daemon's line, then one line per host-mode service when a host runs.
    static func describe(_ health: JSONValue) -> String {
        let active = health["activeId"]?.stringValue ?? "none"
        var lines = [
            "openwork \(health["version"]?.stringValue ?? "?"): daemon pid \(health["pid"]?.int64Value ?? 0), "
                + "\(Describe.opencode(health["opencode"] ?? .null)), "
                + "\(Describe.counted(Int(health["workspaceCount"]?.int64Value ?? 0), "workspace")), active \(active)"
        ]
        guard let host = health["host"], let state = host["state"]?.stringValue, state != "stopped" else {
            if let end = health["host"]?["lastEnd"], end != .null {
                lines.append("host mode ended: \(end["reason"]?.stringValue ?? "?")")
            }
            return lines.joined(separator: "\n")
        }
        lines.append(
            "host mode \(state): run \(host["runId"]?.stringValue ?? "?"), workspace "
                + (host["workspace"]?.stringValue ?? "?"))
        for service in host["services"]?.arrayValue ?? [] {
            let pid = service["pid"]?.int64Value.map { "pid \($0)" } ?? "no pid"
            let url = service["url"]?.stringValue.map { " at \($0)" } ?? ""
            let restarts = service["restarts"]?.int64Value ?? 0
            lines.append(
                "  \(service["service"]?.stringValue ?? "?"): \(service["state"]?.stringValue ?? "?"), \(pid)\(url)"
                    + (restarts > 0 ? ", \(Describe.counted(Int(restarts), "restart"))" : ""))
        }
        return lines.joined(separator: "\n")
    }
}

extension StatusCommand {
    /// The direct checks; every service is checked even when an earlier one is down.
    private func checkServices() async throws {
        let environment = ProcessInfo.processInfo.environment
        var result: [String: JSONValue] = [:]
        if let opencodeUrl {
            result["opencode"] = await ServiceCheck.opencode(
                url: opencodeUrl, username: opencodeUsername ?? environment["OPENWORK_OPENCODE_USERNAME"],
                password: opencodePassword ?? environment["OPENWORK_OPENCODE_PASSWORD"])
        }
        if let openworkUrl { result["openwork"] = await ServiceCheck.openwork(url: openworkUrl) }
        let ok = result.values.allSatisfy { $0["ok"] == true }
        result["ok"] = .bool(ok)
        if common.json {
            print((try? JSONValue.object(result).serialized(.compact)) ?? #"{"ok":false}"#)
        } else {
            for name in ["opencode", "openwork"] {
                guard let check = result[name] else { continue }
                let url = check["url"]?.stringValue ?? "?"
                if check["ok"] == true {
                    let version = check["health"]?["version"]?.stringValue.map { " (version \($0))" } ?? ""
                    print("\(name) \(url): healthy\(version)")
                } else {
                    let kind = check["kind"]?.stringValue ?? "unknown"
                    FileHandle.standardError.write(
                        Data("openwork: \(check["error"]?.stringValue ?? "\(name) is down") [\(kind)]\n".utf8))
                }
            }
        }
        if !ok { throw ExitCode(1) }
    }
}
