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
        var reply: String?
        var answer: String?
        var answers: [[String]]?
        var message: String?
        var openworkUrl: String?
        var hostToken: String?
    }

    /// `{id, source, reply | answers, resolved:true}`; an OpenWork server's answer as it sent it.
    static let replySchema: JSONValue = [
        "type": "object", "required": ["id"], "additionalProperties": true,
        "properties": [
            "id": string, "source": string, "reply": string, "answers": array(strings), "resolved": boolean,
        ],
    ]

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
                summary: """
                    Pending approvals: opencode's permission requests and questions, or an OpenWork server's write \
                    approvals.
                    """,
                description: """
                    Without `openworkUrl`: opencode's pending requests, oldest first, only `workspace`'s when given \
                    (an id, a name or a path). A permission request is `{id, source:"opencode", workspaceId, \
                    directory, sessionID, permission, patterns, createdAt}`; a question is `{id, \
                    source:"opencode-question", workspaceId, directory, sessionID, questions:[{question, header, \
                    options:[{label, description}], multiple?, custom?}], question, options, createdAt}` (`question` \
                    and `options`, the labels, repeat the first question's). With `openworkUrl` and `hostToken`: the \
                    server's `GET /approvals`, items with `source:"openwork-server"`.
                    """,
                params: [
                    RPCParameter.string("workspace", "only this workspace's requests", required: false),
                    cwdParameter,
                ] + approvalServerParameters,
                result: RPCResultDescription("approvals", schema: object(["items": array(ref("Approval"))])),
                decoding: ListParams.self
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
                summary: """
                    Answers a pending approval: a permission `once`, `always` or `reject`; a question with `answer` \
                    (or `answers`), or `reject`.
                    """,
                description: """
                    Exactly one of `reply`, `answer` and `answers`. A permission (`source:"opencode"`) takes `reply` \
                    (`allow` = once, `deny` = reject) and `message?`: `POST /permission/:id/reply` (the legacy route \
                    when that is 404). A question (`source:"opencode-question"`) takes `answer: TEXT`, which answers \
                    every question of the request with `[TEXT]` (a label or free text), or `answers` with one list \
                    per question (`[["a"],["b","c"]]`): `POST /question/:id/reply`; or `reply: "reject"` (or \
                    `deny`): `POST /question/:id/reject`. `once`/`always` or a `message` on a question, and \
                    `answer` on a permission, are `invalid_params`. The result is `{id, source, reply | answers, \
                    resolved:true}`, then `approval.resolved`. With `openworkUrl`: `POST /approvals/:id \
                    {"reply":"allow"|"deny"}` (`always` and answers are refused there). An unknown id is \
                    `approval_not_found`.
                    """,
                params: [
                    RPCParameter.string("id", "the approval's id"),
                    RPCParameter.string(
                        "reply", "once, always, reject, allow (= once) or deny (= reject); a question: reject only",
                        required: false),
                    RPCParameter.string(
                        "answer", "a question's answer (a label or free text), for every question of the request",
                        required: false),
                    RPCParameter(
                        "answers", "a question's answers: one list of labels (or free text) per question, in order",
                        schema: ["type": "array", "items": ["type": "array", "items": ["type": "string"]]],
                        required: false),
                    RPCParameter.string("message", "a message for opencode with a permission reply", required: false),
                ] + approvalServerParameters,
                result: RPCResultDescription("reply", schema: replySchema), decoding: ReplyParams.self
            ) { params in
                let given = ApprovalResponse.Params(
                    reply: params.reply, answer: params.answer, answers: params.answers, message: params.message)
                if let client = try server(params.openworkUrl, params.hostToken) {
                    guard params.answer == nil, params.answers == nil,
                        let answer = params.reply.flatMap(ApprovalReply.parse)?.openworkServerReply
                    else {
                        throw RPCError.invalidParams("the OpenWork server only accepts reply allow or deny")
                    }
                    return try await client.reply(params.id, allow: answer == "allow")
                }
                let approvals = try need().approvals
                let request = await approvals.request(of: params.id)
                let response: ApprovalResponse
                do throws(ApprovalResponse.Invalid) {
                    response = try ApprovalResponse.resolve(given, id: params.id, for: request)
                } catch {
                    throw RPCError.invalidParams(error.message)
                }
                return try await approvals.respond(params.id, response, message: params.message)
            },
        ]
    }
}
