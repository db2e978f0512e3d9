import OpenWorkCore
public import OpenWorkJSON
import OpenWorkRPC
import OpenWorkSidecars
import OpenWorkSystem

extension Operations {
    private struct SubscribeParams: Decodable {
        var types: [String]?
    }

    private struct RestartParams: Decodable {
        var wait: Bool?
    }

    static func engineMethods(_ engine: Engine?) -> [RPCMethod] {
        @Sendable func need() throws(OpenWorkError) -> Engine {
            guard let engine else { throw OpenWorkError(.dataDirUnusable, "no engine is running") }
            return engine
        }
        return [
            RPCMethod(
                "opencode.status",
                summary: "The supervised opencode: state, pid, baseUrl, version, restarts, last exit, stderr tail.",
                result: RPCResultDescription("status", schema: ref("OpenCodeStatus")), decoding: NoParams.self
            ) { _ in try await need().opencodeStatus().json(stderr: true) },
            RPCMethod(
                "opencode.restart",
                summary:
                    "Starts a fresh opencode now, also out of state `failed`; waits until it is ready unless `wait` is false.",
                params: [
                    RPCParameter(
                        "wait", "wait until ready (default true)", schema: ["type": "boolean"], required: false)
                ],
                result: RPCResultDescription("status", schema: ref("OpenCodeStatus")), decoding: RestartParams.self
            ) { params in
                let engine = try need()
                let replaced = try await engine.restartOpenCode()
                if params.wait ?? true { try await engine.waitUntilReady(newerThan: replaced) }
                return await engine.opencodeStatus().json(stderr: true)
            },
            RPCMethod(
                "events.subscribe",
                summary: "Streams engine events to this connection as `event` notifications.",
                description: """
                    After the answer, each event arrives as `{"jsonrpc":"2.0","method":"event","params":{"type":…,\
                    "time":…,…}}` until the connection ends. `types` filters by exact type or by prefix ending in \
                    `.*` (e.g. `opencode.*`).
                    """,
                params: [
                    RPCParameter(
                        "types", "event types to receive (default: all)",
                        schema: ["type": "array", "items": ["type": "string"]], required: false)
                ],
                result: RPCResultDescription(
                    "subscription",
                    schema: object([
                        "subscribed": ["const": true], "types": ["type": ["array", "null"], "items": string],
                    ]))
            ) { call in
                let engine = try need()
                guard let session = call.session else {
                    throw RPCError.invalidRequest("events.subscribe needs a connection that can receive notifications")
                }
                let types = try call.decode(SubscribeParams.self).types
                let stream = engine.events.subscribe()
                session.own(
                    Task {
                        for await event in stream where Self.matches(event, types) {
                            session.notify("event", event)
                        }
                    })
                return ["subscribed": true, "types": types.map { .array($0.map(JSONValue.string)) } ?? .null]
            },
        ]
    }

    /// Whether `event` is one of `types`: an exact type, or a prefix ending in `.*`; every event when `types` is
    /// `nil` or empty. `events.subscribe` and the control plane's `GET /events` filter by it.
    public static func matches(_ event: JSONValue, _ types: [String]?) -> Bool {
        guard let types, !types.isEmpty else { return true }
        let type = event["type"]?.stringValue ?? ""
        return types.contains { pattern in
            pattern.hasSuffix(".*") ? type.hasPrefix(String(pattern.dropLast())) : type == pattern
        }
    }
}

extension OpenCodeStatus {
    /// `opencode.status`; `health.opencode` is the same without `stderr`.
    func json(stderr: Bool) -> JSONValue {
        var members: [String: JSONValue] = [
            "state": .string(snapshot.phase.rawValue), "restarts": .integer(Int64(snapshot.restarts)),
            "pid": snapshot.pid.map { .integer(Int64($0)) } ?? .null,
            "baseUrl": snapshot.endpoint.map { .string($0.baseURL) } ?? .null,
            "version": snapshot.version.map(JSONValue.string) ?? .null,
            "startedAt": snapshot.startedAt.map(JSONValue.integer) ?? .null,
            "lastExit": snapshot.lastExit?.jsonValue ?? .null,
            // Where the binary came from (`null` until it is resolved).
            "source": source.map { resolution -> JSONValue in
                [
                    "source": .string(resolution.source.rawValue), "path": .string(resolution.path),
                    "verified": .bool(resolution.verified),
                    "version": resolution.version.map(JSONValue.string) ?? .null,
                    "origin": resolution.origin.map(JSONValue.string) ?? .null,
                ]
            } ?? .null,
        ]
        if let reason = snapshot.reason { members["reason"] = .string(reason) }
        if stderr { members["stderr"] = .array(snapshot.stderr.map(JSONValue.string)) }
        return .object(members)
    }
}

extension EngineHealth {
    var json: JSONValue {
        [
            "ok": true, "version": .string(version), "pid": .integer(Int64(pid)), "startedAt": .integer(startedAt),
            "uptimeMs": .integer(uptime.milliseconds), "dataDir": .string(dataDirectory),
            "opencode": opencode.json(stderr: false), "activeId": activeID.map(JSONValue.string) ?? .null,
            "workspaceCount": .integer(Int64(workspaceCount)), "instances": instances.json,
        ]
    }
}

extension InstanceSummary {
    /// `health.instances`.
    var json: JSONValue {
        [
            "warm": .integer(Int64(warm)), "leases": .integer(Int64(leases)),
            "pendingReloads": .integer(Int64(pendingReloads)),
            "idleTtlMs": settings.idleTTL.map { .integer($0.milliseconds) } ?? .null,
            "maxWarm": settings.maxWarm.map { .integer(Int64($0)) } ?? .null,
            "reloadDeferMaxMs": .integer(settings.reloadDeferMax.milliseconds),
            "hotReload": [
                "enabled": .bool(settings.hotReload), "debounceMs": .integer(settings.debounce.milliseconds),
                "cooldownMs": .integer(settings.cooldown.milliseconds), "watcher": .string(settings.watcher.rawValue),
            ],
        ]
    }
}
