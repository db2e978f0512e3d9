import OpenWorkJSON

/// The session routes: list (with `GET /session`'s filters), create, status, get, update, delete, children,
/// prompts, abort and messages. Session events carry `{sessionID, info}` as opencode's do.
extension Routes {
    func sessionReply(to call: Call, route: Route, instance: Instance) async throws(Reply.Rejection) -> Reply {
        switch route {
        case .listSessions:
            let filter = try SessionFilter(query: call.query)
            return .json(status: 200, .array(server.sessions.list(directory: instance.directory, filter: filter)))
        case .createSession:
            return try createSession(call, instance: instance)
        case .sessionStatus:
            return .json(status: 200, await server.work.statuses(directory: instance.directory))
        case .getSession(let id):
            return .json(status: 200, try existingSession(id))
        case .deleteSession(let id):
            _ = try existingSession(id)
            await delete(id, instance: instance)
            return .json(status: 200, true)
        case .updateSession(let id):
            return try updateSession(id, call, instance: instance)
        case .sessionChildren(let id):
            _ = try existingSession(id)
            return .json(status: 200, .array(server.sessions.children(of: id)))
        case .promptAsync(let id):
            let session = try existingSession(id)
            let body = try call.jsonObjectBody()
            let parts = try Self.promptParts(body["parts"])
            for key in ["agent", "messageID"] { try Self.requireOptionalString(body, key) }
            if let model = body["model"],
                model["providerID"]?.stringValue == nil || model["modelID"]?.stringValue == nil
            {
                throw Reply.Rejection(message: "Expected {providerID, modelID}", path: ["model"])
            }
            if let noReply = body["noReply"], noReply.boolValue == nil {
                throw Reply.Rejection(message: "Expected boolean, received \(noReply.typeName)", path: ["noReply"])
            }
            await server.work.prompt(
                session, parts: parts, agent: body["agent"]?.stringValue, model: body["model"],
                noReply: body["noReply"]?.boolValue ?? false)
            return .noContent
        case .abortSession(let id):
            try Self.validate(id, as: .session, name: "sessionID")
            await server.work.abort(id)
            return .json(status: 200, true)
        case .sessionMessages(let id):
            _ = try existingSession(id)
            var limit: Int?
            if let text = call.query["limit"] {
                guard let value = Int(text), value >= 0 else {
                    throw Reply.Rejection(message: "Invalid input: expected number, received NaN", path: ["limit"])
                }
                limit = value
            }
            return .json(status: 200, .array(await server.work.messages(of: id, limit: limit)))
        default:
            return .notFound("Route not found: \(call.method) \(call.path)")
        }
    }

    /// The session `id`; a 404 `NotFoundError` (thrown as a reply) when there is none.
    private func existingSession(_ id: String) throws(Reply.Rejection) -> JSONValue {
        try Self.validate(id, as: .session, name: "sessionID")
        guard let session = server.sessions.session(id) else {
            throw Reply.Rejection(message: "Session not found: \(id)", notFound: true)
        }
        return session
    }

    private func createSession(_ call: Call, instance: Instance) throws(Reply.Rejection) -> Reply {
        let body = try call.jsonObjectBody()
        for key in ["title", "parentID"] { try Self.requireOptionalString(body, key) }
        let parentID = body["parentID"]?.stringValue
        if let parentID { try Self.validate(parentID, as: .session, name: "parentID") }
        let permission = try body["permission"].map { value throws(Reply.Rejection) in
            try Session.PermissionRule.ruleset(value)
        }
        let now = server.clock.milliseconds()
        let session = Session.make(
            id: server.identifiers.descending(.session, at: now),
            slug: Session.randomSlug(),
            projectID: instance.projectID,
            directory: instance.directory,
            version: server.version,
            title: body["title"]?.stringValue,
            parentID: parentID,
            permission: permission,
            createdAt: now
        )
        server.sessions.insert(session)
        publish("session.created", Self.sessionEvent(session), instance)
        publish("session.updated", Self.sessionEvent(session), instance)
        return .json(status: 200, session)
    }

    private func updateSession(_ id: String, _ call: Call, instance: Instance) throws(Reply.Rejection) -> Reply {
        _ = try existingSession(id)
        let body = try call.jsonObjectBody()
        try Self.requireOptionalString(body, "title")
        var archived: Int64?
        if let time = body["time"] {
            guard let members = time.objectValue else {
                throw Reply.Rejection(message: "Expected object, received \(time.typeName)", path: ["time"])
            }
            if let value = members["archived"] {
                guard let number = value.int64Value else {
                    throw Reply.Rejection(message: "Expected number", path: ["time", "archived"])
                }
                archived = number
            }
        }
        let now = server.clock.milliseconds()
        guard
            let session = server.sessions.update(
                id,
                { session in
                    if let title = body["title"]?.stringValue { session["title"] = .string(title) }
                    if let archived { session["time"]?["archived"] = .integer(archived) }
                    session["time"]?["updated"] = .integer(now)
                })
        else { throw Reply.Rejection(message: "Session not found: \(id)", notFound: true) }
        publish("session.updated", Self.sessionEvent(session), instance)
        return .json(status: 200, session)
    }

    /// Deletes `id` and, first, its children (as opencode does), each with its `session.deleted`.
    private func delete(_ id: String, instance: Instance) async {
        for child in server.sessions.children(of: id) {
            if let childID = child["id"]?.stringValue { await delete(childID, instance: instance) }
        }
        await server.work.forget(id)
        guard let session = server.sessions.remove(id) else { return }
        publish("session.deleted", Self.sessionEvent(session), instance)
    }

    /// `session.created|updated|deleted` properties: `{sessionID, info}`.
    static func sessionEvent(_ session: JSONValue) -> JSONValue {
        ["sessionID": session["id"] ?? .null, "info": session]
    }

    /// The `parts` of a prompt: a non-empty array of objects with a `type`; text parts need their `text`.
    private static func promptParts(_ value: JSONValue?) throws(Reply.Rejection) -> [JSONValue] {
        guard let parts = value?.arrayValue else {
            throw Reply.Rejection(message: "Invalid input: expected array, received undefined", path: ["parts"])
        }
        for (index, part) in parts.enumerated() {
            guard let type = part["type"]?.stringValue else {
                throw Reply.Rejection(message: "Expected a part with a type", path: ["parts", String(index)])
            }
            if type == "text", part["text"]?.stringValue == nil {
                throw Reply.Rejection(message: "Expected string", path: ["parts", String(index), "text"])
            }
        }
        return parts
    }
}
