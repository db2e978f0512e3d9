import Hummingbird
import OpenWorkJSON

extension FakeOpenWorkResponder {
    /// The `/__fake/*` routes (with `FAKE_OPENWORK_INTROSPECTION=1`; no auth, not journaled, not logged).
    ///
    /// `POST /__fake/approvals {workspaceId?, action?, summary?, paths?, wait?}` makes a write request: at once
    /// `201 {approval, decided}`, or with `wait: true` the writer's view once decided: `200 {ok, allowed, id}`
    /// or `403 {code:"write_denied", id, reason}`. `GET /__fake/state` → see ``stateDocument()``.
    func introspect(_ request: Request) async -> Response {
        let segments = request.uri.path.split(separator: "/").map(String.init)
        switch (request.method.rawValue, segments.dropFirst().first) {
        case ("GET", "state"):
            return Reply.json(200, await stateDocument())
        case ("POST", "approvals"):
            return await requestApproval(try? await Self.jsonBody(request))
        default:
            return Reply.error(404, "not_found", "Not found")
        }
    }

    /// `{mode, pending, decisions, argv, pid, requests: [{method, path}], requestCount, tokensMinted, config}`;
    /// `config` says what the fake was started with, secrets as booleans only.
    private func stateDocument() async -> JSONValue {
        var document = await state.book.state
        let requests = state.journal.all
        let options = state.options
        func string(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        document["argv"] = .array(options.arguments.map(JSONValue.string))
        document["pid"] = .integer(Int64(state.processID))
        document["requests"] = .array(requests)
        document["requestCount"] = .integer(Int64(requests.count))
        document["tokensMinted"] = .integer(Int64(await state.tokens.minted))
        document["config"] = [
            "host": .string(options.hostname), "workspace": string(state.workspacePath),
            "approval": .string(options.mode.rawValue), "approvalTimeoutMs": .integer(Int64(options.approvalTimeoutMs)),
            "readOnly": .bool(options.readOnly), "cors": .array(options.corsOrigins.map(JSONValue.string)),
            "opencodeBaseUrl": string(options.opencode.baseURL), "opencodeDirectory": string(state.opencodeDirectory),
            "opencodeUsername": string(options.opencode.username), "logFormat": .string(options.logFormat.rawValue),
            "runId": string(options.runID), "otelResourceAttributes": string(options.resourceAttributes),
            "controlBaseUrl": string(options.controlBaseURL),
            "secretsPresent": [
                "token": .bool(options.collaboratorToken != nil), "hostToken": .bool(!options.hostToken.isEmpty),
                "opencodePassword": .bool(options.opencode.password != nil),
                "controlToken": .bool(options.controlToken != nil),
            ],
        ]
        return document
    }

    private func requestApproval(_ body: JSONValue?) async -> Response {
        let book = state.book
        let (approval, decided) = await book.request(
            workspaceId: body?["workspaceId"]?.stringValue ?? state.workspaceID ?? "ws-fake",
            action: body?["action"]?.stringValue ?? "file.write",
            summary: body?["summary"]?.stringValue ?? "write a file",
            paths: body?["paths"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        guard body?["wait"] == true else {
            return Reply.json(201, ["approval": approval.json, "decided": decided.map { .bool($0.allowed) } ?? .null])
        }
        let decision: ApprovalBook.Decision
        if let decided { decision = decided } else { decision = await book.outcome(of: approval.id) }
        if decision.allowed {
            return Reply.json(200, ["ok": true, "allowed": true, "id": .string(approval.id)])
        }
        return Reply.json(
            403,
            [
                "code": "write_denied", "message": "the write was not approved", "id": .string(approval.id),
                "reason": .string(decision.reason),
            ])
    }
}
