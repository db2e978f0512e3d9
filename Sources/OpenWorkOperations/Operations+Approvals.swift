import OpenWorkCore
import OpenWorkJSON
import OpenWorkRPC
import OpenWorkSystem

extension Operations {
    private struct ListParams: Decodable {
        var workspace: String?
        var cwd: String?
        var openworkUrl: String?
        var hostToken: String?
    }

    private struct ReplyParams: Decodable {
        var id: String
        var reply: String
        var message: String?
        var openworkUrl: String?
        var hostToken: String?
    }

    static let approvalServerParameters = [
        RPCParameter.string(
            "openworkUrl", "an OpenWork server (host mode): its approvals instead of opencode's", required: false),
        RPCParameter.string("hostToken", "the OpenWork server's host token (with `openworkUrl`)", required: false),
    ]

    static func approvalMethods(_ engine: Engine?, defaultCWD: String?) -> [RPCMethod] {
        @Sendable func need() throws(OpenWorkError) -> Engine {
            guard let engine else { throw OpenWorkError(.dataDirUnusable, "no engine is running") }
            return engine
        }
        @Sendable func server(_ url: String?, _ token: String?) throws -> OpenWorkServerClient? {
            guard let url else {
                if token != nil { throw RPCError.invalidParams("hostToken needs openworkUrl") }
                return nil
            }
            return try OpenWorkServerClient(baseURL: url, hostToken: token ?? "")
        }
        return [
            RPCMethod(
                "approvals.list",
                summary: "Pending approvals: opencode's permission requests, or an OpenWork server's write approvals.",
                description: """
                    Without `openworkUrl`: opencode's pending permission requests `{id, source:"opencode", \
                    workspaceId, directory, sessionID, permission, patterns, createdAt}`, only `workspace`'s when \
                    given (an id, a name or a path). With `openworkUrl` and `hostToken`: the server's `GET \
                    /approvals`, items with `source:"openwork-server"`.
                    """,
                params: [
                    RPCParameter.string("workspace", "only this workspace's requests", required: false),
                    cwdParameter,
                ] + approvalServerParameters,
                result: RPCResultDescription("approvals", schema: ["type": "object"]), decoding: ListParams.self
            ) { params in
                if let client = try server(params.openworkUrl, params.hostToken) { return try await client.list() }
                let engine = try need()
                var workspaceID: String?
                if let reference = params.workspace {
                    workspaceID = try await engine.registry.workspace(reference, cwd: params.cwd ?? defaultCWD).id
                }
                return ["items": .array(await engine.approvals.list(workspaceID: workspaceID))]
            },
            RPCMethod(
                "approvals.reply",
                summary: "Answers a pending approval: `once`, `always` or `reject` (`allow` = once, `deny` = reject).",
                description: """
                    opencode: `POST /permission/:id/reply` (the legacy route when that is 404), then \
                    `approval.resolved`. With `openworkUrl`: `POST /approvals/:id {"reply":"allow"|"deny"}` \
                    (`always` is refused there). An unknown id is `approval_not_found`.
                    """,
                params: [
                    RPCParameter.string("id", "the approval's id"),
                    RPCParameter.string("reply", "once, always, reject, allow (= once) or deny (= reject)"),
                    RPCParameter.string("message", "a message for opencode with the reply", required: false),
                ] + approvalServerParameters,
                result: RPCResultDescription("reply", schema: ["type": "object"]), decoding: ReplyParams.self
            ) { params in
                guard let reply = ApprovalReply.parse(params.reply) else {
                    throw RPCError.invalidParams(
                        "reply must be once, always, reject, allow or deny, not \"\(params.reply)\"")
                }
                if let client = try server(params.openworkUrl, params.hostToken) {
                    guard let answer = reply.openworkServerReply else {
                        throw RPCError.invalidParams("the OpenWork server only accepts allow or deny")
                    }
                    return try await client.reply(params.id, allow: answer == "allow")
                }
                return try await need().approvals.reply(params.id, reply, message: params.message)
            },
        ]
    }
}
