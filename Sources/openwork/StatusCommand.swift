import ArgumentParser
import Foundation
import OpenWorkClient
import OpenWorkJSON
import OpenWorkSystem

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "The daemon's health (never starts one; daemon_not_running otherwise).",
        discussion: """
            With --opencode-url and/or --openwork-url, checks those services directly instead (no daemon needed): \
            opencode's GET /global/health with Basic auth (user --opencode-username, else \
            $OPENWORK_OPENCODE_USERNAME, else opencode; password --opencode-password, else \
            $OPENWORK_OPENCODE_PASSWORD, which keeps it off the command line), an openwork server's GET /health. \
            --json: {"ok":…,"opencode":{"ok":…,"url":…,"health"|"error","kind"},"openwork":{…}}; exit 1 when a \
            checked service is down.
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
        try await DaemonCall.run(common, daemon: nil, "health") { health in
            let active = health["activeId"]?.stringValue ?? "none"
            return "openwork \(health["version"]?.stringValue ?? "?"): daemon pid \(health["pid"]?.int64Value ?? 0), "
                + "\(Describe.opencode(health["opencode"] ?? .null)), "
                + "\(Describe.counted(Int(health["workspaceCount"]?.int64Value ?? 0), "workspace")), active \(active)"
        }
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
