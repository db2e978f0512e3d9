import OpenWorkJSON

/// What waits for a human: permission requests (`GET /permission`, `POST /permission/:id/reply`, the legacy
/// `POST /session/:sid/permissions/:pid`) and questions (`GET /question`, `POST /question/:id/reply`,
/// `POST /question/:id/reject`). Replies to unknown ids are a silent `true`, as in opencode.
extension Routes {
    func waitingReply(to call: Call, route: Route, instance: Instance) async throws(Reply.Rejection) -> Reply {
        switch route {
        case .listPermissions:
            return .json(status: 200, .array(await instance.pendingPermissions()))
        case .replyPermission(let id):
            if server.knobs.legacyPermissionsOnly { return .notFound("Route not found: \(call.method) \(call.path)") }
            try Self.validate(id, as: .permission, name: "requestID")
            let body = try call.jsonObjectBody()
            let reply = try Self.permissionReply(body["reply"], name: "reply")
            try Self.requireOptionalString(body, "message")
            await replyPermission(reply, to: id, instance: instance)
            return .json(status: 200, true)
        case .legacyReplyPermission(let sessionID, let id):
            try Self.validate(sessionID, as: .session, name: "sessionID")
            try Self.validate(id, as: .permission, name: "permissionID")
            let reply = try Self.permissionReply(try call.jsonObjectBody()["response"], name: "response")
            await replyPermission(reply, to: id, instance: instance)
            return .json(status: 200, true)
        case .listQuestions:
            return .json(status: 200, .array(await instance.pendingQuestions()))
        case .replyQuestion(let id):
            try Self.validate(id, as: .question, name: "requestID")
            let answers = try QuestionQueue.answers(try call.jsonObjectBody()["answers"])
            if let request = await instance.resolveQuestion(id) {
                server.questionAnswers.record(request, directory: instance.directory, answers: answers)
                let encoded = JSONValue.array(answers.map { .array($0.map(JSONValue.string)) })
                publish(
                    "question.replied",
                    ["sessionID": .string(request.sessionID), "requestID": .string(id), "answers": encoded], instance)
            }
            return .json(status: 200, true)
        case .rejectQuestion(let id):
            try Self.validate(id, as: .question, name: "requestID")
            if let request = await instance.resolveQuestion(id) {
                server.questionAnswers.record(request, directory: instance.directory, answers: nil)
                publish(
                    "question.rejected", ["sessionID": .string(request.sessionID), "requestID": .string(id)], instance)
            }
            return .json(status: 200, true)
        default:
            return .notFound("Route not found: \(call.method) \(call.path)")
        }
    }

    private func replyPermission(_ reply: PermissionQueue.Reply, to id: String, instance: Instance) async {
        for replied in await instance.reply(reply, to: id) {
            publish("permission.replied", replied, instance)
        }
    }

    private static func permissionReply(_ value: JSONValue?, name: String) throws(Reply.Rejection)
        -> PermissionQueue.Reply
    {
        guard let text = value?.stringValue, let reply = PermissionQueue.Reply(rawValue: text) else {
            let options = PermissionQueue.Reply.allCases.map { "'\($0.rawValue)'" }.joined(separator: " | ")
            throw Reply.Rejection(message: "Invalid option: expected one of \(options)", path: [name])
        }
        return reply
    }
}
