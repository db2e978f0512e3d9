import OpenWorkJSON

/// The handlers of opencode's routes: from a ``Call`` (already authenticated) to a ``Reply``.
///
/// Session routes are in `Routes+Sessions.swift`, permission and question routes in `Routes+Waiting.swift`.
struct Routes: Sendable {
    let server: FakeServer

    /// Answers `call` for `route`; `directory` is the resolved instance directory of instance-scoped routes.
    func reply(to call: Call, route: Route, directory: String?) async -> Reply {
        switch route {
        case .health:
            return .json(status: 200, ["healthy": true, "version": .string(server.version)])
        case .globalDispose:
            await disposeAll()
            return .json(status: 200, true)
        case .globalEvent:
            return .events(server.bus.subscribe(.global))
        case .getGlobalConfig:
            return .json(status: 200, server.globalConfig.current)
        case .patchGlobalConfig:
            let patch: [String: JSONValue]
            do {
                patch = try call.jsonObjectBody()
            } catch {
                return .badRequest(error, input: (try? JSONValue(parsing: call.body)) ?? .null)
            }
            let merged = server.globalConfig.merge(.object(patch))
            await disposeAll()
            return .json(status: 200, merged)
        case .doc:
            return .json(status: 200, OpenAPIDocument.make())
        case .fakeState, .fakePermission, .fakeQuestion, .fakeDropStreams, .fakeFileProbe:
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
            } catch  where error.notFound {
                return .notFound(error.message)
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
        case .currentProject:
            var project: JSONValue = [
                "id": .string(instance.projectID),
                "worktree": .string(instance.worktree),
                "time": ["created": .integer(instance.createdAt), "updated": .integer(instance.createdAt)],
                "sandboxes": [],
            ]
            if instance.worktree != "/" { project["vcs"] = "git" }
            return .json(status: 200, project)
        case .vcs:
            guard let branch = GitHead.branch(worktree: instance.worktree) else {
                return .json(status: 200, [:])
            }
            return .json(status: 200, ["branch": .string(branch)])
        case .listSessions, .createSession, .sessionStatus, .getSession, .deleteSession, .updateSession,
            .sessionChildren, .promptAsync, .abortSession, .sessionMessages:
            return try await sessionReply(to: call, route: route, instance: instance)
        case .listPermissions, .replyPermission, .legacyReplyPermission, .listQuestions, .replyQuestion,
            .rejectQuestion:
            return try await waitingReply(to: call, route: route, instance: instance)
        default:
            return .notFound("Route not found: \(call.method) \(call.path)")
        }
    }

    /// Disposes every instance, then announces `global.disposed` on `/global/event`.
    private func disposeAll() async {
        await server.registry.disposeAll()
        server.bus.publishGlobal(type: "global.disposed", properties: [:])
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

    static func validate(_ id: String, as prefix: IdentifierGenerator.Prefix, name: String)
        throws(Reply.Rejection)
    {
        guard id.hasPrefix(prefix.rawValue) else {
            throw Reply.Rejection(message: "Invalid \(name): must start with \"\(prefix.rawValue)\"", path: [name])
        }
    }

    /// Rejects a member of `body` that is present but not a string.
    static func requireOptionalString(_ body: [String: JSONValue], _ key: String) throws(Reply.Rejection) {
        if let value = body[key], value.stringValue == nil {
            throw Reply.Rejection(message: "Expected string, received \(value.typeName)", path: [key])
        }
    }
}
