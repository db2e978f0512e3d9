import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
public import OpenWorkJSON
public import OpenWorkSystem

/// The owner of opencode's requests for a human: permission requests and question requests. It follows the
/// supervised opencode's `/global/event` stream (reconnecting with backoff after restarts and disconnects; after a
/// reconnect to the same opencode, resyncing from `GET /permission` and `GET /question` for each warm directory —
/// never for a fresh opencode, where it could only boot instances), keeps the pending requests per workspace,
/// answers them (`POST /permission/:id/reply`, else the legacy route; `POST /question/:id/reply` or `/reject`), and
/// publishes `approval.watching`, `approval.requested` and `approval.resolved`.
///
/// Auto mode answers permissions `once` at once (logged); a question needs a human, so auto mode leaves it
/// pending (and says so in the log). A timeout rejects requests of either kind nobody answered in time. Requests
/// still pending when their opencode exits are resolved with reason `opencode_exited`. The decisions are the pure
/// ``ApprovalRules`` and ``ApprovalResponse``; this actor only carries them out. It never starts opencode.
///
/// The stream and the engine's events are followed in `ApprovalCenter+Stream.swift`.
public actor ApprovalCenter {
    public struct Configuration: Sendable {
        public var settings: ApprovalSettings
        /// The deadline of each request to opencode.
        public var requestTimeout: Duration = .seconds(10)
        /// While no opencode is ready the follower waits for `opencode.ready`, and looks anyway this often.
        public var idlePoll: Duration = .seconds(1)
        /// The owner's clock, for timeouts.
        public var now: @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }

        public init(settings: ApprovalSettings = ApprovalSettings()) {
            self.settings = settings
        }
    }

    let configuration: Configuration
    let supervisor: Supervisor
    let registry: Registry
    let events: EventBus
    let client: OpenCodeClient
    let http: HTTPClient
    let engineEvents: AsyncStream<JSONValue>
    let logger = Logger(label: "openwork.approvals")

    var pending: [String: PendingApproval] = [:]
    /// The pid of the opencode each pending request came from.
    var origin: [String: Int64] = [:]
    var warmDirectories: Set<String> = []
    /// What `approval.resolved` says about answers being sent now (opencode's `permission.replied` or
    /// `question.replied` may arrive on the stream before the reply's own answer does).
    var answering: [String: [String: JSONValue]] = [:]
    /// The opencode whose event stream is open right now.
    var connected: (endpoint: OpenCodeEndpoint, pid: Int64)?
    private var tasks: [Task<Void, Never>] = []
    /// The timeout of each pending request (manual mode with a timeout, and questions in any mode), cancelled when
    /// it is resolved.
    private var timers: [String: Task<Void, Never>] = [:]
    private var started = false
    /// The opencode whose stream was opened last: opening it again is a reconnect, which resyncs.
    var lastOpenedPID: Int64?
    /// `opencode.ready` events seen so far, and the follower waiting for the next one.
    var readySignals = 0
    var idleWaiter: CheckedContinuation<Void, Never>?

    init(
        _ configuration: Configuration, supervisor: Supervisor, registry: Registry, events: EventBus,
        client: OpenCodeClient, http: HTTPClient
    ) {
        self.configuration = configuration
        self.supervisor = supervisor
        self.registry = registry
        self.events = events
        self.client = client
        self.http = http
        engineEvents = events.subscribe()
    }

    public var settings: ApprovalSettings { configuration.settings }

    /// Starts following the engine's events and opencode's event stream (idempotent).
    public func start() {
        guard !started else { return }
        started = true
        tasks.append(Task { await self.followEngine() })
        tasks.append(Task { await self.followOpenCode() })
    }

    /// Stops following; waits until the followers are gone.
    public func stop() async {
        let running = tasks + timers.values
        tasks = []
        timers = [:]
        for task in running { task.cancel() }
        wake()
        for task in running { await task.value }
    }

    // MARK: Queries and replies

    /// The pending requests, oldest first; only `workspaceID`'s when given.
    public func list(workspaceID: String? = nil) -> [JSONValue] {
        pending.values
            .filter { workspaceID == nil || $0.workspaceID == workspaceID }
            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
            .map(\.json)
    }

    /// What the pending request `id` asks; `nil` when nothing by that id is pending.
    public func request(of id: String) -> PendingApproval.Request? { pending[id]?.request }

    /// Answers a pending permission request: `POST /permission/:id/reply`, or the legacy route when that one is 404.
    public func reply(_ id: String, _ reply: ApprovalReply, message: String?) async throws(OpenWorkError)
        -> JSONValue
    {
        try await respond(id, .permission(reply), message: message)
    }

    /// Carries out a checked response (``ApprovalResponse/resolve(_:id:for:)``): a permission reply, a question's
    /// answers (`POST /question/:id/reply`) or its rejection (`POST /question/:id/reject`). The result is
    /// `{id, source, reply | answers, resolved:true}`.
    public func respond(_ id: String, _ response: ApprovalResponse, message: String?) async throws(OpenWorkError)
        -> JSONValue
    {
        let source = pending[id]?.source ?? "opencode"
        switch response {
        case .permission(let reply):
            try await answer(id, reply, message: message, extra: [:])
            logger.info("permission answered", metadata: ["id": "\(id)", "reply": "\(reply.rawValue)"])
            return ["id": .string(id), "source": "opencode", "reply": .string(reply.rawValue), "resolved": true]
        case .answers(let answers):
            let fields = try await answerQuestion(id, answers, extra: [:])
            logger.info("question answered", metadata: ["id": "\(id)"])
            return .object(fields.merging(["id": .string(id), "source": .string(source), "resolved": true]) { $1 })
        case .rejectQuestion:
            let fields = try await answerQuestion(id, nil, extra: [:])
            logger.info("question rejected", metadata: ["id": "\(id)"])
            return .object(fields.merging(["id": .string(id), "source": .string(source), "resolved": true]) { $1 })
        }
    }

    /// The pending request `id`, which must be of the kind `wanted` names; else `approval_not_found`.
    private func item(_ id: String, question wanted: Bool) throws(OpenWorkError) -> PendingApproval {
        guard let item = pending[id], item.isQuestion == wanted else {
            let kind = wanted ? "question" : "permission request"
            throw OpenWorkError(
                .approvalNotFound, "no pending \(kind) \(id)",
                details: ["id": .string(id), "source": .string(wanted ? "opencode-question" : "opencode")])
        }
        return item
    }

    private func endpoint(for id: String) async throws(OpenWorkError) -> OpenCodeEndpoint {
        guard let endpoint = await supervisor.snapshot.endpoint else {
            throw OpenWorkError(.opencodeUnavailable, "opencode is not running, so \(id) cannot be answered")
        }
        return endpoint
    }

    private func refused(_ id: String, _ error: OpenCodeClient.Failure) -> OpenWorkError {
        OpenWorkError(
            .opencodeRequestFailed, "opencode refused the reply to \(id): \(error.description)",
            details: ["status": error.status.map { .integer(Int64($0)) } ?? .null])
    }

    private func answer(_ id: String, _ reply: ApprovalReply, message: String?, extra: [String: JSONValue])
        async throws(OpenWorkError)
    {
        let item = try item(id, question: false)
        let endpoint = try await endpoint(for: id)
        var fields = extra
        fields["reply"] = .string(reply.rawValue)
        answering[id] = fields
        defer { answering[id] = nil }
        var body: JSONValue = ["reply": .string(reply.rawValue)]
        if let message { body["message"] = .string(message) }
        let timeout = configuration.requestTimeout
        do {
            do {
                _ = try await client.call(
                    endpoint, .POST, "/permission/\(OpenCodeClient.percentEncode(id))/reply",
                    directory: item.directory, body: body, timeout: timeout)
            } catch  where ApprovalRules.shouldUseLegacyRoute(afterStatus: error.status) {
                _ = try await client.call(
                    endpoint, .POST,
                    "/session/\(OpenCodeClient.percentEncode(item.sessionID))/permissions/"
                        + OpenCodeClient.percentEncode(id),
                    directory: item.directory, body: ["response": .string(reply.rawValue)], timeout: timeout)
            }
        } catch {
            throw refused(id, error)
        }
        resolve(id, fields)
    }

    /// Answers a pending question (`answers`), or rejects it (`nil`); returns what `approval.resolved` said.
    private func answerQuestion(_ id: String, _ answers: [[String]]?, extra: [String: JSONValue])
        async throws(OpenWorkError) -> [String: JSONValue]
    {
        let item = try item(id, question: true)
        let endpoint = try await endpoint(for: id)
        var fields = extra
        let path = "/question/\(OpenCodeClient.percentEncode(id))/"
        var body: JSONValue?
        if let answers {
            let json = JSONValue.array(answers.map { .array($0.map(JSONValue.string)) })
            fields["answers"] = json
            body = ["answers": json]
        } else {
            fields["reply"] = "reject"
        }
        answering[id] = fields
        defer { answering[id] = nil }
        do {
            _ = try await client.call(
                endpoint, .POST, path + (answers == nil ? "reject" : "reply"), directory: item.directory, body: body,
                timeout: configuration.requestTimeout)
        } catch {
            throw refused(id, error)
        }
        resolve(id, fields)
        return fields
    }

    // MARK: Bookkeeping

    func track(_ directory: String, id: String, sessionID: String, request: PendingApproval.Request, pid: Int64) async {
        guard pending[id] == nil else { return }
        let workspaces = (try? await registry.state().workspaces) ?? []
        guard pending[id] == nil else { return }
        let item = PendingApproval(
            id: id, workspaceID: ApprovalRules.workspaceID(for: directory, in: workspaces), directory: directory,
            sessionID: sessionID, request: request, createdAt: Registry.Clock.unixMilliseconds(),
            received: configuration.now())
        pending[id] = item
        origin[id] = pid
        events.publish("approval.requested", item.json.objectValue ?? [:])
        let workspace = "\(item.workspaceID ?? "-")"
        switch request {
        case .permission(let permission, _):
            logger.info(
                "permission requested",
                metadata: ["id": "\(id)", "permission": "\(permission)", "workspaceId": .string(workspace)])
        case .question(let questions):
            logger.info(
                "question asked",
                metadata: ["id": "\(id)", "questions": "\(questions.count)", "workspaceId": .string(workspace)])
        }
        switch (configuration.settings.mode, item.isQuestion) {
        case (.auto, false):
            do {
                try await answer(id, .once, message: nil, extra: ["by": "auto"])
                logger.info("permission answered automatically", metadata: ["id": "\(id)", "reply": "once"])
            } catch {
                logger.warning("automatic answer failed", metadata: ["id": "\(id)", "error": "\(error)"])
            }
        case (.auto, true):
            logger.notice(
                "a question needs a human: auto mode answers permissions only; it stays pending",
                metadata: ["id": "\(id)"])
            startTimer(id)
        case (.manual, _):
            startTimer(id)
        }
    }

    /// Starts the timeout of `id` when there is one.
    private func startTimer(_ id: String) {
        guard let timeout = configuration.settings.timeout else { return }
        timers[id] = Task {
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled { await self.expire(id) }
        }
    }

    /// The timer of `id` went off: rejects it if the pure rule says its time is up.
    private func expire(_ id: String) async {
        timers[id] = nil
        let due = ApprovalRules.expired(
            Array(pending.values), timeout: configuration.settings.timeout, now: configuration.now())
        guard due.contains(id), let item = pending[id] else { return }
        do {
            if item.isQuestion {
                _ = try await answerQuestion(id, nil, extra: ["reason": "timeout"])
            } else {
                try await answer(id, .reject, message: "no answer in time", extra: ["reason": "timeout"])
            }
            logger.info("rejected after the timeout", metadata: ["id": "\(id)", "source": "\(item.source)"])
        } catch {
            logger.warning("rejecting after the timeout failed", metadata: ["id": "\(id)", "error": "\(error)"])
        }
    }

    /// Removes a pending request and publishes `approval.resolved` (once per request).
    func resolve(_ id: String, _ fields: [String: JSONValue]) {
        guard let item = pending.removeValue(forKey: id) else { return }
        origin[id] = nil
        timers.removeValue(forKey: id)?.cancel()
        var event = fields
        event["id"] = .string(id)
        event["source"] = .string(item.source)
        event["workspaceId"] = item.workspaceID.map(JSONValue.string) ?? .null
        events.publish("approval.resolved", event)
    }
}
