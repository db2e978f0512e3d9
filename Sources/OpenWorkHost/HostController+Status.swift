import Foundation
import OpenWorkCore
public import OpenWorkJSON
import OpenWorkSystem

extension HostController {
    /// `host.status`: whether a run exists (`state`: `stopped`, `starting`, `running`, `stopping`), its run id,
    /// workspace and uptime, each service (`service, state, pid, url, port, healthy, restarts, lastExit, startedAt,
    /// uptimeMs`), where they run (`sandbox`: `{backend, reason, …}`), how to reach it (the anchor's `--json` object, its credentials `null` unless `includeSecrets`;
    /// URLs and the owner token as they are now: a restarted openwork-server may have a new port and token), and
    /// `lastEnd` when the last run ended on its own.
    public func status(includeSecrets: Bool = false) async -> JSONValue {
        let now = Registry.Clock.unixMilliseconds()
        switch phase {
        case .idle:
            return ["running": false, "state": "stopped", "services": [], "lastEnd": lastEnd ?? .null]
        case .stopping:
            return ["running": false, "state": "stopping", "services": [], "lastEnd": .null]
        case .starting(let host, let runID, _):
            return [
                "running": false, "state": "starting", "runId": .string(runID),
                "services": .array(await Self.services(of: host, now: now)), "lastEnd": .null,
            ]
        case .running(let run):
            let services = await Self.services(of: run.host, now: now)
            let connection = Self.current(
                run.connection, services: services, ownerToken: await run.host.currentOwnerToken)
            return [
                "running": true, "state": "running", "runId": .string(run.settings.runID),
                "workspace": .string(run.settings.workspace), "startedAt": .integer(run.startedAt),
                "uptimeMs": .integer((ContinuousClock.now - run.started).milliseconds),
                "services": .array(services), "connection": connection.json(includeSecrets: includeSecrets),
                "sandbox": connection.sandbox,
                "logs": .object(run.logs.paths.mapValues(JSONValue.string)), "lastEnd": .null,
            ]
        }
    }

    /// Each service of `host` as ``HostMode/status()`` reports it, plus its port, whether it is healthy (ready:
    /// its health probe passes) and how long its current child has run.
    static func services(of host: HostMode, now: Int64 = Registry.Clock.unixMilliseconds()) async -> [JSONValue] {
        let listed = await host.status()["services"]?.arrayValue ?? []
        return listed.map { service in
            var members = service.objectValue ?? [:]
            members["port"] = members["url"]?.stringValue.flatMap(Self.port(of:)).map { .integer(Int64($0)) } ?? .null
            members["healthy"] = .bool(members["state"] == "ready")
            let running = members["pid"] != .null
            members["uptimeMs"] =
                running ? members["startedAt"]?.int64Value.map { .integer(max(0, now - $0)) } ?? .null : .null
            return .object(members)
        }
    }

    /// `connection` with the services' URLs and the owner token as they are now.
    public static func current(
        _ connection: HostConnection, services: [JSONValue], ownerToken: String?
    ) -> HostConnection {
        var connection = connection
        func url(_ name: String) -> String? {
            services.first { $0["service"]?.stringValue == name }?["url"]?.stringValue
        }
        if let opencode = url("opencode") {
            connection.opencodeURL = opencode
            connection.opencodePort = port(of: opencode) ?? connection.opencodePort
        }
        if let openwork = url("openwork-server"), openwork != connection.openworkURL {
            let newPort = port(of: openwork) ?? connection.openworkPort
            if connection.openworkConnectURL == connection.openworkURL {
                connection.openworkConnectURL = openwork
            } else if let colon = connection.openworkConnectURL.lastIndex(of: ":") {
                connection.openworkConnectURL = connection.openworkConnectURL[..<colon] + ":\(newPort)"
            }
            connection.openworkURL = openwork
            connection.openworkPort = newPort
        }
        if let router = url("opencode-router") { connection.routerURL = router }
        connection.ownerToken = ownerToken ?? connection.ownerToken
        return connection
    }

    /// The port of `http://host:port[/…]`.
    static func port(of url: String) -> Int? {
        guard let scheme = url.range(of: "://") else { return nil }
        let authority = url[scheme.upperBound...].prefix { $0 != "/" }
        guard let colon = authority.lastIndex(of: ":") else { return nil }
        return Int(authority[authority.index(after: colon)...])
    }
}
