import OpenWorkHost
import OpenWorkJSON
import OpenWorkRPC
import OpenWorkSystem

/// What the OpenRPC document says about each method beyond its params and result: the domain errors it can
/// answer with and example calls. A test fails for a method without examples.
extension Operations {
    static func documented(_ method: RPCMethod) -> RPCMethod {
        guard let entry = documentation[method.name] else { return method }
        return method.documented(errors: entry.errors, examples: entry.examples)
    }

    private static let time: JSONValue = 1_764_489_600_000
    private static let path = "/home/me/app"

    static let workspaceExample: JSONValue = [
        "id": "ws-0123456789ab", "name": "app", "path": .string(path), "workspaceType": "local", "createdAt": time,
        "lastUsedAt": time, "warm": false, "leases": [],
    ]

    private static var listedWorkspace: JSONValue {
        var workspace = workspaceExample
        for (key, value) in ["busy": false, "idleMs": .null, "pendingReload": .null, "hotReload": .null]
            as [String: JSONValue]
        {
            workspace[key] = value
        }
        return workspace
    }

    private static let change: JSONValue = [
        "activeId": "ws-0123456789ab", "workspace": workspaceExample, "created": true,
    ]

    private static let status: JSONValue = [
        "state": "ready", "restarts": 0, "pid": 4_242, "baseUrl": "http://127.0.0.1:4096", "version": "1.1.0",
        "startedAt": time, "lastExit": .null,
        "source": [
            "source": "external", "path": "/usr/local/bin/opencode", "verified": false, "version": "1.1.0",
            "origin": "path",
        ],
    ]

    private static let lease: JSONValue = [
        "leaseId": "lease-0123456789abcdef", "workspaceId": "ws-0123456789ab", "expiresAt": 1_764_489_660_000,
        "ttlMs": 60_000,
    ]

    private static let reference: [String: JSONValue] = ["id": "app"]

    private static let service: JSONValue = [
        "service": "opencode", "state": "ready", "pid": 4_243, "url": "http://127.0.0.1:4097", "port": 4_097,
        "healthy": true, "restarts": 0, "lastExit": .null, "startedAt": time, "uptimeMs": 1_200,
    ]

    /// What `HostConnection.json(includeSecrets: false)` answers for a run (made by it, so it cannot drift).
    private static let connection: JSONValue = HostConnection(
        runID: "run-1", workspace: path, approvalMode: "manual", approvalTimeoutMs: 30_000, readOnly: false,
        opencodeURL: "http://127.0.0.1:4097", opencodePort: 4097, opencodeVersion: "1.18.33",
        hotReload: HostHotReload(enabled: true, debounceMs: 700, cooldownMs: 1_500),
        openworkURL: "http://127.0.0.1:8787", openworkConnectURL: "http://127.0.0.1:8787", openworkHost: "127.0.0.1",
        openworkPort: 8787, openworkVersion: "0.11.165", secrets: HostSecrets(), ownerToken: nil, routerURL: nil,
        sandbox: [
            "backend": "bwrap", "reason": "asked for (--sandbox bwrap)", "persistDir": "/data/sandbox/persist",
            "mounts": [],
        ]
    ).json(includeSecrets: false)

    private typealias Entry = (errors: [RPCErrorDescription], examples: [RPCExample])

