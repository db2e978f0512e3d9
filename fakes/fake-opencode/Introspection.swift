import OpenWorkJSON

/// The fake's own routes for scenarios, served only with `FAKE_OPENCODE_INTROSPECTION=1`, without
/// authentication and outside the request count:
///
/// - `GET /__fake/state`: pid, version, request count, live instances (directory, created time, boot count),
///   boot counts per directory, disposals, the grandchild's pid;
/// - `POST /__fake/permission {directory, permission, patterns, sessionID?, always?, metadata?, tool?}`: boots
///   the directory's instance if needed, queues a permission request there, publishes `permission.asked`,
///   and returns the request (`quiet: true`: queued without the event, as if asked while nobody listened);
/// - `POST /__fake/question {directory, questions, sessionID?, tool?, quiet?}`: the same for a question request
///   (`question.asked`); every answer the fake then receives is listed in the state's `questionAnswers`;
/// - `POST /__fake/drop-streams`: ends every `/global/event` stream (clients must reconnect);
/// - `POST /__fake/fs {read?: [path], write?: [path]}`: tries to read each `read` path (a file's first bytes, a
///   directory's entries) and to create each `write` file, and answers `{read: {path: result}, write: {path:
///   result}, mountNamespace, pidNamespace}` where a result is `{ok: true}` or `{ok: false, error}` (the errno's
///   text): what a sandbox lets this process see and change.
struct Introspection: Sendable {
    let server: FakeServer

    func reply(to call: Call, route: Route) async -> Reply {
        switch route {
        case .fakeState:
            return .json(status: 200, await state())
        case .fakeDropStreams:
            return .json(status: 200, ["dropped": .integer(Int64(server.bus.endGlobalStreams()))])
        case .fakeFileProbe:
            do throws(Reply.Rejection) {
                let body = try call.jsonObjectBody()
                let reads = try Self.strings(body["read"], name: "read") ?? []
                let writes = try Self.strings(body["write"], name: "write") ?? []
                return .json(status: 200, SystemCalls.probe(reading: reads, writing: writes))
            } catch {
                return .badRequest(error, input: (try? JSONValue(parsing: call.body)) ?? .null)
            }
        case .fakePermission, .fakeQuestion:
            do {
                let body = try call.jsonObjectBody()
                return route == .fakeQuestion ? try await askQuestion(body) : try await askPermission(body)
            } catch let rejection as Reply.Rejection {
                return .badRequest(rejection, input: (try? JSONValue(parsing: call.body)) ?? .null)
            } catch let failure as InstanceBooter.Failure {
                return .namedError(status: 500, name: failure.name, data: failure.data)
            } catch {
                return .unknownError("\(error)")
            }
        default:
            return .notFound("Route not found: \(call.method) \(call.path)")
        }
    }

    private func state() async -> JSONValue {
        var state = await server.registry.snapshot()
        state["pid"] = .integer(Int64(SystemCalls.processID))
        state["version"] = .string(server.version)
        state["requestCount"] = .integer(Int64(server.faults.requestCount))
        state["grandchildPid"] = server.grandchildPID.map { .integer(Int64($0)) } ?? .null
        state["openEventStreams"] = .integer(Int64(server.bus.subscriberCount))
        state["questionAnswers"] = .array(server.questionAnswers.all)
        state["residentBytes"] = SystemCalls.residentBytes().map { .integer(Int64($0)) } ?? .null
        return state
    }

    private func askPermission(_ body: [String: JSONValue]) async throws -> Reply {
        let instance = try await instance(body)
        guard let permission = body["permission"]?.stringValue else {
            throw Reply.Rejection(message: "permission: expected a string", path: ["permission"])
        }
        let patterns = try Self.strings(body["patterns"], name: "patterns") ?? []
        let always = try Self.strings(body["always"], name: "always") ?? patterns
        let now = server.clock.milliseconds()
        let request = PermissionQueue.Request(
            id: server.identifiers.ascending(.permission, at: now),
            sessionID: sessionID(body, instance: instance, at: now),
            permission: permission,
            patterns: patterns,
            metadata: body["metadata"] ?? [:],
            always: always,
            tool: body["tool"]
        )
        await instance.ask(request)
        if body["quiet"] != .bool(true) { Routes(server: server).publish("permission.asked", request.json, instance) }
        return .json(status: 200, request.json)
    }

    private func askQuestion(_ body: [String: JSONValue]) async throws -> Reply {
        let instance = try await instance(body)
        let questions = try QuestionQueue.questions(body["questions"])
        let now = server.clock.milliseconds()
        let request = QuestionQueue.Request(
            id: server.identifiers.ascending(.question, at: now),
            sessionID: sessionID(body, instance: instance, at: now),
            questions: questions,
            tool: body["tool"]
        )
        await instance.ask(request)
        if body["quiet"] != .bool(true) { Routes(server: server).publish("question.asked", request.json, instance) }
        return .json(status: 200, request.json)
    }

    /// The instance of the body's `directory`, booted when needed.
    private func instance(_ body: [String: JSONValue]) async throws -> Instance {
        guard let rawDirectory = body["directory"]?.stringValue, !rawDirectory.isEmpty else {
            throw Reply.Rejection(message: "directory: expected a non-empty string", path: ["directory"])
        }
        let directory = DirectoryResolver.absolute(rawDirectory, relativeTo: server.workingDirectory)
        return try await server.registry.instance(for: directory)
    }

    /// The body's `sessionID`, else the project's newest session, else a fresh id.
    private func sessionID(_ body: [String: JSONValue], instance: Instance, at now: Int64) -> String {
        body["sessionID"]?.stringValue ?? server.sessions.newest(inProject: instance.projectID)?["id"]?.stringValue
            ?? server.identifiers.descending(.session, at: now)
    }

    private static func strings(_ value: JSONValue?, name: String) throws(Reply.Rejection) -> [String]? {
        guard let value else { return nil }
        guard let array = value.arrayValue, array.allSatisfy({ $0.stringValue != nil }) else {
            throw Reply.Rejection(message: "\(name): expected an array of strings", path: [name])
        }
        return array.compactMap(\.stringValue)
    }
}
