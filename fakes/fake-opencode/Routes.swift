import OpenWorkJSON

/// The handlers of opencode's routes: from a ``Call`` (already authenticated) to a ``Reply``.
struct Routes: Sendable {
    let server: FakeServer

    /// Answers `call` for `route`; `directory` is the resolved instance directory of instance-scoped routes.
    func reply(to call: Call, route: Route, directory: String?) async -> Reply {
        switch route {
        case .health:
            return .json(status: 200, ["healthy": true, "version": .string(server.version)])
        case .globalDispose:
            await server.registry.disposeAll()
            server.bus.publishGlobal(type: "global.disposed", properties: [:])
            return .json(status: 200, true)
        case .globalEvent:
            return .events(server.bus.subscribe(.global))
        case .doc:
            return .json(status: 200, OpenAPIDocument.make())
        case .fakeState, .fakePermission, .fakeDropStreams:
            return await Introspection(server: server).reply(to: call, route: route)
        default:
            guard let directory else { return .unknownError("no directory for \(call.path)") }
            let instance: Instance
            do {
                instance = try await server.registry.instance(for: directory)
            } catch let failure as InstanceBooter.Failure {
                return .namedError(status: 500, name: failure.name, data: failure.data)
            } catch is InstanceRegistry.ShuttingDown {
                return .unknownError("server is shutting down", status: 503)
            } catch {
                return .unknownError("instance boot failed: \(error)")
            }
            do {
                return try await reply(to: call, route: route, instance: instance)
            } catch {
                return .badRequest(error, input: (try? JSONValue(parsing: call.body)) ?? .null)
            }
        }
    }

    private func reply(to call: Call, route: Route, instance: Instance) async throws(Reply.Rejection) -> Reply {
        let directory = instance.directory
        switch route {
        case .path:
            return .json(
                status: 200,
                [
                    "home": .string(server.paths.home),
                    "state": .string(server.paths.state),
                    "config": .string(server.paths.config),
                    "worktree": .string(instance.worktree),
                    "directory": .string(directory),
                ]
            )
        case .instanceDispose:
            await server.registry.dispose(directory)
            return .json(status: 200, true)
        case .event:
            return .events(server.bus.subscribe(.directory(directory)))
        case .getConfig:
            return .json(status: 200, instance.config)
        case .patchConfig:
            let patch = JSONValue.object(try call.jsonObjectBody())
            do {
                try ConfigFiles.applyPatch(patch, directory: directory)
            } catch {
                return .unknownError("could not write \(ConfigFiles.patchFile(for: directory)): \(error)")
            }
            await server.registry.dispose(directory)
            return .json(status: 200, patch)
        case .listSessions:
            return .json(status: 200, .array(server.sessions.list(inProject: instance.projectID)))
        case .createSession:
            return try createSession(call, instance: instance)
        case .getSession(let id):
            try Self.validate(id, as: .session, name: "sessionID")
            guard let session = server.sessions.session(id, inProject: instance.projectID) else {
                return .notFound("Session not found: \(id)")
            }
            return .json(status: 200, session)
        case .deleteSession(let id):
            try Self.validate(id, as: .session, name: "sessionID")
            guard let session = server.sessions.remove(id, inProject: instance.projectID) else {
                return .notFound("Session not found: \(id)")
            }
            publish("session.deleted", ["info": session], instance)
            return .json(status: 200, true)
        case .listPermissions:
            return .json(status: 200, .array(await instance.pendingPermissions()))
        case .replyPermission(let id):
            if server.knobs.legacyPermissionsOnly { return .notFound("Route not found: \(call.method) \(call.path)") }
            try Self.validate(id, as: .permission, name: "requestID")
            let body = try call.jsonObjectBody()
            let reply = try Self.permissionReply(body["reply"], name: "reply")
            if let message = body["message"], message.stringValue == nil {
                throw Reply.Rejection(message: "Expected string, received \(message.typeName)", path: ["message"])
            }
            await replyPermission(reply, to: id, instance: instance)
            return .json(status: 200, true)
        case .legacyReplyPermission(let sessionID, let id):
            try Self.validate(sessionID, as: .session, name: "sessionID")
            try Self.validate(id, as: .permission, name: "permissionID")
            let reply = try Self.permissionReply(try call.jsonObjectBody()["response"], name: "response")
            await replyPermission(reply, to: id, instance: instance)
            return .json(status: 200, true)
        default:
            return .notFound("Route not found: \(call.method) \(call.path)")
        }
    }

    private func createSession(_ call: Call, instance: Instance) throws(Reply.Rejection) -> Reply {
        let body = try call.jsonObjectBody()
        for key in ["title", "parentID"] {
            if let value = body[key], value.stringValue == nil {
                throw Reply.Rejection(message: "Expected string, received \(value.typeName)", path: [key])
            }
        }
        let parentID = body["parentID"]?.stringValue
        if let parentID { try Self.validate(parentID, as: .session, name: "parentID") }
        let now = server.clock.milliseconds()
        let session = Session.make(
            id: server.identifiers.descending(.session, at: now),
            slug: Session.randomSlug(),
            projectID: instance.projectID,
            directory: instance.directory,
            version: server.version,
            title: body["title"]?.stringValue,
            parentID: parentID,
            createdAt: now
        )
        server.sessions.insert(session, inProject: instance.projectID)
        publish("session.created", ["info": session], instance)
        publish("session.updated", ["info": session], instance)
        return .json(status: 200, session)
    }

    private func replyPermission(_ reply: PermissionQueue.Reply, to id: String, instance: Instance) async {
        for replied in await instance.reply(reply, to: id) {
            publish("permission.replied", replied, instance)
        }
    }

    /// Publishes an event of `instance`'s directory.
    func publish(_ type: String, _ properties: JSONValue, _ instance: Instance) {
        server.bus.publish(
            type: type,
            properties: properties,
            directory: instance.directory,
            project: instance.eventProject
        )
    }

    private static func validate(_ id: String, as prefix: IdentifierGenerator.Prefix, name: String)
        throws(Reply.Rejection)
    {
        guard id.hasPrefix(prefix.rawValue) else {
            throw Reply.Rejection(message: "Invalid \(name): must start with \"\(prefix.rawValue)\"", path: [name])
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