    private static let documentation: [String: Entry] = [
        "health": (
            errors(.dataDirUnusable),
            [
                RPCExample(
                    "an engine with one workspace",
                    result: [
                        "ok": true, "version": "0.1.0", "pid": 4_200, "startedAt": time, "uptimeMs": 5_000,
                        "dataDir": "/home/me/.openwork/openwork-orchestrator", "opencode": status,
                        "activeId": "ws-0123456789ab", "workspaceCount": 1,
                        "instances": [
                            "warm": 0, "leases": 0, "pendingReloads": 0, "idleTtlMs": .null, "maxWarm": .null,
                            "reloadDeferMaxMs": 600_000,
                            "hotReload": ["enabled": true, "debounceMs": 700, "cooldownMs": 1_500, "watcher": "auto"],
                        ],
                    ])
            ]
        ),
        "workspace.add": (
            workspaceErrors + errors(.invalidName, .stateWriteFailed),
            [RPCExample("a new directory", params: ["path": .string(path)], result: change)]
        ),
        "workspace.addRemote": (
            errors(.invalidURL, .invalidPath, .invalidName) + writeErrors,
            [
                RPCExample(
                    "a remote server", params: ["baseUrl": "https://opencode.example.com"],
                    result: [
                        "activeId": "ws-0123456789ab", "created": true,
                        "workspace": [
                            "id": "ws-0123456789ab", "name": "https://opencode.example.com",
                            "path": "", "workspaceType": "remote", "baseUrl": "https://opencode.example.com",
                            "createdAt": time, "lastUsedAt": time, "warm": false, "leases": [],
                        ],
                    ])
            ]
        ),
        "workspace.list": (
            errors(.stateCorrupt, .stateVersionUnsupported, .registryBusy, .dataDirUnusable),
            [RPCExample("one workspace", result: ["activeId": "ws-0123456789ab", "workspaces": [listedWorkspace]])]
        ),
        "workspace.info": (
            workspaceErrors, [RPCExample("by name", params: reference, result: ["workspace": listedWorkspace])]
        ),
        "workspace.switch": (
            workspaceErrors + writeErrors,
            [
                RPCExample(
                    "by id", params: ["id": "ws-0123456789ab"],
                    result: ["activeId": "ws-0123456789ab", "workspace": workspaceExample, "created": false])
            ]
        ),
        "workspace.remove": (
            workspaceErrors + writeErrors,
            [
                RPCExample(
                    "the last one", params: reference,
                    result: ["activeId": .null, "workspace": workspaceExample, "created": false])
            ]
        ),
        "workspace.path": (
            workspaceErrors + opencodeErrors + errors(.opencodeRoutingMismatch),
            [
                RPCExample(
                    "a local workspace", params: reference,
                    result: [
                        "workspace": workspaceExample,
                        "path": [
                            "home": "/home/me", "state": "/home/me/.local/state/opencode",
                            "config": "/home/me/.config/opencode", "worktree": .string(path),
                            "directory": .string(path),
                        ],
                    ])
            ]
        ),
        "workspace.connect": (
            workspaceErrors + opencodeErrors,
            [
                RPCExample(
                    "a local workspace", params: reference,
                    result: [
                        "workspace": workspaceExample, "baseUrl": "http://127.0.0.1:4096", "directory": .string(path),
                        "username": "opencode", "password": "secret",
                        "authFile": "/home/me/.openwork/openwork-orchestrator/openwork-orchestrator-auth.json",
                        "attach": [
                            "argv": ["opencode", "attach", "http://127.0.0.1:4096", "--dir", .string(path)],
                            "environment": [
                                "OPENCODE_SERVER_USERNAME": "opencode", "OPENCODE_SERVER_PASSWORD": "secret",
                            ],
                        ],
                    ])
            ]
        ),
        "instance.dispose": (
            workspaceErrors + opencodeErrors,
            [RPCExample("a warm workspace", params: reference, result: ["disposed": true])]
        ),
        "instance.reload": (
            workspaceErrors + opencodeErrors,
            [
                RPCExample("a cold workspace", params: reference, result: ["state": "cold"]),
                RPCExample(
                    "a busy one", params: reference, result: ["state": "pending", "busy": true, "leased": false]),
            ]
        ),
        "instance.lease": (
            workspaceErrors, [RPCExample("a minute", params: ["id": "app", "ttlMs": 60_000], result: lease)]
        ),
        "instance.renew": (
            errors(.leaseNotFound, .dataDirUnusable),
            [RPCExample("by its own TTL", params: ["leaseId": "lease-0123456789abcdef"], result: lease)]
        ),
        "instance.release": (
            errors(.dataDirUnusable),
            [RPCExample("a held lease", params: ["leaseId": "lease-0123456789abcdef"], result: ["released": true])]
        ),
        "opencode.status": (errors(.dataDirUnusable), [RPCExample("ready", result: status)]),
        "opencode.restart": (
            opencodeErrors + errors(.dataDirUnusable), [RPCExample("and wait", params: ["wait": true], result: status)]
        ),
        "events.subscribe": (
            errors(.dataDirUnusable),
            [
                RPCExample(
                    "opencode's events", params: ["types": ["opencode.*"]],
                    result: ["subscribed": true, "types": ["opencode.*"]])
            ]
        ),
        "sidecar.list": (
            errors(.dataDirUnusable),
            [
                RPCExample(
                    "an external opencode",
                    result: [
                        "sidecarDir": "/home/me/.openwork/openwork-orchestrator/sidecars",
                        "manifest": "https://example.com/manifest.json", "target": "linux-x64",
                        "allowExternal": true,
                        "sidecars": [
                            [
                                "name": "opencode", "source": "auto", "skipped": [], "from": "external",
                                "path": "/usr/local/bin/opencode", "origin": "path", "verified": false,
                                "expectedVersion": .null,
                            ]
                        ],
                    ])
            ]
        ),
        "sidecar.resolve": (
            errors(
                .sidecarNotFound, .sidecarIntegrity, .sidecarManifestInvalid, .sidecarDownloadFailed,
                .sidecarVersionMismatch, .sidecarExternalRefused, .sidecarArchiveUnsafe, .sidecarManifestUnreachable,
                .dataDirUnusable),
            [
                RPCExample(
                    "a downloaded binary", params: ["name": "opencode"],
                    result: [
                        "name": "opencode", "path": "/home/me/.openwork/openwork-orchestrator/sidecars/1.1.0/opencode",
                        "source": "downloaded", "expectedVersion": "1.1.0", "version": "1.1.0", "verified": true,
                        "sha256": "0123", "downloaded": true, "origin": .null, "skipped": [], "warnings": [],
                    ])
            ]
        ),
        "approvals.list": (
            workspaceErrors + errors(.unauthorized, .openworkServerUnreachable, .openworkServerFailed, .invalidURL),
            [
                RPCExample(
                    "one permission request",
                    result: [
                        "items": [
                            [
                                "id": "per_1", "source": "opencode", "workspaceId": "ws-0123456789ab",
                                "directory": .string(path), "sessionID": "ses_1", "permission": "bash",
                                "patterns": ["ls"], "createdAt": time,
                            ]
                        ]
                    ])
            ]
        ),
        "approvals.reply": (
            errors(
                .approvalNotFound, .opencodeRequestFailed, .opencodeUnavailable, .unauthorized,
                .openworkServerUnreachable, .openworkServerFailed, .invalidURL, .dataDirUnusable),
            [
                RPCExample(
                    "allow once", params: ["id": "per_1", "reply": "once"],
                    result: ["id": "per_1", "source": "opencode", "reply": "once", "resolved": true])
            ]
        ),
        "host.start": (
            errors(
                .hostAlreadyRunning, .hostStopped, .hostCheckFailed, .serviceStartFailed, .serviceUnavailable,
                .serviceVerificationFailed, .invalidSetting, .invalidPath, .sidecarNotFound, .opencodeStartFailed,
                .dataDirUnusable, .dataDirUnsafe, .sandboxUnavailable, .sandboxMountRefused),
            [
                RPCExample(
                    "a workspace", params: ["workspace": .string(path)],
                    result: connection.merging(["services": [service], "logs": ["opencode": "/tmp/logs/opencode.log"]]))
            ]
        ),
        "host.status": (
            errors(.dataDirUnusable),
            [
                RPCExample(
                    "nothing runs",
                    result: ["running": false, "state": "stopped", "services": [], "lastEnd": .null])
            ]
        ),
        "host.stop": (
            errors(.dataDirUnusable),
            [RPCExample("nothing ran", result: ["stopped": false, "services": []])]
        ),
        "test.sleep": ([], [RPCExample("10 ms", params: ["ms": 10], result: ["slept": 10])]),
        "test.echo": ([], [RPCExample("a string", params: ["value": "hi"], result: "hi")]),
        "test.fail": (
            [RPCErrorDescription(code: -32_000, kind: "<kind>", message: "the kind asked for")],
            []
        ),
    ]
}

extension JSONValue {
    /// This object with `other`'s members added (theirs win).
    fileprivate func merging(_ other: JSONValue) -> JSONValue {
        .object((objectValue ?? [:]).merging(other.objectValue ?? [:]) { _, new in new })
    }
}
