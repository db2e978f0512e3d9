import OpenWorkJSON
import OpenWorkRPC

/// The `event` notification: one schema per event type, a union discriminated on `type`.
///
/// Every event is `{type, time, …}` (`time` in Unix ms). A family whose members come from elsewhere (host mode's
/// `service.*`, an approval's answer) is open; every other event lists all it carries.
extension Operations {
    /// The events of the engine, host mode and the control plane, by type: their members beyond `type` and
    /// `time`, and which of them are always there.
    private static let events: [(type: String, summary: String, members: [String: JSONValue], required: [String])] =
        {
            let workspace: [String: JSONValue] = ["workspaceId": string]
            let exited: [String: JSONValue] = [
                "pid": integer, "code": integer, "signal": integer, "stopping": boolean, "requested": string,
            ]
            return [
                ("workspace.added", "a workspace was registered", workspace, ["workspaceId"]),
                ("workspace.switched", "a workspace became active", workspace, ["workspaceId"]),
                ("workspace.removed", "a workspace was removed", workspace, ["workspaceId"]),
                (
                    "registry.recovered", "the state file was unreadable or missing and was restored",
                    ["reason": string, "restoredFrom": string, "quarantined": nullable("string")], ["reason"]
                ),
                (
                    "instance.created", "opencode created the workspace's instance",
                    ["workspaceId": string, "directory": string], ["workspaceId", "directory"]
                ),
                (
                    "instance.disposed", "the workspace's instance was freed",
                    ["workspaceId": string, "directory": string], ["workspaceId", "directory"]
                ),
                (
                    "instance.leased", "a lease was granted",
                    ["workspaceId": string, "leaseId": string, "expiresAt": integer],
                    ["workspaceId", "leaseId", "expiresAt"]
                ),
                (
                    "instance.released", "a lease ended (released, or `expired`)",
                    ["workspaceId": string, "leaseId": string, "expired": boolean],
                    ["workspaceId", "leaseId", "expired"]
                ),
                (
                    "instance.reload_pending", "a reload waits until the instance is idle and not leased",
                    ["workspaceId": string, "reason": string, "paths": strings, "leased": boolean],
                    ["workspaceId", "reason", "paths", "leased"]
                ),
                (
                    "instance.reloaded", "the instance was disposed to pick up its configuration",
                    [
                        "workspaceId": string, "reason": string, "paths": strings, "deferredMs": integer,
                        "forced": boolean,
                    ],
                    ["workspaceId", "reason", "paths", "deferredMs"]
                ),
                (
                    "instance.evicted", "an idle or least recently used instance was disposed",
                    ["workspaceId": string, "reason": string, "idleMs": integer], ["workspaceId", "reason", "idleMs"]
                ),
                (
                    "instance.over_capacity", "more instances are warm than the cap, none can go",
                    ["warm": integer, "cap": integer], ["warm", "cap"]
                ),
                ("opencode.starting", "opencode is being started", ["attempt": integer], ["attempt"]),
                (
                    "opencode.ready", "opencode answers its health probe",
                    ["pid": integer, "baseUrl": string, "version": nullable("string")], ["pid", "baseUrl", "version"]
                ),
                ("opencode.start_timeout", "opencode did not become ready in time", ["pid": integer], ["pid"]),
                ("opencode.exited", "opencode's process ended", exited, ["pid"]),
                (
                    "opencode.restarting", "opencode will be started again",
                    ["attempt": integer, "delayMs": integer, "requested": boolean], ["attempt", "delayMs"]
                ),
                ("opencode.failed", "opencode is given up on", ["reason": string], ["reason"]),
                (
                    "opencode.unhealthy", "opencode missed its health probes",
                    ["pid": integer, "misses": integer], ["pid", "misses"]
                ),
                (
                    "opencode.orphan_terminated", "an opencode left by an earlier engine was stopped",
                    ["pid": integer], ["pid"]
                ),
                (
                    "approval.watching", "opencode's event stream is followed", ["pid": integer, "resynced": strings],
                    ["pid", "resynced"]
                ),
                (
                    "sidecar.progress", "a sidecar download's progress",
                    ["name": string, "url": string, "received": integer, "total": integer],
                    ["name", "url", "received", "total"]
                ),
                (
                    "sidecar.cache_replaced", "a cached sidecar failed its check and is fetched again",
                    ["name": string, "path": string, "reason": string], ["name", "path", "reason"]
                ),
                (
                    "sidecar.version_mismatch", "an external sidecar reports another version than expected",
                    ["name": string, "path": string, "version": string, "expectedVersion": string],
                    ["name", "path", "version", "expectedVersion"]
                ),
                (
                    "host.started", "host mode's services are ready", ["runId": string, "workspace": string],
                    ["runId", "workspace"]
                ),
                ("shutdown", "`GET /events` only: the daemon stops, the stream ends", [:], []),
            ]
        }()

    /// Events whose members are not all ours to list: host mode's `service.*` (what the service's supervisor
    /// said, plus `service`), `host.stopped` (why the run ended), an approval (as opencode sent it) and a
    /// resolved sidecar (its resolution).
    private static let openEvents: [(type: String, summary: String, base: JSONValue)] = [
        ("approval.requested", "a permission request or question waits for an answer", approvalSchema),
        (
            "approval.resolved", "a pending approval was answered or withdrawn",
            [
                "type": "object", "required": ["id", "source", "workspaceId"],
                "properties": [
                    "id": string, "source": string, "workspaceId": nullable("string"),
                ],
            ]
        ),
        ("sidecar.resolved", "a sidecar was found or downloaded", ["type": "object", "required": ["name", "path"]]),
        (
            "host.stopped", "host mode ended",
            ["type": "object", "required": ["runId"], "properties": ["runId": string]]
        ),
    ]

    /// The names of the `service.*` events of host mode.
    private static let serviceEvents = [
        "starting", "ready", "exited", "restarting", "failed", "start_timeout", "unhealthy",
    ]

    static let eventSchemas: [String: JSONValue] = {
        var schemas: [String: JSONValue] = [:]
        var variants: [JSONValue] = []
        func add(_ type: String, _ schema: JSONValue) {
            let name = "Event." + type
            schemas[name] = schema
            variants.append(ref(name))
        }
        for event in events {
            var properties = event.members
            properties["type"] = ["const": .string(event.type)]
            properties["time"] = integer
            var schema = object(properties, required: ["type", "time"] + event.required)
            schema["description"] = .string(event.summary)
            add(event.type, schema)
        }
        for event in openEvents {
            var schema = event.base
            var properties = schema["properties"]?.objectValue ?? [:]
            properties["type"] = ["const": .string(event.type)]
            properties["time"] = integer
            schema["properties"] = .object(properties)
            schema["required"] = .array(["type", "time"] + (schema["required"]?.arrayValue ?? []))
            schema["additionalProperties"] = true
            schema["description"] = .string(event.summary)
            add(event.type, schema)
        }
        for what in serviceEvents {
            add(
                "service." + what,
                [
                    "type": "object", "required": ["type", "time", "service"], "additionalProperties": true,
                    "description": .string("host mode: a service \(what) (its supervisor's event, plus `service`)"),
                    "properties": ["type": ["const": .string("service." + what)], "time": integer, "service": string],
                ])
        }
        schemas["Event"] = [
            "description": "an engine event: one schema per `type`",
            "oneOf": .array(variants),
        ]
        return schemas
    }()

    /// The `event` notification `events.subscribe` sends.
    static let eventNotification = RPCNotification(
        "event", summary: "One engine event, after `events.subscribe`, until the connection ends.",
        params: ref("Event"))
}
