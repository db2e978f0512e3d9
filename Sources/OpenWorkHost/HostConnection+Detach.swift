public import OpenWorkJSON

extension HostConnection {
    /// The anchor's summary of a detached run, from a `host.start` answer (credentials withheld): the services
    /// with their pids, the URLs, and the attach command with its credentials redacted; then where the logs are
    /// and how to stop it.
    public static func detachSummary(_ answer: JSONValue) -> [String] {
        var lines = ["Detached. Services still running:"]
        for service in answer["services"]?.arrayValue ?? [] {
            let name = service["service"]?.stringValue ?? "?"
            let pid = service["pid"]?.int64Value.map(String.init) ?? "none"
            lines.append("- \(name) (pid \(pid))")
        }
        let opencodeURL = answer["opencode"]?["baseUrl"]?.stringValue ?? "?"
        let workspace = answer["workspace"]?.stringValue ?? "."
        lines += [
            "OpenWork URL: \(answer["openwork"]?["connectUrl"]?.stringValue ?? "?")",
            "Credentials withheld from detached stdout.",
            "OpenCode URL: \(opencodeURL)",
            "Attach: OPENCODE_SERVER_USERNAME=\(Redactor.mask) OPENCODE_SERVER_PASSWORD=\(Redactor.mask) "
                + "opencode attach \(opencodeURL) --dir \(shellQuoted(workspace))",
        ]
        let logs = (answer["logs"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.compactMap { $0.value.stringValue }
        if !logs.isEmpty { lines.append("Logs: \(logs.joined(separator: ", "))") }
        lines.append("Stop: openwork stop")
        return lines
    }
}
