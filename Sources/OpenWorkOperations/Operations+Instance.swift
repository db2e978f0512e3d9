import OpenWorkCore
import OpenWorkJSON
import OpenWorkRPC
import OpenWorkSystem

extension Operations {
    private struct ReloadParams: Decodable {
        var id: String
        var cwd: String?
    }

    private struct LeaseParams: Decodable {
        var id: String
        var ttlMs: Int
        var cwd: String?
    }

    private struct RenewParams: Decodable {
        var leaseId: String
        var ttlMs: Int?
    }

    private struct ReleaseParams: Decodable {
        var leaseId: String
    }

    /// The longest lease: a day (a holder renews; a lease that outlives its holder must end).
    static let leaseTTLRange = 1...86_400_000

    static func instanceMethods(_ engine: Engine?, defaultCWD: String?) -> [RPCMethod] {
        @Sendable func need() throws(OpenWorkError) -> Engine {
            guard let engine else { throw OpenWorkError(.dataDirUnusable, "no engine is running") }
            return engine
        }
        @Sendable func ttl(_ milliseconds: Int) throws -> Duration {
            guard leaseTTLRange.contains(milliseconds) else {
                throw RPCError.invalidParams(
                    "ttlMs must be from \(leaseTTLRange.lowerBound) to \(leaseTTLRange.upperBound) (a day)")
            }
            return .milliseconds(milliseconds)
        }
        return [
            RPCMethod(
                "instance.reload",
                summary: "Reloads the workspace's instance: disposed now, or once it is idle and not leased.",
                description: """
                    `state` is `reloaded` (disposed: the next use boots it with the current configuration), \
                    `pending` (busy or leased: `instance.reload_pending` now, `instance.reloaded` when done; a busy \
                    one waits at most `--reload-defer-max`) or `cold` (no instance: nothing to reload). With \
                    `pending`, `busy` says it was found busy (a leased instance is not asked) and `leased` that a \
                    lease holds it.
                    """,
                params: [referenceParameter, cwdParameter],
                result: RPCResultDescription(
                    "reload",
                    schema: object(
                        ["state": ["enum": ["reloaded", "pending", "cold"]], "busy": boolean, "leased": boolean],
                        required: ["state"])),
                decoding: ReloadParams.self
            ) { params -> JSONValue in
                switch try await need().reload(params.id, cwd: params.cwd ?? defaultCWD) {
                case .reloaded: return ["state": "reloaded"]
                case .cold: return ["state": "cold"]
                case .pending(let busy, let leased):
                    return ["state": "pending", "busy": .bool(busy), "leased": .bool(leased)]
                }
            },
            RPCMethod(
                "instance.lease",
                summary: "Leases the workspace's instance: never evicted nor reloaded until the lease ends.",
                description: """
                    For integrators that hold a session open. The lease ends at `expiresAt` (Unix ms) unless renewed \
                    (`instance.renew`), or with `instance.release`; leases live in the engine's memory and end \
                    with it. A cold workspace may be leased: its next instance is covered.
                    """,
                params: [
                    referenceParameter,
                    .integer("ttlMs", "how long the lease lasts, in ms (at most a day)"),
                    cwdParameter,
                ],
                result: RPCResultDescription("lease", schema: ref("Lease")), decoding: LeaseParams.self
            ) { params in
                try await need().lease(params.id, cwd: params.cwd ?? defaultCWD, ttl: ttl(params.ttlMs)).json
            },
            RPCMethod(
                "instance.renew",
                summary: "Extends a lease to `ttlMs` from now (default: its own TTL).",
                description: "`lease_not_found` (404) when it expired, was released or never was.",
                params: [
                    .string("leaseId", "the lease, as `instance.lease` returned it"),
                    .integer("ttlMs", "the new duration from now, in ms (default: the lease's)", required: false),
                ],
                result: RPCResultDescription("lease", schema: ref("Lease")), decoding: RenewParams.self
            ) { params -> JSONValue in
                let duration = try params.ttlMs.map(ttl)
                return try await need().renewLease(params.leaseId, ttl: duration).json
            },
            RPCMethod(
                "instance.release",
                summary: "Ends a lease; `released: false` when there was none by that id.",
                params: [.string("leaseId", "the lease, as `instance.lease` returned it")],
                result: RPCResultDescription(
                    "released", schema: object(["released": boolean])),
                decoding: ReleaseParams.self
            ) { params -> JSONValue in
                let engine = try need()
                return ["released": .bool(await engine.releaseLease(params.leaseId))]
            },
        ]
    }
}

extension InstanceLease {
    var json: JSONValue {
        [
            "leaseId": .string(leaseID), "workspaceId": .string(workspaceID), "expiresAt": .integer(expiresAt),
            "ttlMs": .integer(ttl.milliseconds),
        ]
    }
}

extension InstanceState {
    /// `busy`, `idleMs`, `pendingReload`, `hotReload` of a warm workspace in `workspace.list` and `info`.
    var members: [String: JSONValue] {
        [
            "busy": .bool(busy), "idleMs": .integer(idle.milliseconds),
            "pendingReload": pendingReload.map { pending -> JSONValue in
                [
                    "reason": .string(pending.reason.rawValue), "paths": .array(pending.paths.map(JSONValue.string)),
                    "waitedMs": .integer((pendingFor ?? .zero).milliseconds),
                ]
            } ?? .null,
            "hotReload": watcher.map(JSONValue.string) ?? .null,
        ]
    }
}
